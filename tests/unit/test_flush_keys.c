/*
 * Unit tests for jobs/flush_redis.c's pure parts: which Redis key names are view counters (and their ids), and the
 * Postgres array literals a flush set builds for unnest().
 */
#include <criterion/criterion.h>
#include <string.h>

#include "jobs/flush_redis.h"

static int parse(const char *k, char *id, size_t idcap)
{
    const char *p;
    size_t n;
    int kind = flush_parse_key(k, strlen(k), &p, &n);
    if (kind) {
        cr_assert_lt(n, idcap);
        memcpy(id, p, n);
        id[n] = '\0';
    }
    return kind;
}

Test(flush_keys, parses_counters)
{
    char id[32];
    cr_expect_eq(parse("comic:42:views", id, sizeof id), 'c');
    cr_expect_str_eq(id, "42");
    cr_expect_eq(parse("chapter:123456789012345678:views", id, sizeof id), 'h');
    cr_expect_str_eq(id, "123456789012345678");
    const char *bad[] = {"comic::views", "comic:0:views", "comic:012:views", "comic:-1:views", "comic:1:2:views",
                         "comic:abc:views", "comic:1:view", "comic:1:viewsx", "comics:1:views", "chapter:1",
                         "chapter:1234567890123456789:views", "comic:1 :views", "page:1:views", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse(bad[i], id, sizeof id), 0, "should refuse \"%s\"", bad[i]);
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
