/* keymemo — see keymemo.h. */
#include "covers/keymemo.h"

#include <stdint.h>
#include <string.h>

struct slot {
    uint16_t len; /* 0: empty */
    char url[KEYMEMO_URL_MAX + 1];
    char key[COVER_KEY_LEN + 1];
};

static _Thread_local struct slot memo[KEYMEMO_SLOTS];

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The slot of `url` (of length len), or NULL when it is too long to be remembered. */
static struct slot *slot_of(const char *url, size_t len)
{
    if (len == 0 || len > KEYMEMO_URL_MAX)
        return NULL;
    return &memo[fnv1a(url, len) % KEYMEMO_SLOTS];
}

bool keymemo_get(const char *url, char key[COVER_KEY_LEN + 1])
{
    size_t len = strlen(url);
    struct slot *s = slot_of(url, len);
    if (!s || s->len != len || memcmp(s->url, url, len) != 0)
        return false;
    memcpy(key, s->key, COVER_KEY_LEN + 1);
    return true;
}

void keymemo_put(const char *url, const char key[COVER_KEY_LEN + 1])
{
    size_t len = strlen(url);
    struct slot *s = slot_of(url, len);
    if (!s)
        return;
    memcpy(s->url, url, len);
    s->url[len] = '\0';
    memcpy(s->key, key, COVER_KEY_LEN + 1);
    s->len = (uint16_t)len;
}
