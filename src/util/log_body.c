/*
 * log_body — see log_body.h. One pass over the format: literal text is copied as it comes, each conversion is read
 * off the va_list by hand (so its text can be escaped before it joins the line), and the logfmt position — between
 * fields, in a bare value, in a quoted value — decides how that text is written.
 *
 * Truncation works in units: an escape (`\"`, `\u0001`) or a UTF-8 character goes in whole or not at all, and
 * LOG_BODY_RESERVE bytes stay free so a cut quoted value can always be closed.
 */
#include "util/log_body.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <wchar.h>

#include "util/utf8.h"

#define MAX_BODY 4096 /* bytes of `out` ever used (the bare-value rewrite copies through a buffer this size) */
#define MAX_WIDTH 400 /* cap on a number's width and precision, so it fits conv_buf */
#define CONV_BUF 1024

struct obuf {
    char *buf;
    size_t len, cap; /* cap leaves LOG_BODY_RESERVE free */
    bool full;       /* something did not fit; nothing more is written */
};

/* Appends s[0..n) whole, or nothing and marks the buffer full. */
static bool put(struct obuf *o, const char *s, size_t n)
{
    if (o->full || o->len > o->cap || n > o->cap - o->len) {
        o->full = true;
        return false;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    return true;
}

/* Appends as much of s[0..n) as fits, cut before a UTF-8 character rather than inside it. */
static void put_cut(struct obuf *o, const char *s, size_t n)
{
    if (o->full || put(o, s, n))
        return;
    size_t k = o->len < o->cap ? o->cap - o->len : 0;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    memcpy(o->buf + o->len, s, k);
    o->len += k;
}

/* Writes into the reserve: only the closing bytes of a cut line. */
static void force(struct obuf *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* Appends s[0..n) escaped for the inside of a quoted value, one escape or character at a time. */
static void put_escaped(struct obuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && !o->full;) {
        unsigned char c = (unsigned char)s[i];
        char esc[8] = {'\\', (char)c};
        size_t k = 1;
        if (c == '"' || c == '\\')
            put(o, esc, 2);
        else if (c == '\n' || c == '\r' || c == '\t')
            put(o, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t", 2);
        else if (c < 0x20 || c == 0x7f)
            put(o, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
        else if ((k = utf8_seq_len(s + i, n - i)) == 0) /* a stray byte is a unit of its own */
            put(o, s + i, k = 1);
        else
            put(o, s + i, k); /* a whole character: a cut never splits it */
        i += k;
    }
}

static void put_spaces(struct obuf *o, size_t n)
{
    static const char spaces[] = "                                ";
    for (size_t k; n && !o->full; n -= k) {
        k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        put_cut(o, spaces, k);
    }
}

/* One printf conversion, parsed. */
struct spec {
    char flags[8];
    int width;   /* 0 = none */
    int prec;    /* -1 = none */
    char len[3]; /* "", hh, h, l, ll, z, j, t, L */
    char conv;
};

static int digits(const char **p)
{
    int v = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++)
        v = v < 100000 ? v * 10 + (**p - '0') : v;
    return v;
}

/* Parses the conversion after a `%` (at *p, advanced past it); `*` widths and precisions are taken from ap. */
static void parse_spec(const char **p, va_list *ap, struct spec *sp)
{
    const char *f = *p;
    size_t nf = 0, nl = 0;
    memset(sp, 0, sizeof *sp);
    while (*f && strchr("-+ #0'", *f) && nf < sizeof sp->flags - 2)
        sp->flags[nf++] = *f++;
    sp->width = *f == '*' ? va_arg(*ap, int) : digits(&f);
    f += *f == '*';
    if (sp->width < 0) { /* a negative `*` width is the `-` flag */
        sp->flags[nf++] = '-';
        sp->width = sp->width == INT_MIN ? MAX_WIDTH : -sp->width;
    }
    sp->prec = -1;
    if (*f == '.') {
        f++;
        sp->prec = *f == '*' ? va_arg(*ap, int) : digits(&f);
        f += *f == '*';
        if (sp->prec < 0) /* a negative `*` precision is no precision */
            sp->prec = -1;
    }
    while (*f && strchr("hlzjtL", *f) && nl < 2)
        sp->len[nl++] = *f++;
    sp->conv = *f ? *f++ : '\0';
    *p = f;
}

/* What a conversion wrote: text s[0..n) with `pad` spaces on its left (or right with the `-` flag). */
struct piece {
    const char *s;
    size_t n, pad;
    bool left, text; /* text: not a decimal number (%s %c %p %x …), so json keeps it a string */
};

static bool has_len(const struct spec *sp, const char *l)
{
    return !strcmp(sp->len, l);
}

/* Formats one number with printf itself, `len` being the length modifier matching the value passed. */
static size_t print_num(const struct spec *sp, const char *len, char *buf, ...)
{
    char f[24]; /* `%<flags>*.*<len><conv>`: width and precision are passed, then the value */
    snprintf(f, sizeof f, "%%%s*.*%s%c", sp->flags, len, sp->conv);
    int w = sp->width > MAX_WIDTH ? MAX_WIDTH : sp->width, pr = sp->prec > MAX_WIDTH ? MAX_WIDTH : sp->prec;
    va_list ap;
    va_start(ap, buf);
    int n;
    if (sp->conv == 'f' || sp->conv == 'F' || sp->conv == 'e' || sp->conv == 'E' || sp->conv == 'g' ||
        sp->conv == 'G' || sp->conv == 'a' || sp->conv == 'A')
        n = has_len(sp, "L") ? snprintf(buf, CONV_BUF, f, w, pr, va_arg(ap, long double))
                             : snprintf(buf, CONV_BUF, f, w, pr, va_arg(ap, double));
    else if (sp->conv == 'd' || sp->conv == 'i')
        n = snprintf(buf, CONV_BUF, f, w, pr, va_arg(ap, intmax_t));
    else
        n = snprintf(buf, CONV_BUF, f, w, pr, va_arg(ap, uintmax_t));
    va_end(ap);
    return n < 0 ? 0 : (size_t)n >= CONV_BUF ? CONV_BUF - 1 : (size_t)n;
}

static size_t conv_signed(const struct spec *sp, va_list *ap, char *buf)
{
    intmax_t v = has_len(sp, "hh")   ? (signed char)va_arg(*ap, int)
                 : has_len(sp, "h")  ? (short)va_arg(*ap, int)
                 : has_len(sp, "l")  ? va_arg(*ap, long)
                 : has_len(sp, "ll") ? va_arg(*ap, long long)
                 : has_len(sp, "z")  ? va_arg(*ap, ssize_t)
                 : has_len(sp, "j")  ? va_arg(*ap, intmax_t)
                 : has_len(sp, "t")  ? va_arg(*ap, ptrdiff_t)
                                     : va_arg(*ap, int);
    return print_num(sp, "j", buf, v);
}

static size_t conv_unsigned(const struct spec *sp, va_list *ap, char *buf)
{
    uintmax_t v = has_len(sp, "hh")   ? (unsigned char)va_arg(*ap, unsigned)
                  : has_len(sp, "h")  ? (unsigned short)va_arg(*ap, unsigned)
                  : has_len(sp, "l")  ? va_arg(*ap, unsigned long)
                  : has_len(sp, "ll") ? va_arg(*ap, unsigned long long)
                  : has_len(sp, "z")  ? va_arg(*ap, size_t)
                  : has_len(sp, "j")  ? va_arg(*ap, uintmax_t)
                  : has_len(sp, "t")  ? (uintmax_t)va_arg(*ap, ptrdiff_t)
                                      : va_arg(*ap, unsigned);
    return print_num(sp, "j", buf, v);
}

static size_t conv_float(const struct spec *sp, va_list *ap, char *buf)
{
    if (has_len(sp, "L"))
        return print_num(sp, "L", buf, va_arg(*ap, long double));
    return print_num(sp, "", buf, va_arg(*ap, double));
}

/* %s, %c, %m and %p: text the piece points at, padded to the width by the caller. */
static void conv_text(const struct spec *sp, va_list *ap, int saved_errno, char *buf, struct piece *pc)
{
    pc->s = buf;
    if (sp->conv == 's') {
        const char *s = has_len(sp, "l") ? (va_arg(*ap, wchar_t *), "?") : va_arg(*ap, const char *);
        pc->s = s ? s : "(null)";
        pc->n = sp->prec >= 0 && s ? strnlen(pc->s, (size_t)sp->prec) : strlen(pc->s);
    } else if (sp->conv == 'c') {
        buf[0] = has_len(sp, "l") ? (va_arg(*ap, wint_t), '?') : (char)va_arg(*ap, int);
        pc->n = 1;
    } else if (sp->conv == 'm') {
        pc->s = strerror_r(saved_errno, buf, CONV_BUF);
        pc->n = strlen(pc->s);
    } else {
        pc->n = (size_t)snprintf(buf, CONV_BUF, "%p", va_arg(*ap, void *));
    }
    pc->pad = (size_t)sp->width > pc->n ? (size_t)sp->width - pc->n : 0;
    pc->left = strchr(sp->flags, '-') != NULL;
}

/* Reads one conversion's argument(s) and formats it into *pc (pointing into buf or at the argument). */
static void convert(const struct spec *sp, va_list *ap, int saved_errno, char *buf, struct piece *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->s = buf;
    pc->text = true;
    switch (sp->conv) {
    case 'd':
    case 'i':
        pc->n = conv_signed(sp, ap, buf);
        pc->text = false;
        return;
    case 'u':
    case 'o':
    case 'x':
    case 'X':
        pc->n = conv_unsigned(sp, ap, buf);
        pc->text = sp->conv != 'u';
        return;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        pc->n = conv_float(sp, ap, buf);
        pc->text = sp->conv == 'a' || sp->conv == 'A';
        return;
    case 's':
    case 'c':
    case 'm':
    case 'p': conv_text(sp, ap, saved_errno, buf, pc); return;
    case 'n':
        (void)va_arg(*ap, void *); /* never written through */
        return;
    default: /* `%%`, or a conversion printf does not have: written as the character */
        buf[0] = sp->conv ? sp->conv : '%';
        pc->n = 1;
        pc->text = sp->conv != '%';
        return;
    }
}

enum where { BETWEEN, BARE, QUOTED };

struct walk {
    struct obuf o;
    enum log_body_quoting quoting;
    enum where at;
    size_t key_len;   /* key characters just written, between fields */
    size_t field_end; /* where the last complete field ends (a cut between fields goes back to it) */
    size_t token;     /* start of the current bare value */
    bool token_conv;  /* the bare value holds a conversion (else it is the code's own literal) */
    bool token_text;  /* … and one of them is text */
    int saved_errno;
};

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

static bool needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '=' || s[i] == '\\' || s[i] == 0x7f)
            return true;
    return n == 0;
}

/* Ends the bare value being written: rewrites it quoted and escaped when its text needs that. */
static void end_bare(struct walk *w)
{
    w->at = BETWEEN;
    w->key_len = 0;
    size_t n = w->o.len - w->token;
    if (!w->token_conv ||
        !((w->quoting == LOG_BODY_QUOTE_STRINGS && w->token_text) || needs_quotes(w->o.buf + w->token, n)))
        return;
    char raw[MAX_BODY];
    memcpy(raw, w->o.buf + w->token, n);
    bool was_full = w->o.full;
    w->o.len = w->token;
    w->o.full = false;
    if (put(&w->o, "\"", 1)) {
        put_escaped(&w->o, raw, n);
        if (!put(&w->o, "\"", 1))
            force(&w->o, "\""); /* the value was cut: close it in the reserve */
    } else {
        force(&w->o, "\"\"");
    }
    w->o.full = w->o.full || was_full;
    w->field_end = w->o.len;
}

/* Writes the text of a conversion (or of `%%`) where the walk is. */
static void place(struct walk *w, const struct piece *pc)
{
    if (!pc->left)
        put_spaces(&w->o, pc->pad);
    if (w->at == QUOTED)
        put_escaped(&w->o, pc->s, pc->n);
    else
        put_cut(&w->o, pc->s, pc->n);
    if (pc->left)
        put_spaces(&w->o, pc->pad);
    if (w->at == BETWEEN && !w->o.full)
        w->field_end = w->o.len; /* a field the code built itself, whole */
    if (w->at == BARE) {
        w->token_conv = true;
        w->token_text = w->token_text || pc->text;
    }
    w->key_len = 0;
}

/* Copies literal format text at *p (advanced), following the logfmt position. */
static void literal(struct walk *w, const char **p)
{
    const char *f = *p;
    if (w->at == QUOTED) {
        size_t run = *f == '\\' && f[1] ? 2 : strcspn(f, "%\"\\");
        if (*f == '"') {
            run = 1;
            w->at = BETWEEN;
            w->key_len = 0;
            if (put(&w->o, f, 1))
                w->field_end = w->o.len;
        } else if (*f == '\\' && f[1])
            put(&w->o, f, run); /* already escaped by the caller */
        else
            put_escaped(&w->o, f, run = run ? run : 1);
        *p = f + run;
        return;
    }
    if (w->at == BARE && *f == ' ')
        end_bare(w);
    if (w->at == BETWEEN && *f == '=' && w->key_len) {
        bool quoted = f[1] == '"';
        put(&w->o, f, quoted ? 2 : 1);
        w->at = quoted ? QUOTED : BARE;
        w->token = w->o.len;
        w->token_conv = w->token_text = false;
        *p = f + (quoted ? 2 : 1);
        return;
    }
    if (w->at == BETWEEN && *f == ' ' && !w->o.full)
        w->field_end = w->o.len;
    put(&w->o, f, 1);
    w->key_len = w->at == BETWEEN && key_char(*f) ? w->key_len + 1 : 0;
    *p = f + 1;
}

/* Closes what a cut (or an unterminated format) left open. */
static void finish(struct walk *w)
{
    if (w->at == QUOTED) {
        force(&w->o, "\"");
    } else if (w->at == BARE) {
        end_bare(w);
    } else if (w->o.full) {
        w->o.len = w->field_end; /* half a key or a half-built field is no field */
    }
    w->o.buf[w->o.len] = '\0';
}

size_t log_body_vformat(char *out, size_t len, enum log_body_quoting quoting, bool *truncated, const char *fmt,
                        va_list ap)
{
    struct walk w = {.o = {.buf = out, .cap = (len > MAX_BODY ? MAX_BODY : len) - LOG_BODY_RESERVE},
                     .quoting = quoting,
                     .saved_errno = errno};
    char buf[CONV_BUF];
    va_list aq;
    va_copy(aq, ap);
    for (const char *p = fmt; *p && !w.o.full;) {
        if (*p != '%') {
            literal(&w, &p);
            continue;
        }
        p++;
        struct spec sp;
        struct piece pc;
        parse_spec(&p, &aq, &sp);
        convert(&sp, &aq, w.saved_errno, buf, &pc);
        place(&w, &pc);
    }
    va_end(aq);
    finish(&w);
    *truncated = w.o.full;
    errno = w.saved_errno;
    return w.o.len;
}

size_t log_body_format(char *out, size_t len, enum log_body_quoting quoting, bool *truncated, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = log_body_vformat(out, len, quoting, truncated, fmt, ap);
    va_end(ap);
    return n;
}
