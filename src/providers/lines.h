/*
 * lines — turns a byte stream that arrives in arbitrary chunks (a file read, a libcurl write callback) into lines,
 * inflating it first when it is gzip. Pure (no I/O): unit-tested on its own.
 *
 * - gzip is detected from the first two bytes (1f 8b), not from a file name; concatenated gzip members are read
 *   one after another (what `cat a.gz b.gz` and pigz produce); a stream that ends inside a member is an error.
 * - A line is what lies between '\n's, without the '\n' and a trailing '\r'. The last line needs no '\n'.
 * - Memory is bounded: a line longer than `max_line` bytes is not kept; its callback gets too_long = true and no
 *   text, and reading continues with the next line.
 * Line numbers count from 1 and include blank lines.
 */
#ifndef COMICBATCH_LINES_H
#define COMICBATCH_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct line_reader;

/**
 * Called once per line. `text` is not NUL-terminated and only valid during the call (NULL when too_long).
 * Return 0 to go on, anything else to stop: the feed then fails with that value.
 */
typedef int (*line_fn)(void *user, int64_t lineno, const char *text, size_t len, bool too_long);

/** Creates a reader calling `fn(user, …)` per line. Destroy with line_reader_destroy. */
struct line_reader *line_reader_create(size_t max_line, line_fn fn, void *user);

/**
 * Feeds `len` raw bytes. Returns 0; a callback's non-zero value when it asked to stop; or -1 when the gzip data is
 * corrupt (line_reader_error says why).
 */
int line_reader_feed(struct line_reader *lr, const void *buf, size_t len);

/** Ends the stream: emits the last line when it had no '\n'. Returns like line_reader_feed (-1: truncated gzip). */
int line_reader_end(struct line_reader *lr);

/** Why the last -1 happened. Borrowed. */
const char *line_reader_error(const struct line_reader *lr);

/** True when the stream was gzip. */
bool line_reader_gzip(const struct line_reader *lr);

/** Lines emitted so far. */
int64_t line_reader_lines(const struct line_reader *lr);

/** Frees the reader (NULL is fine). */
void line_reader_destroy(struct line_reader *lr);

#endif
