/* log_json — see log_json.h. A tiny logfmt tokenizer feeding a bounded JSON writer. */
#include "util/log_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

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

/* Appends byte c as the inside of a JSON string (a byte of a UTF-8 character goes through put_char). */
static void put_byte(struct jbuf *b, unsigned char c)
{
    char esc[8];
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        put(b, esc, 2);
    } else if (c < 0x20) {
        put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
    } else {
        put(b, (const char *)&c, 1);
    }
}

static int hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/*
 * The escape at s[0..n) (s[0] is a backslash) as log_body.c writes them: \" \\ \n \r \t and \u00XX. Sets *c to the
 * byte it stands for and returns its length; 0 when it is none of those (then the backslash is a plain byte).
 */
static size_t unescape(const char *s, size_t n, unsigned char *c)
{
    const char *from = "\"\\nrt", *to = "\"\\\n\r\t", *at = n >= 2 && s[1] ? strchr(from, s[1]) : NULL;
    if (at) {
        *c = (unsigned char)to[at - from];
        return 2;
    }
    int v = n >= 6 && s[1] == 'u' && s[2] == '0' && s[3] == '0' && hex(s[4]) >= 0 && hex(s[5]) >= 0
                ? hex(s[4]) * 16 + hex(s[5])
                : 0x80;
    if (v >= 0x80) /* \u0080 and up are not written by log_body.c */
        return 0;
    *c = (unsigned char)v;
    return 6;
}

/* Appends s[0..n) as the inside of a JSON string; `unescape_it` decodes log_body.c's escapes first. Atomic per
 * field: the caller checks b->full and rolls back. */
static void put_escaped(struct jbuf *b, const char *s, size_t n, bool unescape_it)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = unescape_it && c == '\\' ? unescape(s + i, n - i, &c) : 0;
        if (k || c < 0x80) {
            put_byte(b, c);
            i += k ? k : 1;
            continue;
        }
        size_t u = utf8_seq_len(s + i, n - i);
        if (u)
            put(b, s + i, u);
        else
            put(b, "\\ufffd", 6);
        i += u ? u : 1;
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

/* The closing quote of the quoted value starting after the opening quote at p: the first `"` that no backslash
 * escapes; NULL when there is none (an unterminated quote). */
static const char *quoted_end(const char *p)
{
    for (; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '"')
            return p;
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

size_t log_json_format(const char *ts, const char *level, const char *body, bool truncated, char *out, size_t len)
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
    const char *tail = b.full || truncated ? ",\"truncated\":true}\n" : "}\n";
    memcpy(out + b.len, tail, strlen(tail) + 1); /* TAIL_ROOM reserved it */
    return b.len + strlen(tail);
}
