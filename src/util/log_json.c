/* log_json — see log_json.h. A tiny logfmt tokenizer feeding a bounded JSON writer. */
#include "util/log_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define TAIL_ROOM 24 /* always left for `,"truncated":true}` and the newline */

struct jbuf {
    char *out;
    size_t len, cap; /* cap excludes TAIL_ROOM and the NUL */
    bool full;
};

static void put(struct jbuf *b, const char *s, size_t n)
{
    if (b->full || b->len + n > b->cap) {
        b->full = true;
        return;
    }
    memcpy(b->out + b->len, s, n);
    b->len += n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
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

/* Appends s[0..n) as the inside of a JSON string; `unescape` turns \" and \\ into " and \. Atomic per field:
 * the caller checks b->full and rolls back. */
static void put_escaped(struct jbuf *b, const char *s, size_t n, bool unescape)
{
    char esc[8];
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (unescape && c == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
            c = (unsigned char)s[++i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
            i++;
        } else {
            size_t u = utf8_len((const unsigned char *)s + i, n - i);
            if (u)
                put(b, s + i, u);
            else
                put(b, "\\ufffd", 6);
            i += u ? u : 1;
        }
    }
}

/* Whether s[0..n) is a JSON number (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?). */
static bool is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

/* Length of a `key=` at p (key chars then '='), 0 when p does not start one. */
static size_t key_at(const char *p)
{
    size_t n = 0;
    while (key_char(p[n]))
        n++;
    return n && p[n] == '=' ? n : 0;
}

/*
 * End of the quoted value starting after the opening quote at p: the first unescaped `"` followed by the end or by
 * ` key=`; failing that, the first one followed by a space; NULL when there is none (an unterminated quote).
 */
static const char *quoted_end(const char *p)
{
    for (int strict = 1; strict >= 0; strict--)
        for (const char *q = p; (q = strchr(q, '"')) != NULL; q++) {
            if (q > p && q[-1] == '\\' && !(q - 1 > p && q[-2] == '\\'))
                continue; /* \" inside the value */
            if (!q[1] || (q[1] == ' ' && (!strict || key_at(q + 2))))
                return q;
        }
    return NULL;
}

enum value_kind { BARE, QUOTED, TEXT }; /* BARE may become a number; QUOTED is unescaped; TEXT stays a string */

static void put_field(struct jbuf *b, const char *k, size_t kn, const char *v, size_t vn, enum value_kind kind)
{
    size_t mark = b->len;
    put(b, ",\"", 2);
    put_escaped(b, k, kn, false);
    put(b, "\":", 2);
    if (kind == BARE && is_number(v, vn)) {
        put(b, v, vn);
    } else {
        put(b, "\"", 1);
        put_escaped(b, v, vn, kind == QUOTED);
        put(b, "\"", 1);
    }
    if (b->full)
        b->len = mark; /* a field goes in whole or not at all */
}

size_t log_json_format(const char *ts, const char *level, const char *body, char *out, size_t len)
{
    struct jbuf b = {.out = out, .cap = len - TAIL_ROOM - 1};
    char text[1024];
    size_t tn = 0;
    put(&b, "{\"ts\":\"", 7);
    put_escaped(&b, ts, strlen(ts), false);
    put(&b, "\",\"level\":\"", 11);
    put_escaped(&b, level, strlen(level), false);
    put(&b, "\"", 1);
    for (const char *p = body; *p && !b.full;) {
        p += strspn(p, " ");
        size_t kn = key_at(p);
        const char *v = p + kn + 1, *end;
        if (!*p) {
            break;
        } else if (kn && *v == '"' && (end = quoted_end(v + 1)) != NULL) {
            put_field(&b, p, kn, v + 1, (size_t)(end - v - 1), QUOTED);
            p = end + 1;
        } else if (kn && *v == '"') { /* an unterminated quote: the rest of the line is the value */
            put_field(&b, p, kn, v + 1, strlen(v + 1), QUOTED);
            p = v + strlen(v);
        } else {
            size_t w = strcspn(p, " ");
            if (kn)
                put_field(&b, p, kn, v, w - kn - 1, BARE);
            else if (tn + w + 1 < sizeof text)
                tn += (size_t)snprintf(text + tn, sizeof text - tn, "%s%.*s", tn ? " " : "", (int)w, p);
            p += w;
        }
    }
    if (tn)
        put_field(&b, "text", 4, text, tn, TEXT);
    const char *tail = b.full ? ",\"truncated\":true}\n" : "}\n";
    memcpy(out + b.len, tail, strlen(tail) + 1); /* TAIL_ROOM reserved it */
    return b.len + strlen(tail);
}
