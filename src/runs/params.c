/* params — see params.h. */
#include "runs/params.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"

static const struct param_def *find_param(const struct job_def *job, const char *name)
{
    for (size_t i = 0; i < job->nparams; i++)
        if (!strcmp(job->params[i].name, name))
            return &job->params[i];
    return NULL;
}

static int is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static json_t *check_id(const struct param_def *p, const json_t *v, char *err, size_t errlen)
{
    long long n = -1;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno || end == s || *end)
            n = -1;
    }
    if (n < 1) {
        snprintf(err, errlen, "%s must be a positive integer id", p->name);
        return NULL;
    }
    return json_integer(n);
}

/* A comic or user id: the form the platform's ids have (either, when `ids` is NULL). */
static json_t *check_ref(const struct param_def *p, const json_t *v, const struct id_types *ids, char *err,
                         size_t errlen)
{
    enum id_kind kind = p->type == PARAM_COMIC_ID ? ID_COMIC : ID_USER;
    char text[40] = "", norm[40];
    if (json_is_integer(v))
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_string(v) && json_string_length(v) < sizeof text)
        snprintf(text, sizeof text, "%s", json_string_value(v));
    struct id_types as_uuid, as_int;
    idtypes_default(&as_uuid);
    idtypes_default(&as_int);
    snprintf(as_uuid.name[kind], sizeof as_uuid.name[kind], "uuid");
    snprintf(as_int.name[kind], sizeof as_int.name[kind], "bigint");
    if (ids && idtypes_normalise(ids, kind, text, norm, sizeof norm) == 0)
        return !strcmp(ids->name[kind], "uuid") ? json_string(norm) : json_integer(strtoll(norm, NULL, 10));
    if (!ids && idtypes_normalise(&as_int, kind, text, norm, sizeof norm) == 0)
        return json_integer(strtoll(norm, NULL, 10));
    if (!ids && idtypes_normalise(&as_uuid, kind, text, norm, sizeof norm) == 0)
        return json_string(norm);
    if (ids && !strcmp(ids->name[kind], "uuid"))
        snprintf(err, errlen, "%s must be a UUID id (this platform's %s ids are uuid)", p->name,
                 idtypes_kind_name(kind));
    else if (ids)
        snprintf(err, errlen, "%s must be a positive integer id of at most %lld (this platform's %s ids are %s)",
                 p->name, idtypes_int_max(ids->name[kind]), idtypes_kind_name(kind), ids->name[kind]);
    else
        snprintf(err, errlen, "%s must be a positive integer or a UUID", p->name);
    return NULL;
}

static json_t *check_int(const struct param_def *p, const json_t *v, char *err, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < p->min || json_integer_value(v) > p->max) {
        snprintf(err, errlen, "%s must be an integer from %lld to %lld", p->name, (long long)p->min, (long long)p->max);
        return NULL;
    }
    return json_integer(json_integer_value(v));
}

static json_t *check_duration(const struct param_def *p, const json_t *v, char *err, size_t errlen)
{
    int64_t ms;
    char derr[160];
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s must be a duration string like \"24h\" or \"90d\"", p->name);
        return NULL;
    }
    if (duration_parse(json_string_value(v), &ms, derr, sizeof derr)) {
        snprintf(err, errlen, "%s: %s", p->name, derr);
        return NULL;
    }
    if (ms < p->min || ms > p->max) {
        char lo[32], hi[32];
        snprintf(err, errlen, "%s must be between %s and %s", p->name, duration_format(p->min, lo, sizeof lo),
                 duration_format(p->max, hi, sizeof hi));
        return NULL;
    }
    return json_integer(ms);
}

static json_t *check_value(const struct param_def *p, const json_t *v, const struct id_types *ids, char *err,
                           size_t errlen)
{
    switch (p->type) {
    case PARAM_STRING: {
        size_t max = p->max > 0 ? (size_t)p->max : 256;
        if (!json_is_string(v) || json_string_length(v) > max) {
            snprintf(err, errlen, "%s must be a string of at most %zu characters", p->name, max);
            return NULL;
        }
        return json_copy((json_t *)v);
    }
    case PARAM_INT: return check_int(p, v, err, errlen);
    case PARAM_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "%s must be true or false", p->name);
            return NULL;
        }
        return json_boolean(json_is_true(v));
    case PARAM_DURATION: return check_duration(p, v, err, errlen);
    case PARAM_UUID:
        if (!json_is_string(v) || !is_uuid(json_string_value(v))) {
            snprintf(err, errlen, "%s must be a UUID", p->name);
            return NULL;
        }
        return json_copy((json_t *)v);
    case PARAM_ID: return check_id(p, v, err, errlen);
    case PARAM_COMIC_ID:
    case PARAM_USER_ID: return check_ref(p, v, ids, err, errlen);
    }
    return NULL;
}

static json_t *default_value(const struct param_def *p, char *err, size_t errlen)
{
    if (!p->dflt)
        return json_null();
    json_t *d = json_loads(p->dflt, JSON_DECODE_ANY, NULL);
    if (!d || json_is_null(d))
        return d ? d : json_null();
    json_t *v = check_value(p, d, NULL, err, errlen);
    json_decref(d);
    return v;
}

json_t *params_validate(const struct job_def *job, const json_t *in, char *field, size_t fieldlen, char *err,
                        size_t errlen)
{
    return params_validate_ids(job, in, NULL, field, fieldlen, err, errlen);
}

json_t *params_validate_ids(const struct job_def *job, const json_t *in, const struct id_types *ids, char *field,
                            size_t fieldlen, char *err, size_t errlen)
{
    if (in && !json_is_null(in) && !json_is_object(in)) {
        snprintf(field, fieldlen, "params");
        snprintf(err, errlen, "params must be a JSON object");
        return NULL;
    }
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)in, name, v)
    {
        if (!find_param(job, name)) {
            snprintf(field, fieldlen, "params.%.100s", name);
            snprintf(err, errlen, "unknown parameter \"%.100s\" for job %s", name, job->key);
            return NULL;
        }
    }
    json_t *out = json_object();
    for (size_t i = 0; i < job->nparams; i++) {
        const struct param_def *p = &job->params[i];
        json_t *given = in ? json_object_get(in, p->name) : NULL;
        json_t *val = (given && !json_is_null(given)) ? check_value(p, given, ids, err, errlen)
                                                      : default_value(p, err, errlen);
        if (!val) {
            snprintf(field, fieldlen, "params.%s", p->name);
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, p->name, val);
    }
    return out;
}

int params_check_settings(const struct config *cfg, const struct job_def *job, const json_t *params, char *field,
                          size_t fieldlen, char *err, size_t errlen)
{
    return job->check_params ? job->check_params(cfg, params, field, fieldlen, err, errlen) : 0;
}

json_t *params_validate_checked(const struct config *cfg, const struct job_def *job, const json_t *in,
                                const struct id_types *ids, char *field, size_t fieldlen, char *err, size_t errlen)
{
    json_t *out = params_validate_ids(job, in, ids, field, fieldlen, err, errlen);
    if (out && params_check_settings(cfg, job, out, field, fieldlen, err, errlen)) {
        json_decref(out);
        out = NULL;
    }
    return out;
}
