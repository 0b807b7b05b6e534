/* jsontext — see jsontext.h. */
#include "util/jsontext.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

static void reserve(struct jsontext *j, size_t more)
{
    if (j->len + more + 1 <= j->cap)
        return;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < j->len + more + 1)
        cap *= 2;
    j->s = xrealloc(j->s, cap);
    j->cap = cap;
}

void jsontext_raw(struct jsontext *j, const char *s, size_t n)
{
    reserve(j, n);
    memcpy(j->s + j->len, s, n);
    j->len += n;
    j->s[j->len] = '\0';
}

void jsontext_lit(struct jsontext *j, const char *s)
{
    jsontext_raw(j, s, strlen(s));
}

/* The escape of byte c ("\\n", "\\u001f", …) into out (7 bytes), or 0 when c is copied as it is. */
static size_t escape(unsigned char c, char out[7])
{
    static const char named[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    if (c == '"' || c == '\\' || (c < sizeof named && named[c])) {
        out[0] = '\\';
        out[1] = c == '"' || c == '\\' ? (char)c : named[c];
        return 2;
    }
    if (c < 0x20)
        return (size_t)snprintf(out, 7, "\\u%04x", c);
    return 0;
}

void jsontext_str(struct jsontext *j, const char *s, size_t n)
{
    reserve(j, n + 2);
    j->s[j->len++] = '"';
    size_t from = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n; i++) {
        char esc[7];
        size_t e = escape((unsigned char)s[i], esc);
        if (!e)
            continue;
        jsontext_raw(j, s + from, i - from);
        jsontext_raw(j, esc, e);
        from = i + 1;
    }
    jsontext_raw(j, s + from, n - from);
    jsontext_raw(j, "\"", 1);
}

char *jsontext_take(struct jsontext *j)
{
    char *s = j->s ? j->s : xstrdup("");
    *j = (struct jsontext){0};
    return s;
}
