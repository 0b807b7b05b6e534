/*
 * lines — see lines.h. A line that lies wholly inside one decoded chunk is handed out in place (no copy); only a
 * line split across chunks is assembled in `buf`, which never grows past max_line.
 */
#include "providers/lines.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define INFLATE_CHUNK (256 * 1024)

enum mode { MODE_SNIFF, MODE_PLAIN, MODE_GZIP };

struct line_reader {
    size_t max_line;
    line_fn fn;
    void *user;
    enum mode mode;
    unsigned char sniff[2];
    size_t nsniff;
    z_stream z;
    bool z_ready;   /* inflateInit2 done */
    bool z_between; /* at the end of a gzip member: more data starts a new member */
    unsigned char *out;
    char *buf; /* the partial line carried over between chunks */
    size_t len;
    bool discarding; /* the current line already passed max_line */
    int64_t lineno;
    char err[160];
};

struct line_reader *line_reader_create(size_t max_line, line_fn fn, void *user)
{
    struct line_reader *lr = xcalloc(1, sizeof *lr);
    lr->buf = xmalloc(max_line + 1);
    lr->max_line = max_line;
    lr->fn = fn;
    lr->user = user;
    return lr;
}

static int emit(struct line_reader *lr, const char *text, size_t len)
{
    lr->lineno++;
    if (lr->discarding) {
        lr->discarding = false;
        return lr->fn(lr->user, lr->lineno, NULL, 0, true);
    }
    if (len && text[len - 1] == '\r')
        len--;
    return lr->fn(lr->user, lr->lineno, text, len, false);
}

/* Adds `n` bytes of the current (unfinished) line to buf, or starts discarding it once past max_line. */
static void carry(struct line_reader *lr, const char *p, size_t n)
{
    if (lr->discarding)
        return;
    if (lr->len + n > lr->max_line + 1) { /* +1: a trailing '\r' may still be cut */
        lr->discarding = true;
        lr->len = 0;
        return;
    }
    memcpy(lr->buf + lr->len, p, n);
    lr->len += n;
}

/* True when the carried line, without a trailing '\r', is longer than max_line. */
static bool carried_too_long(const struct line_reader *lr)
{
    return lr->len - (lr->len && lr->buf[lr->len - 1] == '\r') > lr->max_line;
}

/* Splits decoded bytes into lines. */
static int split(struct line_reader *lr, const char *p, size_t n)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        if (!nl) {
            carry(lr, p, n);
            return 0;
        }
        size_t k = (size_t)(nl - p);
        int rc;
        if (lr->len == 0 && !lr->discarding) { /* the whole line is in this chunk: no copy */
            if (k - (k && p[k - 1] == '\r') > lr->max_line)
                lr->discarding = true;
            rc = emit(lr, p, k);
        } else {
            carry(lr, p, k);
            if (!lr->discarding && carried_too_long(lr))
                lr->discarding = true;
            rc = emit(lr, lr->buf, lr->len);
            lr->len = 0;
        }
        if (rc)
            return rc;
        p = nl + 1;
        n -= k + 1;
    }
    return 0;
}

static int gz_fail(struct line_reader *lr, const char *what)
{
    snprintf(lr->err, sizeof lr->err, "gzip: %s%s%s", what, lr->z.msg ? ": " : "", lr->z.msg ? lr->z.msg : "");
    return -1;
}

static int inflate_some(struct line_reader *lr, const unsigned char *p, size_t n)
{
    if (!lr->z_ready) {
        lr->out = xmalloc(INFLATE_CHUNK);
        if (inflateInit2(&lr->z, 15 + 16) != Z_OK)
            abort(); /* only fails for lack of memory: the same policy as xalloc */
        lr->z_ready = true;
    }
    lr->z.next_in = (unsigned char *)p;
    lr->z.avail_in = (uInt)n;
    while (lr->z.avail_in) {
        if (lr->z_between) {
            if (inflateReset(&lr->z) != Z_OK)
                return gz_fail(lr, "cannot restart");
            lr->z_between = false;
        }
        lr->z.next_out = lr->out;
        lr->z.avail_out = INFLATE_CHUNK;
        uInt before = lr->z.avail_in;
        int zr = inflate(&lr->z, Z_NO_FLUSH);
        if ((zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) ||
            (zr == Z_BUF_ERROR && lr->z.avail_in == before && lr->z.avail_out == INFLATE_CHUNK))
            return gz_fail(lr, "corrupt data");
        int rc = split(lr, (const char *)lr->out, INFLATE_CHUNK - lr->z.avail_out);
        if (rc)
            return rc;
        if (zr == Z_STREAM_END)
            lr->z_between = true;
    }
    return 0;
}

static int dispatch(struct line_reader *lr, const unsigned char *p, size_t n)
{
    return lr->mode == MODE_GZIP ? inflate_some(lr, p, n) : split(lr, (const char *)p, n);
}

int line_reader_feed(struct line_reader *lr, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (lr->mode == MODE_SNIFF) {
        while (len && lr->nsniff < 2) {
            lr->sniff[lr->nsniff++] = *p++;
            len--;
        }
        if (lr->nsniff < 2)
            return 0;
        lr->mode = lr->sniff[0] == 0x1f && lr->sniff[1] == 0x8b ? MODE_GZIP : MODE_PLAIN;
        size_t ns = lr->nsniff;
        int rc = dispatch(lr, lr->sniff, ns);
        if (rc)
            return rc;
    }
    return len ? dispatch(lr, p, len) : 0;
}

int line_reader_end(struct line_reader *lr)
{
    if (lr->mode == MODE_SNIFF) {
        lr->mode = MODE_PLAIN;
        int rc = split(lr, (const char *)lr->sniff, lr->nsniff);
        if (rc)
            return rc;
    }
    if (lr->mode == MODE_GZIP && !lr->z_between) {
        snprintf(lr->err, sizeof lr->err, "gzip: the stream ends inside a member (truncated download?)");
        return -1;
    }
    if (lr->len || lr->discarding) {
        if (!lr->discarding && carried_too_long(lr))
            lr->discarding = true;
        int rc = emit(lr, lr->buf, lr->len);
        lr->len = 0;
        return rc;
    }
    return 0;
}

const char *line_reader_error(const struct line_reader *lr)
{
    return lr->err;
}

bool line_reader_gzip(const struct line_reader *lr)
{
    return lr->mode == MODE_GZIP;
}

int64_t line_reader_lines(const struct line_reader *lr)
{
    return lr->lineno;
}

void line_reader_destroy(struct line_reader *lr)
{
    if (!lr)
        return;
    if (lr->z_ready)
        inflateEnd(&lr->z);
    free(lr->out);
    free(lr->buf);
    free(lr);
}
