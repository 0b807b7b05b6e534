/*
 * params — validation of a run's params against the job's declared params (pure; unit-tested and fuzzed).
 * Unknown names, wrong types and out-of-range values are errors naming the field; absent params get defaults.
 */
#ifndef COMICBATCH_PARAMS_H
#define COMICBATCH_PARAMS_H

#include <jansson.h>
#include <stddef.h>

#include "contract/idtypes.h"
#include "jobs/registry.h"

/**
 * Validates `in` (a JSON object or NULL) for `job`. Returns a new object holding every declared param (defaults
 * filled, durations as milliseconds, ids as integers), or NULL with the offending param's name in `field`
 * ("params.olderthan") and a sentence in `err`.
 */
json_t *params_validate(const struct job_def *job, const json_t *in, char *field, size_t fieldlen, char *err,
                        size_t errlen);

/**
 * params_validate for a platform whose id types are `ids` (NULL: not known, either form is accepted): a comic or
 * user id must have the form of the platform's ids (a positive integer, given as a number or a numeric string, or
 * a UUID); integers are normalised to JSON integers, UUIDs to lowercase strings.
 */
json_t *params_validate_ids(const struct job_def *job, const json_t *in, const struct id_types *ids, char *field,
                            size_t fieldlen, char *err, size_t errlen);

struct config;

/**
 * The job's check of validated `params` against the settings (its check_params hook; 0 when it has none): 0, or -1
 * with the param's name in `field` and a sentence in `err`. Every path that stores a run calls it after validating:
 * the API and the schedule through params_validate_checked, the CLI (which validates before it reads the settings)
 * directly.
 */
int params_check_settings(const struct config *cfg, const struct job_def *job, const json_t *params, char *field,
                          size_t fieldlen, char *err, size_t errlen);

/** params_validate_ids, then params_check_settings with `cfg`: the validated params, or NULL with field and err. */
json_t *params_validate_checked(const struct config *cfg, const struct job_def *job, const json_t *in,
                                const struct id_types *ids, char *field, size_t fieldlen, char *err, size_t errlen);

#endif
