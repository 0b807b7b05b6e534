/*
 * params — validation of a run's params against the job's declared params (pure; unit-tested and fuzzed).
 * Unknown names, wrong types and out-of-range values are errors naming the field; absent params get defaults.
 */
#ifndef COMICBATCH_PARAMS_H
#define COMICBATCH_PARAMS_H

#include <jansson.h>
#include <stddef.h>

#include "jobs/registry.h"

/**
 * Validates `in` (a JSON object or NULL) for `job`. Returns a new object holding every declared param (defaults
 * filled, durations as milliseconds, ids as integers), or NULL with the offending param's name in `field`
 * ("params.olderthan") and a sentence in `err`.
 */
json_t *params_validate(const struct job_def *job, const json_t *in, char *field, size_t fieldlen, char *err,
                        size_t errlen);

#endif
