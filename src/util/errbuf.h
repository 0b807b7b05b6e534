/*
 * errbuf — where a parser writes its one human error sentence: the caller's `char *err, size_t errlen` pair.
 *
 * The first error wins: a later errbuf_fail() leaves an earlier sentence in place, so a helper deep in a parse
 * that fails and the caller that notices the failure cannot overwrite each other's more precise message. The text
 * is always NUL-terminated and truncated to the buffer; a zero-length buffer (NULL allowed) discards it.
 */
#ifndef COMICBATCH_ERRBUF_H
#define COMICBATCH_ERRBUF_H

#include <stdbool.h>
#include <stddef.h>

/** The caller's buffer plus whether a sentence has been written to it yet. Embedded; no teardown. */
struct errbuf {
    char *buf;
    size_t len;
    bool written;
};

/** Wraps the caller's buffer (`buf` may be NULL when `len` is 0) and empties it, so success leaves "". */
struct errbuf errbuf_init(char *buf, size_t len);

/** Writes a printf-style sentence unless one is already there; always returns -1 (`return errbuf_fail(e, ...)`). */
__attribute__((format(printf, 2, 3))) int errbuf_fail(struct errbuf *e, const char *fmt, ...);

#endif
