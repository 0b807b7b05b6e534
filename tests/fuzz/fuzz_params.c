/*
 * libFuzzer target for runs/params.c. The input is JSON text (any value), validated as a run's params against a
 * job declaring every param type and against every job of the real registry. On success the result is an object
 * holding exactly the declared params, each of its declared type (durations and ids as integers within bounds) or
 * null; on failure `field` is "params" or "params.<name>" and both messages are terminated. Nothing leaks (LSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runs/params.h"

#define FUZZ_MAX_INPUT 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct param_def all_params[] = {
    {"seconds", PARAM_INT, "5", 0, 86400, NULL},
    {"fail", PARAM_BOOL, "false", 0, 0, NULL},
    {"olderthan", PARAM_DURATION, "\"24h\"", 60 * 1000, 365LL * 86400 * 1000, NULL},
    {"label", PARAM_STRING, NULL, 0, 8, NULL},
    {"note", PARAM_STRING, "\"hi\"", 0, 0, NULL},
    {"userid", PARAM_UUID, NULL, 0, 0, NULL},
    {"comicid", PARAM_ID, NULL, 0, 0, NULL},
    {"comic", PARAM_COMIC_ID, NULL, 0, 0, NULL},
    {"user", PARAM_USER_ID, NULL, 0, 0, NULL},
};

static const struct job_def fuzz_job = {
    .key = "fuzz.all",
    .description = "every param type",
    .cron = "* * * * *",
    .params = all_params,
    .nparams = sizeof all_params / sizeof all_params[0],
};

static void check_value(const struct param_def *p, const json_t *v)
{
    if (json_is_null(v))
        return;
    switch (p->type) {
    case PARAM_INT:
    case PARAM_DURATION:
        if (!json_is_integer(v) || json_integer_value(v) < p->min || json_integer_value(v) > p->max)
            abort();
        break;
    case PARAM_ID:
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            abort();
        break;
    case PARAM_BOOL:
        if (!json_is_boolean(v))
            abort();
        break;
    case PARAM_STRING:
        if (!json_is_string(v) || json_string_length(v) > (p->max > 0 ? (size_t)p->max : 256))
            abort();
        break;
    case PARAM_UUID:
        if (!json_is_string(v) || json_string_length(v) != 36)
            abort();
        break;
    case PARAM_COMIC_ID:
    case PARAM_USER_ID: /* either form (no id types known): a positive integer or a lowercase UUID */
        if (!(json_is_integer(v) && json_integer_value(v) >= 1) && !(json_is_string(v) && json_string_length(v) == 36))
            abort();
        break;
    }
}

static void check_job(const struct job_def *job, const json_t *in)
{
    char field[128], err[512];
    memset(field, 'x', sizeof field);
    memset(err, 'x', sizeof err);
    json_t *out = params_validate(job, in, field, sizeof field, err, sizeof err);
    if (!out) {
        if (!memchr(field, '\0', sizeof field) || !memchr(err, '\0', sizeof err) || strncmp(field, "params", 6) ||
            (field[6] != '\0' && field[6] != '.') || err[0] == '\0')
            abort();
        return;
    }
    if (!json_is_object(out) || json_object_size(out) != job->nparams)
        abort();
    for (size_t i = 0; i < job->nparams; i++) {
        json_t *v = json_object_get(out, job->params[i].name);
        if (!v)
            abort();
        check_value(&job->params[i], v);
    }
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!in)
        return 0;
    check_job(&fuzz_job, in);
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    for (size_t i = 0; i < n; i++)
        check_job(jobs[i], in);
    json_decref(in);
    return 0;
}
