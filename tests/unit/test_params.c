/*
 * Unit tests for runs/params.c: defaults filled for absent or null params, every param type's accepted and refused
 * values (with the error naming `params.<name>`), unknown names, a non-object `params`, and normalisation
 * (durations to milliseconds, ids to integers). The job definitions are local to this file.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "runs/params.h"

static const struct param_def all_params[] = {
    {"seconds", PARAM_INT, "5", 0, 86400, "int with a default"},
    {"fail", PARAM_BOOL, "false", 0, 0, "bool with a default"},
    {"olderthan", PARAM_DURATION, "\"24h\"", 60 * 1000, 365LL * 86400 * 1000, "duration 1m..365d"},
    {"label", PARAM_STRING, NULL, 0, 8, "string of at most 8"},
    {"note", PARAM_STRING, "\"hi\"", 0, 0, "string, default max (256)"},
    {"userid", PARAM_UUID, NULL, 0, 0, "optional uuid"},
    {"comicid", PARAM_ID, NULL, 0, 0, "optional id"},
};

static const struct job_def job = {
    .key = "test.all",
    .description = "every param type",
    .cron = "* * * * *",
    .params = all_params,
    .nparams = sizeof all_params / sizeof all_params[0],
};

static const struct job_def no_params = {.key = "test.none", .description = "no params", .cron = "* * * * *"};

static char field[128], err[512];

/* Validates the JSON text `in` (NULL: no params); returns the result (caller decrefs). */
static json_t *validate(const struct job_def *j, const char *in)
{
    json_t *v = NULL;
    if (in) {
        json_error_t e;
        v = json_loads(in, JSON_DECODE_ANY, &e);
        cr_assert_not_null(v, "test input does not parse: %s", e.text);
    }
    field[0] = err[0] = '\0';
    json_t *out = params_validate(j, v, field, sizeof field, err, sizeof err);
    json_decref(v);
    return out;
}

static void assert_ok(const char *in, const char *name, const char *expected_json)
{
    json_t *out = validate(&job, in);
    cr_assert_not_null(out, "%s should be valid, got %s: %s", in, field, err);
    json_t *want = json_loads(expected_json, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(want);
    json_t *got = json_object_get(out, name);
    cr_assert(json_equal(got, want), "%s: params.%s is %s, expected %s", in, name,
              got ? json_dumps(got, JSON_ENCODE_ANY) : "(absent)", expected_json);
    json_decref(want);
    json_decref(out);
}

static void assert_refused(const char *in, const char *expected_field)
{
    json_t *out = validate(&job, in);
    cr_assert_null(out, "%s should be refused", in);
    cr_assert_str_eq(field, expected_field, "%s", in);
    cr_assert_gt(strlen(err), 0, "an error sentence for %s", in);
}

Test(params, absent_params_get_every_default)
{
    const char *inputs[] = {NULL, "null", "{}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *out = validate(&job, inputs[i]);
        cr_assert_not_null(out, "%s: %s %s", inputs[i] ? inputs[i] : "(none)", field, err);
        cr_assert_eq(json_object_size(out), job.nparams, "every declared param is present");
        cr_assert_eq(json_integer_value(json_object_get(out, "seconds")), 5);
        cr_assert(json_is_false(json_object_get(out, "fail")));
        cr_assert_eq(json_integer_value(json_object_get(out, "olderthan")), 24LL * 3600 * 1000,
                     "a duration default is normalised to milliseconds too");
        cr_assert(json_is_null(json_object_get(out, "label")), "no default → null");
        cr_assert_str_eq(json_string_value(json_object_get(out, "note")), "hi");
        cr_assert(json_is_null(json_object_get(out, "userid")));
        cr_assert(json_is_null(json_object_get(out, "comicid")));
        json_decref(out);
    }
}

Test(params, explicit_null_means_default)
{
    assert_ok("{\"seconds\": null}", "seconds", "5");
    assert_ok("{\"olderthan\": null}", "olderthan", "86400000");
}

Test(params, integers)
{
    assert_ok("{\"seconds\": 0}", "seconds", "0");
    assert_ok("{\"seconds\": 86400}", "seconds", "86400");
    assert_refused("{\"seconds\": -1}", "params.seconds");
    assert_refused("{\"seconds\": 86401}", "params.seconds");
    assert_refused("{\"seconds\": 1.5}", "params.seconds");
    assert_refused("{\"seconds\": 2.0}", "params.seconds");
    assert_refused("{\"seconds\": \"5\"}", "params.seconds");
    assert_refused("{\"seconds\": true}", "params.seconds");
    assert_refused("{\"seconds\": [5]}", "params.seconds");
    assert_refused("{\"seconds\": 9223372036854775807}", "params.seconds");
    cr_assert_not_null(strstr(err, "0"), "the sentence gives the bounds: %s", err);
    cr_assert_not_null(strstr(err, "86400"), "the sentence gives the bounds: %s", err);
}

Test(params, booleans)
{
    assert_ok("{\"fail\": true}", "fail", "true");
    assert_ok("{\"fail\": false}", "fail", "false");
    assert_refused("{\"fail\": \"true\"}", "params.fail");
    assert_refused("{\"fail\": 1}", "params.fail");
}

Test(params, durations_become_milliseconds)
{
    assert_ok("{\"olderthan\": \"90d\"}", "olderthan", "7776000000");
    assert_ok("{\"olderthan\": \"1h30m\"}", "olderthan", "5400000");
    assert_ok("{\"olderthan\": \"1m\"}", "olderthan", "60000");
    assert_ok("{\"olderthan\": \"365d\"}", "olderthan", "31536000000");
    assert_refused("{\"olderthan\": \"59s\"}", "params.olderthan");
    assert_refused("{\"olderthan\": \"366d\"}", "params.olderthan");
    assert_refused("{\"olderthan\": \"5x\"}", "params.olderthan");
    assert_refused("{\"olderthan\": \"\"}", "params.olderthan");
    assert_refused("{\"olderthan\": \"-24h\"}", "params.olderthan");
    assert_refused("{\"olderthan\": 86400000}", "params.olderthan");
}

Test(params, strings)
{
    assert_ok("{\"label\": \"12345678\"}", "label", "\"12345678\"");
    assert_ok("{\"label\": \"\"}", "label", "\"\"");
    assert_refused("{\"label\": \"123456789\"}", "params.label");
    assert_refused("{\"label\": 5}", "params.label");
    char big[400], want[300];
    snprintf(want, sizeof want, "\"%0256d\"", 0); /* 256 characters: the default maximum */
    snprintf(big, sizeof big, "{\"note\": %s}", want);
    assert_ok(big, "note", want);
    snprintf(big, sizeof big, "{\"note\": \"%0257d\"}", 0);
    assert_refused(big, "params.note");
}

Test(params, uuids)
{
    assert_ok("{\"userid\": \"0195310a-7b2c-7d3e-8f40-123456789abc\"}", "userid",
              "\"0195310a-7b2c-7d3e-8f40-123456789abc\"");
    assert_ok("{\"userid\": \"0195310A-7B2C-7D3E-8F40-123456789ABC\"}", "userid",
              "\"0195310A-7B2C-7D3E-8F40-123456789ABC\"");
    assert_refused("{\"userid\": \"0195310a7b2c7d3e8f40123456789abc\"}", "params.userid");
    assert_refused("{\"userid\": \"0195310a-7b2c-7d3e-8f40-123456789abg\"}", "params.userid");
    assert_refused("{\"userid\": \"0195310a-7b2c-7d3e-8f40-123456789abcd\"}", "params.userid");
    assert_refused("{\"userid\": \"0195310a_7b2c-7d3e-8f40-123456789abc\"}", "params.userid");
    assert_refused("{\"userid\": 12}", "params.userid");
}

Test(params, ids_from_numbers_or_numeric_strings)
{
    assert_ok("{\"comicid\": 42}", "comicid", "42");
    assert_ok("{\"comicid\": \"42\"}", "comicid", "42");
    assert_ok("{\"comicid\": \"9223372036854775807\"}", "comicid", "9223372036854775807");
    assert_refused("{\"comicid\": 0}", "params.comicid");
    assert_refused("{\"comicid\": -3}", "params.comicid");
    assert_refused("{\"comicid\": \"0\"}", "params.comicid");
    assert_refused("{\"comicid\": \"\"}", "params.comicid");
    assert_refused("{\"comicid\": \"4x2\"}", "params.comicid");
    assert_refused("{\"comicid\": \"42 \"}", "params.comicid");
    assert_refused("{\"comicid\": \"9223372036854775808\"}", "params.comicid");
    assert_refused("{\"comicid\": 4.2}", "params.comicid");
    assert_refused("{\"comicid\": true}", "params.comicid");
}

Test(params, unknown_names_are_refused_by_name)
{
    assert_refused("{\"x\": 1}", "params.x");
    assert_refused("{\"seconds\": 1, \"Seconds\": 2}", "params.Seconds");
    cr_assert_not_null(strstr(err, "test.all"), "the sentence names the job: %s", err);
    json_t *out = validate(&no_params, "{\"anything\": true}");
    cr_assert_null(out);
    cr_assert_str_eq(field, "params.anything");
    out = validate(&no_params, "{}");
    cr_assert_not_null(out);
    cr_assert_eq(json_object_size(out), 0);
    json_decref(out);
}

Test(params, long_unknown_name_is_bounded)
{
    char in[600];
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(in, sizeof in, "{\"%s\": 1}", name);
    json_t *out = validate(&job, in);
    cr_assert_null(out);
    cr_assert_lt(strlen(field), sizeof field, "field stays within its buffer");
    cr_assert_eq(strncmp(field, "params.nnnn", 11), 0, "%s", field);
}

Test(params, params_must_be_an_object)
{
    const char *bad[] = {"[]", "[1]", "\"x\"", "5", "true"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *out = validate(&job, bad[i]);
        cr_assert_null(out, "%s", bad[i]);
        cr_assert_str_eq(field, "params", "%s", bad[i]);
    }
}

Test(params, first_bad_value_is_reported)
{
    json_t *out = validate(&job, "{\"seconds\": \"x\", \"fail\": \"y\"}");
    cr_assert_null(out);
    cr_assert(!strcmp(field, "params.seconds") || !strcmp(field, "params.fail"), "%s", field);
}

Test(params, result_is_independent_of_input)
{
    json_t *in = json_pack("{s:s}", "label", "abc");
    json_t *out = params_validate(&job, in, field, sizeof field, err, sizeof err);
    cr_assert_not_null(out);
    json_object_set_new(in, "label", json_string("changed"));
    cr_assert_str_eq(json_string_value(json_object_get(out, "label")), "abc", "the result owns its values");
    json_decref(in);
    json_decref(out);
}

/* ---- comic and user ids: the platform's form (uuid or integer), or either when unknown ----------------------- */

static const struct param_def ref_params[] = {
    {"comicid", PARAM_COMIC_ID, NULL, 0, 0, "a comic"},
    {"userid", PARAM_USER_ID, NULL, 0, 0, "a user"},
};
static const struct job_def ref_job = {
    .key = "test.ref", .description = "ids", .cron = "* * * * *", .params = ref_params, .nparams = 2};

static json_t *validate_ids(const char *in, const struct id_types *ids)
{
    json_t *v = json_loads(in, 0, NULL);
    cr_assert_not_null(v);
    field[0] = err[0] = '\0';
    json_t *out = params_validate_ids(&ref_job, v, ids, field, sizeof field, err, sizeof err);
    json_decref(v);
    return out;
}

Test(params, ids_take_either_form_when_the_platform_is_unknown)
{
    json_t *out = validate_ids("{\"comicid\": \"0042\", \"userid\": \"0B7C5E6A-1F0E-4C6E-9D3C-7A1B2C3D4E5F\"}", NULL);
    cr_assert_not_null(out, "%s: %s", field, err);
    cr_expect_eq(json_integer_value(json_object_get(out, "comicid")), 42);
    cr_expect_str_eq(json_string_value(json_object_get(out, "userid")), "0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f");
    json_decref(out);
    cr_expect_null(validate_ids("{\"comicid\": \"abc\"}", NULL));
    cr_expect_str_eq(field, "params.comicid");
    cr_expect_null(validate_ids("{\"userid\": 0}", NULL));
    cr_expect_str_eq(field, "params.userid");
}

Test(params, bigint_ids_to_the_types_max)
{
    struct id_types t;
    idtypes_default(&t);
    snprintf(t.name[ID_USER], sizeof t.name[ID_USER], "bigint");
    json_t *out = validate_ids("{\"comicid\": \"9223372036854775807\", \"userid\": 9223372036854775807}", &t);
    cr_assert_not_null(out, "%s: %s", field, err);
    cr_expect_eq(json_integer_value(json_object_get(out, "comicid")), 9223372036854775807LL);
    cr_expect_eq(json_integer_value(json_object_get(out, "userid")), 9223372036854775807LL);
    json_decref(out);
    cr_expect_null(validate_ids("{\"userid\": \"9223372036854775808\"}", &t));
    cr_expect_str_eq(field, "params.userid");
    cr_expect_str_eq(err, "userid must be a positive integer id of at most 9223372036854775807 (this platform's user "
                          "ids are bigint)");
    cr_expect_null(validate_ids("{\"comicid\": -9223372036854775807}", &t));
    cr_expect_str_eq(field, "params.comicid");
    out = validate_ids("{\"comicid\": \"0009223372036854775807\"}", NULL);
    cr_assert_not_null(out, "either form, leading zeros: %s", err);
    cr_expect_eq(json_integer_value(json_object_get(out, "comicid")), 9223372036854775807LL);
    json_decref(out);
    cr_expect_null(validate_ids("{\"comicid\": \"9223372036854775808\"}", NULL));
}

Test(params, ids_take_the_platforms_form_when_known)
{
    struct id_types t;
    idtypes_default(&t); /* bigint comics, uuid users */
    json_t *out = validate_ids("{\"comicid\": 7, \"userid\": \"0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f\"}", &t);
    cr_assert_not_null(out, "%s: %s", field, err);
    json_decref(out);
    cr_expect_null(validate_ids("{\"comicid\": \"0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f\"}", &t));
    cr_expect_str_eq(field, "params.comicid");
    cr_expect(strstr(err, "this platform's comic ids are bigint") != NULL, "%s", err);
    cr_expect_null(validate_ids("{\"userid\": 12}", &t));
    cr_expect(strstr(err, "user ids are uuid") != NULL, "%s", err);
    snprintf(t.name[ID_COMIC], sizeof t.name[ID_COMIC], "uuid");
    snprintf(t.name[ID_USER], sizeof t.name[ID_USER], "integer");
    out = validate_ids("{\"comicid\": \"0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f\", \"userid\": \"12\"}", &t);
    cr_assert_not_null(out, "%s: %s", field, err);
    cr_expect_eq(json_integer_value(json_object_get(out, "userid")), 12);
    json_decref(out);
    cr_expect_null(validate_ids("{\"userid\": 3000000000}", &t), "past an integer id's range");
}
