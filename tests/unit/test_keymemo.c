/*
 * Unit tests for covers/keymemo.c: a remembered URL gives back its key; any other URL — one sharing its slot, one
 * differing by a byte, one too long to remember — is a miss, never another URL's key; the table is per thread.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "covers/keymemo.h"

/* A distinct 64-hex-digit key for `n`. */
static void key_of(int n, char key[COVER_KEY_LEN + 1])
{
    for (int i = 0; i < COVER_KEY_LEN; i++)
        key[i] = "0123456789abcdef"[(n + i * 7) % 16];
    key[COVER_KEY_LEN] = '\0';
    snprintf(key, 9, "%08x", (unsigned)n);
    key[8] = 'k';
}

Test(keymemo, remembered_url_gives_its_key_others_miss)
{
    char k1[COVER_KEY_LEN + 1], got[COVER_KEY_LEN + 1] = "untouched";
    key_of(1, k1);
    const char *u = "https://img.example.com/covers/1.jpg";
    cr_assert_not(keymemo_get(u, got));
    cr_assert_str_eq(got, "untouched", "a miss leaves the key alone");
    keymemo_put(u, k1);
    cr_assert(keymemo_get(u, got));
    cr_assert_str_eq(got, k1);
    cr_assert_not(keymemo_get("https://img.example.com/covers/1.jpG", got), "one byte differs: a miss");
    cr_assert_not(keymemo_get("https://img.example.com/covers/1.jp", got), "a prefix: a miss");
    cr_assert_not(keymemo_get("", got));
}

/* Many URLs (more than the slots): each lookup gives its own key or a miss, never another URL's key. */
Test(keymemo, collisions_are_misses_never_wrong_keys)
{
    char url[64], key[COVER_KEY_LEN + 1], got[COVER_KEY_LEN + 1];
    const int n = KEYMEMO_SLOTS * 8;
    for (int i = 0; i < n; i++) {
        snprintf(url, sizeof url, "https://img.example.com/c/%d.png", i);
        key_of(i, key);
        keymemo_put(url, key);
    }
    int hits = 0;
    for (int i = 0; i < n; i++) {
        snprintf(url, sizeof url, "https://img.example.com/c/%d.png", i);
        key_of(i, key);
        if (keymemo_get(url, got)) {
            cr_assert_str_eq(got, key, "%s", url);
            hits++;
        }
    }
    cr_assert(hits > 0 && hits <= KEYMEMO_SLOTS, "%d hits for %d slots", hits, KEYMEMO_SLOTS);
}

Test(keymemo, long_urls_are_not_remembered)
{
    char url[KEYMEMO_URL_MAX + 2], key[COVER_KEY_LEN + 1], got[COVER_KEY_LEN + 1];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    memcpy(url, "https://", 8);
    key_of(7, key);
    keymemo_put(url, key);
    cr_assert_not(keymemo_get(url, got));
    url[KEYMEMO_URL_MAX] = '\0'; /* exactly the longest remembered */
    keymemo_put(url, key);
    cr_assert(keymemo_get(url, got));
    cr_assert_str_eq(got, key);
}

static void *other_thread(void *arg)
{
    char got[COVER_KEY_LEN + 1];
    *(bool *)arg = keymemo_get("https://img.example.com/thread.png", got);
    return NULL;
}

Test(keymemo, per_thread)
{
    char key[COVER_KEY_LEN + 1];
    key_of(9, key);
    keymemo_put("https://img.example.com/thread.png", key);
    bool seen = true;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, other_thread, &seen), 0);
    pthread_join(t, NULL);
    cr_assert_not(seen, "another thread has a table of its own");
}
