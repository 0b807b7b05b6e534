/*
 * Unit tests for http/router.c: literal and `:param` matching, percent-decoding of params, trailing and repeated
 * slashes, 405 (path known, other method) versus 404, malformed escapes, and the length bounds on paths and params.
 * The table mirrors the shape of the real API's (a list and an item route sharing a prefix, two-param routes).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/router.h"

static const struct route table[] = {
    {"GET", "/healthz", "healthz", NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/admin/batch/jobs", "list", NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/admin/batch/jobs/:jobKey", "history", NULL, ROUTE_PUBLIC, 0},
    {"POST", "/api/v1/admin/batch/jobs/:jobKey/run", "run", NULL, ROUTE_PUBLIC, 0},
    {"POST", "/api/v1/admin/batch/jobs/:jobKey/cancel", "cancel", NULL, ROUTE_PUBLIC, 0},
    {"PATCH", "/api/v1/admin/batch/schedule/:jobKey", "patch", NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/series/:provider/items/:id", "item", NULL, ROUTE_PUBLIC, 0},
    {"DELETE", "/api/v1/series/:provider/items/:id", "item-delete", NULL, ROUTE_PUBLIC, 0},
};
#define NROUTES (sizeof table / sizeof table[0])

/* Matches and returns the route's data string, or NULL; *res gets the result code. */
static const char *match(const char *method, const char *path, struct route_match *m, enum router_result *res)
{
    size_t idx = (size_t)-1;
    *res = router_match(table, NROUTES, method, path, &idx, m);
    if (*res != ROUTER_FOUND)
        return NULL;
    cr_assert_lt(idx, NROUTES, "index %zu out of the table", idx);
    return table[idx].data;
}

static enum router_result result_of(const char *method, const char *path)
{
    struct route_match m;
    enum router_result res;
    match(method, path, &m, &res);
    return res;
}

Test(router, literal_routes_match_exactly)
{
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("GET", "/healthz", &m, &res), "healthz");
    cr_assert_eq(m.nparams, 0);
    cr_assert_str_eq(match("GET", "/api/v1/admin/batch/jobs", &m, &res), "list");
    cr_assert_eq(result_of("GET", "/healthzz"), ROUTER_NOT_FOUND);
    cr_assert_eq(result_of("GET", "/health"), ROUTER_NOT_FOUND);
    cr_assert_eq(result_of("GET", "/api/v1/admin/batch"), ROUTER_NOT_FOUND);
    cr_assert_eq(result_of("GET", "/API/v1/admin/batch/jobs"), ROUTER_NOT_FOUND, "matching is case-sensitive");
}

Test(router, params_are_extracted_by_name)
{
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("POST", "/api/v1/admin/batch/jobs/system.canary/run", &m, &res), "run");
    cr_assert_eq(m.nparams, 1);
    cr_assert_str_eq(router_param(&m, "jobKey"), "system.canary");
    cr_assert_null(router_param(&m, "jobkey"), "param names are case-sensitive");
    cr_assert_null(router_param(&m, "job"), "a prefix of a name is not the name");
    cr_assert_null(router_param(&m, "jobKeyX"));

    cr_assert_str_eq(match("GET", "/api/v1/series/mangadex/items/42", &m, &res), "item");
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(router_param(&m, "provider"), "mangadex");
    cr_assert_str_eq(router_param(&m, "id"), "42");
}

Test(router, param_route_does_not_swallow_longer_or_shorter_paths)
{
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("GET", "/api/v1/admin/batch/jobs/x", &m, &res), "history");
    cr_assert_eq(result_of("GET", "/api/v1/admin/batch/jobs/x/y"), ROUTER_NOT_FOUND);
    cr_assert_eq(result_of("POST", "/api/v1/admin/batch/jobs/x/run/again"), ROUTER_NOT_FOUND);
    cr_assert_eq(result_of("GET", "/api/v1/series/p/items"), ROUTER_NOT_FOUND);
}

Test(router, percent_decoding_of_params)
{
    struct route_match m;
    enum router_result res;
    cr_assert_not_null(match("GET", "/api/v1/admin/batch/jobs/system%2Ecanary", &m, &res));
    cr_assert_str_eq(router_param(&m, "jobKey"), "system.canary");
    cr_assert_not_null(match("GET", "/api/v1/admin/batch/jobs/a%20b%3fc", &m, &res));
    cr_assert_str_eq(router_param(&m, "jobKey"), "a b?c", "upper and lower case hex both decode");
    cr_assert_not_null(match("GET", "/api/v1/admin/batch/jobs/100%25", &m, &res));
    cr_assert_str_eq(router_param(&m, "jobKey"), "100%", "%25 decodes to a literal percent, decoded once");
    cr_assert_not_null(match("GET", "/api/v1/admin/batch/jobs/%2541", &m, &res));
    cr_assert_str_eq(router_param(&m, "jobKey"), "%41", "no double decoding");
    cr_assert_not_null(match("GET", "/api/v1/admin/batch/jobs/a+b", &m, &res));
    cr_assert_str_eq(router_param(&m, "jobKey"), "a+b", "'+' is not a space in a path");
    cr_assert_not_null(match("GET", "/api/v1/admin/batch/jobs/%C3%A9", &m, &res));
    cr_assert_str_eq(router_param(&m, "jobKey"), "\xc3\xa9", "UTF-8 bytes pass through");
}

Test(router, literal_segments_are_not_decoded)
{
    cr_assert_eq(result_of("GET", "/api/v1/admin/batch/%6Aobs"), ROUTER_NOT_FOUND,
                 "an encoded literal segment does not match the literal");
}

Test(router, trailing_and_repeated_slashes_are_ignored)
{
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("GET", "/healthz/", &m, &res), "healthz");
    cr_assert_str_eq(match("GET", "/api/v1/admin/batch/jobs/", &m, &res), "list",
                     "a trailing slash after the list does not become an empty :jobKey");
    cr_assert_str_eq(match("POST", "/api/v1/admin/batch/jobs/k/run/", &m, &res), "run");
    cr_assert_str_eq(router_param(&m, "jobKey"), "k");
    cr_assert_str_eq(match("GET", "//api/v1//admin/batch/jobs", &m, &res), "list");
}

Test(router, method_not_allowed_versus_not_found)
{
    cr_assert_eq(result_of("POST", "/api/v1/admin/batch/jobs"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_eq(result_of("GET", "/api/v1/admin/batch/jobs/k/run"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_eq(result_of("DELETE", "/healthz"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_eq(result_of("get", "/healthz"), ROUTER_METHOD_NOT_ALLOWED, "methods are case-sensitive");
    cr_assert_eq(result_of("POST", "/api/v1/admin/batch/nothing"), ROUTER_NOT_FOUND);
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("DELETE", "/api/v1/series/p/items/9", &m, &res), "item-delete",
                     "the same pattern under two methods picks the method's route");
    cr_assert_str_eq(match("GET", "/api/v1/series/p/items/9", &m, &res), "item");
}

Test(router, malformed_escapes_are_bad_paths)
{
    const char *bad[] = {
        "/api/v1/admin/batch/jobs/%",    "/api/v1/admin/batch/jobs/%4",    "/api/v1/admin/batch/jobs/abc%",
        "/api/v1/admin/batch/jobs/%zz",  "/api/v1/admin/batch/jobs/%g1",   "/api/v1/admin/batch/jobs/%1g",
        "/api/v1/admin/batch/jobs/%00",  "/api/v1/admin/batch/jobs/a%2Fb", "/api/v1/admin/batch/jobs/a%2fb",
        "/api/v1/admin/batch/jobs/%%41",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(result_of("GET", bad[i]), ROUTER_BAD_PATH, "%s should be a bad path", bad[i]);
}

Test(router, paths_must_be_absolute)
{
    cr_assert_eq(result_of("GET", ""), ROUTER_BAD_PATH);
    cr_assert_eq(result_of("GET", "healthz"), ROUTER_BAD_PATH);
    cr_assert_eq(result_of("GET", NULL), ROUTER_BAD_PATH);
    cr_assert_eq(result_of("GET", "/"), ROUTER_NOT_FOUND);
}

Test(router, overlong_path_is_bad)
{
    static char path[ROUTER_MAX_PATH + 64];
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[ROUTER_MAX_PATH] = '\0';
    cr_assert_eq(result_of("GET", path), ROUTER_NOT_FOUND, "exactly the maximum length is still looked up");
    path[ROUTER_MAX_PATH] = 'a';
    path[ROUTER_MAX_PATH + 1] = '\0';
    cr_assert_eq(result_of("GET", path), ROUTER_BAD_PATH);
}

Test(router, param_length_bound)
{
    static char path[1024];
    const char *prefix = "/api/v1/admin/batch/jobs/";
    size_t pl = strlen(prefix);
    strcpy(path, prefix);
    memset(path + pl, 'k', ROUTER_MAX_PARAM_LEN - 1);
    path[pl + ROUTER_MAX_PARAM_LEN - 1] = '\0';
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("GET", path, &m, &res), "history", "a param of the maximum length fits");
    cr_assert_eq(strlen(router_param(&m, "jobKey")), ROUTER_MAX_PARAM_LEN - 1);
    path[pl + ROUTER_MAX_PARAM_LEN - 1] = 'k';
    path[pl + ROUTER_MAX_PARAM_LEN] = '\0';
    cr_assert_eq(result_of("GET", path), ROUTER_BAD_PATH, "one byte more is refused, not truncated");

    /* Escapes count by decoded length: 255 × "%41" decodes to 255 bytes and fits. */
    char *p = path + pl;
    for (int i = 0; i < ROUTER_MAX_PARAM_LEN - 1; i++, p += 3)
        memcpy(p, "%41", 3);
    *p = '\0';
    cr_assert_str_eq(match("GET", path, &m, &res), "history");
    cr_assert_eq(strlen(router_param(&m, "jobKey")), ROUTER_MAX_PARAM_LEN - 1);
    cr_assert_eq(router_param(&m, "jobKey")[0], 'A');
}

Test(router, empty_table)
{
    size_t idx;
    struct route_match m;
    cr_assert_eq(router_match(table, 0, "GET", "/healthz", &idx, &m), ROUTER_NOT_FOUND);
}

Test(router, decodes_once_and_refuses_nul_and_invalid_utf8_anywhere)
{
    struct route_match m;
    enum router_result res;
    cr_assert_str_eq(match("GET", "/api/v1/admin/batch/jobs/%2541", &m, &res), "history");
    cr_assert_str_eq(router_param(&m, "jobKey"), "%41", "decoded once, not twice");
    cr_assert_str_eq(match("GET", "/api/v1/admin/batch/jobs/caf%C3%A9", &m, &res), "history");
    cr_assert_str_eq(router_param(&m, "jobKey"), "caf\xc3\xa9");
    const char *bad[] = {"/api/v1/admin/batch/jobs/%ff",       "/api/v1/admin/batch/jobs/%c3",    "/healthz%00",
                         "/api/v1/admin/batch/jobs/%ed%a0%80", "/api/v1/admin/batch/jobs/%c0%af", "/x%ff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(result_of("GET", bad[i]), ROUTER_BAD_PATH, "%s should be a bad path", bad[i]);
}

Test(router, allowed_lists_each_method_once_with_head_beside_get)
{
    char allow[64];
    cr_assert_eq(router_allowed(table, NROUTES, "/healthz", allow, sizeof allow), 2);
    cr_assert_str_eq(allow, "GET, HEAD");
    router_allowed(table, NROUTES, "/api/v1/series/p/items/7", allow, sizeof allow);
    cr_assert_str_eq(allow, "GET, HEAD, DELETE");
    cr_assert_eq(router_allowed(table, NROUTES, "/nowhere", allow, sizeof allow), 0);
    cr_assert_str_eq(allow, "");
    cr_assert_eq(router_allowed(table, NROUTES, "/healthz", allow, 8), 1, "what does not fit is left out");
    cr_assert_str_eq(allow, "GET");
}
