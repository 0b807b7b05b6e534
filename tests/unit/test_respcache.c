/* test_respcache — the listener's prepared-reply cache (src/http/respcache.c): an entry is found only under its key,
 * for its generation and within its time to live; a new entry replaces the one in its slot; a replaced entry that a
 * request still holds lives until that request lets go, and its response is destroyed exactly once (counted with
 * libmicrohttpd's free callback). No daemon is needed: responses are plain objects until queued. */
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <stdio.h>

#include "http/respcache.h"

static int freed;

static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void count_free(void *cls)
{
    freed++;
}

static struct MHD_Response *response(void)
{
    return MHD_create_response_from_callback(0, 1024, no_body, NULL, count_free);
}

Test(respcache, found_by_key_generation_and_age_only)
{
    freed = 0;
    struct http_respcache *c = http_respcache_create();
    http_shared_unref(http_respcache_put(c, response(), 200, 5120, "key-a", "\"etag-a\"", 7, 1000));
    struct http_shared *e = http_respcache_get(c, "key-a", 7, 1000 + HTTP_RESPCACHE_TTL_MS - 1);
    cr_assert_not_null(e, "fresh, same generation");
    cr_expect_str_eq(e->tag, "\"etag-a\"");
    cr_expect_eq(e->size, 5120);
    cr_expect_eq(e->status, 200);
    http_shared_unref(e);
    cr_expect_null(http_respcache_get(c, "key-b", 7, 1000), "another key");
    cr_expect_null(http_respcache_get(c, "key-a", 8, 1000), "an invalidation bumped the generation");
    cr_expect_null(http_respcache_get(c, "key-a", 7, 1000 + HTTP_RESPCACHE_TTL_MS), "older than the TTL");
    cr_expect_eq(freed, 0, "still cached");
    http_respcache_destroy(c);
    cr_expect_eq(freed, 1, "destroyed with the cache");
}

Test(respcache, a_replaced_entry_lives_until_its_last_holder_lets_go)
{
    freed = 0;
    struct http_respcache *c = http_respcache_create();
    http_shared_unref(http_respcache_put(c, response(), 200, 1, "key-a", "t1", 1, 0));
    struct http_shared *held = http_respcache_get(c, "key-a", 1, 0); /* a request in flight */
    cr_assert_not_null(held);
    http_shared_unref(http_respcache_put(c, response(), 200, 2, "key-a", "t2", 2, 0)); /* same key: same slot */
    cr_expect_eq(freed, 0, "the request still holds the old one");
    struct http_shared *now = http_respcache_get(c, "key-a", 2, 0);
    cr_assert_not_null(now);
    cr_expect_str_eq(now->tag, "t2", "the new entry answers");
    http_shared_unref(now);
    http_shared_unref(held);
    cr_expect_eq(freed, 1, "the old response goes with its last holder");
    http_respcache_destroy(c);
    cr_expect_eq(freed, 2);
}

Test(respcache, the_table_is_bounded)
{
    freed = 0;
    struct http_respcache *c = http_respcache_create();
    char key[32];
    for (int i = 0; i < 4 * HTTP_RESPCACHE_SLOTS; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        http_shared_unref(http_respcache_put(c, response(), 200, 1, key, "", 1, 0));
    }
    cr_expect_geq(freed, 3 * HTTP_RESPCACHE_SLOTS, "at most one entry per slot is kept (freed %d)", freed);
    http_respcache_destroy(c);
    cr_expect_eq(freed, 4 * HTTP_RESPCACHE_SLOTS);
}
