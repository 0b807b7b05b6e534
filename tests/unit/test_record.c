/*
 * Unit tests for providers/record.c: the canonical form (normalisation that makes equal metadata hash equal,
 * changes that must change the hash) and the malformed cases, each with the field its reason must name.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "providers/record.h"
#include "util/sha256.h"

static struct record parse_ok(const char *line)
{
    struct record r;
    char reason[256] = "";
    int rc = record_parse(line, strlen(line), &r, reason, sizeof reason);
    cr_assert_eq(rc, 0, "expected %s to parse, got: %s", line, reason);
    return r;
}

static void expect_same_hash(const char *a, const char *b)
{
    struct record ra = parse_ok(a), rb = parse_ok(b);
    cr_expect_str_eq(ra.hash, rb.hash, "%s\nvs\n%s\n%s\n%s", a, b, ra.text, rb.text);
    cr_expect_str_eq(ra.text, rb.text);
    record_finish(&ra);
    record_finish(&rb);
}

static void expect_other_hash(const char *a, const char *b)
{
    struct record ra = parse_ok(a), rb = parse_ok(b);
    cr_expect_str_neq(ra.hash, rb.hash, "%s and %s must differ", a, b);
    record_finish(&ra);
    record_finish(&rb);
}

Test(record, canonical_text_has_all_keys_sorted)
{
    struct record r = parse_ok("{\"title\":\" One Piece \",\"id\":\"op\",\"totalChapters\":\"1100.5\"}");
    cr_expect_str_eq(r.id, "op");
    cr_expect_str_eq(r.text, "{\"altTitles\":[],\"coverUrl\":null,\"description\":null,\"id\":\"op\",\"status\":null,"
                             "\"tags\":[],\"title\":\"One Piece\",\"totalChapters\":\"1100.5\",\"totalVolumes\":null,"
                             "\"year\":null}");
    char hex[65];
    sha256_hex(r.text, strlen(r.text), hex);
    cr_expect_str_eq(r.hash, hex);
    record_finish(&r);
}

Test(record, normalisation_keeps_the_hash)
{
    const char *base = "{\"id\":\"a1\",\"title\":\"T\",\"altTitles\":[\"X\",\"Y\"],\"status\":\"ongoing\","
                       "\"year\":2001,\"totalVolumes\":3,\"totalChapters\":10.5,\"tags\":[\"b\",\"a\"]}";
    expect_same_hash(base, "{\"tags\":[\"a\",\" b \",\"a\",\"\"],\"totalChapters\":\"10.5\",\"totalVolumes\":\"3\","
                           "\"year\":2001,\"status\":\"  OnGoing\",\"altTitles\":[\"X\",\"\",\"Y\",\"X\"],"
                           "\"title\":\"T \",\"id\":\" a1\",\"unknown\":{\"x\":1}}");
    expect_same_hash("{\"id\":7,\"title\":\"T\"}", "{\"id\":\"7\",\"title\":\"T\",\"altTitles\":null,\"tags\":null,"
                                                   "\"description\":\"   \"}");
    expect_same_hash("{\"id\":\"x\",\"title\":\"T\",\"status\":\"completed\"}",
                     "{\"id\":\"x\",\"title\":\"T\",\"status\":\" Finished\"}");
    expect_same_hash("{\"id\":\"x\",\"title\":\"T\",\"status\":\"cancelled\"}",
                     "{\"id\":\"x\",\"title\":\"T\",\"status\":\"CANCELED\"}");
    expect_same_hash("{\"id\":\"x\",\"title\":\"T\",\"totalChapters\":12}",
                     "{\"id\":\"x\",\"title\":\"T\",\"totalChapters\":12.0}");
}

Test(record, real_changes_change_the_hash)
{
    const char *base = "{\"id\":\"a1\",\"title\":\"T\",\"altTitles\":[\"X\",\"Y\"],\"totalChapters\":\"10\"}";
    expect_other_hash(base, "{\"id\":\"a1\",\"title\":\"T2\",\"altTitles\":[\"X\",\"Y\"],\"totalChapters\":\"10\"}");
    expect_other_hash(base, "{\"id\":\"a1\",\"title\":\"T\",\"altTitles\":[\"Y\",\"X\"],\"totalChapters\":\"10\"}");
    expect_other_hash(base, "{\"id\":\"a1\",\"title\":\"T\",\"altTitles\":[\"X\",\"Y\"],\"totalChapters\":\"10.5\"}");
    expect_other_hash(base, "{\"id\":\"a2\",\"title\":\"T\",\"altTitles\":[\"X\",\"Y\"],\"totalChapters\":\"10\"}");
    expect_other_hash(base, "{\"id\":\"a1\",\"title\":\"T\",\"altTitles\":[\"X\",\"Y\"],\"totalChapters\":\"10\","
                            "\"description\":\"d\"}");
}

Test(record, keeps_unicode_and_chapter_text)
{
    struct record r = parse_ok("{\"id\":\"k\",\"title\":\"\xe9\x80\xb2\xe6\x92\x83\",\"totalChapters\":0.25,"
                               "\"coverUrl\":\"https://img.example/c.jpg\"}");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "title")), "\xe9\x80\xb2\xe6\x92\x83");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "totalChapters")), "0.25");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "coverUrl")), "https://img.example/c.jpg");
    record_finish(&r);
}

struct bad_case {
    const char *line;
    const char *reason_has;
};

static const struct bad_case bad_cases[] = {
    {"not json", "invalid JSON"},
    {"[1,2]", "not a JSON object"},
    {"\"x\"", "invalid JSON"}, /* a bare string is not accepted by the decoder without JSON_DECODE_ANY */
    {"{\"title\":\"T\"}", "missing id"},
    {"{\"id\":\"  \",\"title\":\"T\"}", "missing id"},
    {"{\"id\":\"a\"}", "missing title"},
    {"{\"id\":\"a\",\"title\":\"   \"}", "missing title"},
    {"{\"id\":\"a\",\"title\":5}", "title"},
    {"{\"id\":true,\"title\":\"T\"}", "id"},
    {"{\"id\":\"a\",\"title\":\"T\",\"year\":\"2001\"}", "year"},
    {"{\"id\":\"a\",\"title\":\"T\",\"year\":99}", "year"},
    {"{\"id\":\"a\",\"title\":\"T\",\"totalVolumes\":-1}", "totalVolumes"},
    {"{\"id\":\"a\",\"title\":\"T\",\"totalVolumes\":1.5}", "totalVolumes"},
    {"{\"id\":\"a\",\"title\":\"T\",\"totalChapters\":\"ten\"}", "totalChapters"},
    {"{\"id\":\"a\",\"title\":\"T\",\"totalChapters\":-2}", "totalChapters"},
    {"{\"id\":\"a\",\"title\":\"T\",\"totalChapters\":\"1.2.3\"}", "totalChapters"},
    {"{\"id\":\"a\",\"title\":\"T\",\"altTitles\":\"X\"}", "altTitles"},
    {"{\"id\":\"a\",\"title\":\"T\",\"altTitles\":[\"X\",3]}", "altTitles[1]"},
    {"{\"id\":\"a\",\"title\":\"T\",\"tags\":{\"a\":1}}", "tags"},
    {"{\"id\":\"a\",\"title\":\"T\",\"status\":[\"x\"]}", "status"},
    {"{\"id\":\"a\",\"title\":\"T\",\"status\":\"paused forever\"}", "status"},
    {"{\"id\":\"a\",\"title\":\"T\",\"coverUrl\":\"javascript:alert(1)\"}", "coverUrl"},
    {"{\"id\":\"a\",\"title\":\"T\",\"description\":{}}", "description"},
    {"{\"id\":\"a\",\"id\":\"b\",\"title\":\"T\"}", "duplicate"},
    {"{\"id\":\"a\",\"title\":\"T\\u0000\"}", "invalid JSON"},
};

Test(record, malformed_records_name_the_field)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        struct record r;
        char reason[256] = "";
        int rc = record_parse(bad_cases[i].line, strlen(bad_cases[i].line), &r, reason, sizeof reason);
        cr_expect_eq(rc, -1, "%s should be malformed", bad_cases[i].line);
        cr_expect(strstr(reason, bad_cases[i].reason_has) != NULL, "%s: reason \"%s\" should mention %s",
                  bad_cases[i].line, reason, bad_cases[i].reason_has);
    }
}

Test(record, bounds)
{
    char line[4096];
    char id[300];
    memset(id, 'x', 257);
    id[257] = '\0';
    snprintf(line, sizeof line, "{\"id\":\"%s\",\"title\":\"T\"}", id);
    struct record r;
    char reason[256];
    cr_expect_eq(record_parse(line, strlen(line), &r, reason, sizeof reason), -1);
    cr_expect(strstr(reason, "id") != NULL);
    id[256] = '\0';
    snprintf(line, sizeof line, "{\"id\":\"%s\",\"title\":\"T\"}", id);
    cr_assert_eq(record_parse(line, strlen(line), &r, reason, sizeof reason), 0);
    cr_expect_eq(strlen(r.id), 256);
    record_finish(&r);
}
