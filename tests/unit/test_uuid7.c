/*
 * Unit tests for util/uuid7.c: version and variant bits, the embedded timestamp, strict ordering within one
 * millisecond and across a clock step backwards, uniqueness across threads, and the canonical text form.
 * Criterion runs each test in its own process, so each starts with fresh generator state.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/uuid7.h"

#define BASE_MS UINT64_C(1735689600123) /* 2025-01-01T00:00:00.123Z */
#define THREADS 4
#define PER_THREAD 10000

static void make_ok(uint64_t ms, uint8_t id[16])
{
    cr_assert_eq(uuid7_make(ms, id), 0, "uuid7_make failed");
}

Test(uuid7, version_and_variant_bits)
{
    for (int i = 0; i < 1000; i++) {
        uint8_t id[16];
        make_ok(BASE_MS + (uint64_t)i / 10, id);
        cr_assert_eq(id[6] >> 4, 7, "version nibble is %x", id[6] >> 4);
        cr_assert_eq(id[8] & 0xc0, 0x80, "variant bits are %x", id[8] >> 6);
    }
}

Test(uuid7, timestamp_round_trip)
{
    const uint64_t stamps[] = {0x000001, BASE_MS, BASE_MS + 1, UINT64_C(0xfffffffffffe)};
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        uint8_t id[16];
        make_ok(stamps[i], id);
        cr_assert_eq(uuid7_unix_ms(id), stamps[i], "%llx", (unsigned long long)stamps[i]);
        if (stamps[i] == BASE_MS) {
            const uint8_t be[6] = {0x01, 0x94, 0x1f, 0x29, 0x7c, 0x7b}; /* 0x01941f297c7b, big-endian */
            cr_assert(memcmp(id, be, 6) == 0, "the timestamp is big-endian in bytes 0..5");
        }
    }
}

Test(uuid7, strictly_increasing_within_one_millisecond)
{
    uint8_t prev[16], cur[16];
    make_ok(BASE_MS, prev);
    for (int i = 1; i < 100000; i++) {
        make_ok(BASE_MS, cur);
        cr_assert(memcmp(prev, cur, 16) < 0, "id %d is not greater than the one before", i);
        memcpy(prev, cur, 16);
    }
    /* 100k ids need at least 100000 / 4096 counter rollovers, each borrowing one millisecond from the future */
    uint64_t last = uuid7_unix_ms(prev);
    cr_assert_geq(last, BASE_MS + 100000 / 4096);
    cr_assert_leq(last, BASE_MS + 100000 / 2048 + 1);
}

Test(uuid7, clock_stepping_back_keeps_order)
{
    uint8_t a[16], b[16], c[16];
    make_ok(BASE_MS + 1000, a);
    make_ok(BASE_MS, b); /* the clock went back one second */
    make_ok(BASE_MS + 1001, c);
    cr_assert(memcmp(a, b, 16) < 0);
    cr_assert(memcmp(b, c, 16) < 0);
    cr_assert_eq(uuid7_unix_ms(b), BASE_MS + 1000, "the last timestamp is reused");
    cr_assert_eq(uuid7_unix_ms(c), BASE_MS + 1001);
}

static uint8_t thread_ids[THREADS][PER_THREAD][16];

static void *make_many(void *arg)
{
    uint8_t(*ids)[16] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        if (uuid7_make(BASE_MS + (uint64_t)i / 1000, ids[i]) != 0)
            return (void *)1;
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

Test(uuid7, unique_across_threads)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, make_many, thread_ids[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        cr_assert_eq(pthread_join(t[i], &rc), 0);
        cr_assert_null(rc, "thread %d failed to make an id", i);
        for (int k = 1; k < PER_THREAD; k++)
            cr_assert(memcmp(thread_ids[i][k - 1], thread_ids[i][k], 16) < 0, "thread %d id %d out of order", i, k);
    }
    uint8_t(*all)[16] = &thread_ids[0][0];
    qsort(all, THREADS * PER_THREAD, 16, compare_ids);
    for (int k = 1; k < THREADS * PER_THREAD; k++)
        cr_assert(memcmp(all[k - 1], all[k], 16) != 0, "duplicate id at sorted index %d", k);
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 8-4-4-4-12 lowercase hex, version 7, variant 8/9/a/b. */
static void assert_canonical(const char *s)
{
    cr_assert_eq(strlen(s), UUID7_STRLEN, "\"%s\"", s);
    for (int i = 0; i < UUID7_STRLEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            cr_assert_eq(s[i], '-', "\"%s\" position %d", s, i);
        else
            cr_assert(is_lower_hex(s[i]), "\"%s\" position %d", s, i);
    }
    cr_assert_eq(s[14], '7', "\"%s\" version", s);
    cr_assert(strchr("89ab", s[19]) != NULL, "\"%s\" variant", s);
}

Test(uuid7, text_format)
{
    const uint8_t known[16] = {0x01, 0x94, 0x1f, 0x29, 0x7c, 0x00, 0x7a, 0xbc,
                               0x9d, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab};
    char s[UUID7_STRLEN + 1];
    uuid7_format(known, s);
    cr_assert_str_eq(s, "01941f29-7c00-7abc-9def-0123456789ab");
    assert_canonical(s);

    char prev[UUID7_STRLEN + 1] = "";
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(uuid7_new_string(s), 0);
        assert_canonical(s);
        cr_assert_gt(strcmp(s, prev), 0, "text ids sort like the bytes: \"%s\" after \"%s\"", s, prev);
        strcpy(prev, s);
    }
}

Test(uuid7, new_string_uses_the_wall_clock)
{
    char s[UUID7_STRLEN + 1];
    uint8_t id[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    cr_assert_eq(uuid7_new_string(s), 0);
    for (int i = 0, k = 0; i < UUID7_STRLEN; i += 2, k++) {
        if (s[i] == '-')
            i++;
        id[k] = (uint8_t)strtoul((char[]){s[i], s[i + 1], '\0'}, NULL, 16);
    }
    uint64_t ms = uuid7_unix_ms(id);
    cr_assert(ms >= now && ms < now + 5000, "embedded %llu, clock %llu", (unsigned long long)ms,
              (unsigned long long)now);
}
