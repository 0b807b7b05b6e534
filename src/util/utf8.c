/* utf8 — see utf8.h. */
#include "util/utf8.h"

#include <string.h>

size_t utf8_seq_len(const char *str, size_t avail)
{
    const unsigned char *s = (const unsigned char *)str;
    if (!avail)
        return 0;
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!n || n > avail || (n == 2 && s[0] < 0xc2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
        (n == 4 && (s[0] > 0xf4 || (s[0] == 0xf4 && s[1] > 0x8f))) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0))
        return 0; /* overlong, above U+10FFFF, or a surrogate */
    return n;
}

bool utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t u = utf8_seq_len(s + i, n - i);
        if (!u)
            return false;
        i += u;
    }
    return true;
}

size_t utf8_count(const char *s)
{
    size_t n = strlen(s), chars = 0;
    for (size_t i = 0; i < n; chars++) {
        size_t u = utf8_seq_len(s + i, n - i);
        i += u ? u : 1;
    }
    return chars;
}

size_t utf8_sanitize(const char *in, char *out, size_t cap)
{
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n;) {
        size_t u = utf8_seq_len(in + i, n - i);
        const char *src = u ? in + i : replacement;
        size_t len = u ? u : 3;
        if (o + len >= cap)
            break;
        memcpy(out + o, src, len);
        o += len;
        i += u ? u : 1;
    }
    out[o] = '\0';
    return o;
}
