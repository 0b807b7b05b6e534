/*
 * Unit tests for jobs/flush_redis.c's pure parts: which Redis key names are view counters (and their ids), and the
 * Postgres array literals a flush set builds for unnest().
 */
#include <criterion/criterion.h>
#include <string.h>

#include "jobs/flush_redis.h"

static const struct flush_ids ints = {false, false}, uuids = {true, true};

static int parse_as(const struct flush_ids *ids, const char *k, char *id, size_t idcap)
{
    const char *p;
    size_t n;
    int kind = flush_parse_key(k, strlen(k), ids, &p, &n);
    if (kind) {
        cr_assert_lt(n, idcap);
        memcpy(id, p, n);
        id[n] = '\0';
    }
    return kind;
}

static int parse(const char *k, char *id, size_t idcap)
{
    return parse_as(&ints, k, id, idcap);
}

Test(flush_keys, parses_counters)
{
    char id[32];
    cr_expect_eq(parse("comic:42:views", id, sizeof id), 'c');
    cr_expect_str_eq(id, "42");
    cr_expect_eq(parse("chapter:123456789012345678:views", id, sizeof id), 'h');
    cr_expect_str_eq(id, "123456789012345678");
    const char *bad[] = {"comic::views",
                         "comic:0:views",
                         "comic:012:views",
                         "comic:-1:views",
                         "comic:1:2:views",
                         "comic:abc:views",
                         "comic:1:view",
                         "comic:1:viewsx",
                         "comics:1:views",
                         "chapter:1",
                         "chapter:1234567890123456789:views",
                         "comic:1 :views",
                         "page:1:views",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse(bad[i], id, sizeof id), 0, "should refuse \"%s\"", bad[i]);
}

Test(flush_keys, uuid_ids_when_the_platform_uses_them)
{
    char id[40];
    cr_expect_eq(parse_as(&uuids, "comic:0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f:views", id, sizeof id), 'c');
    cr_expect_str_eq(id, "0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f");
    cr_expect_eq(parse_as(&uuids, "chapter:0B7C5E6A-1F0E-4C6E-9D3C-7A1B2C3D4E5F:views", id, sizeof id), 'h');
    cr_expect_eq(parse_as(&uuids, "comic:42:views", id, sizeof id), 0, "an integer id on a uuid platform");
    cr_expect_eq(parse(id, id, sizeof id), 0);
    cr_expect_eq(parse("comic:0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f:views", id, sizeof id), 0,
                 "a uuid on an integer platform");
    const char *bad[] = {"comic:0b7c5e6a1f0e4c6e9d3c7a1b2c3d4e5f:views",
                         "comic:0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5:views",
                         "comic:gb7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f:views"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse_as(&uuids, bad[i], id, sizeof id), 0, "should refuse \"%s\"", bad[i]);
}

Test(flush_keys, empty_set_gives_empty_arrays)
{
    struct flush_set s;
    flush_set_init(&s);
    flush_set_seal(&s);
    cr_expect_str_eq(s.comics.ids, "{}");
    cr_expect_str_eq(s.chapters.views, "{}");
    cr_expect_eq(s.comics.n, 0);
    flush_set_finish(&s);
}
