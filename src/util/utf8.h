/*
 * utf8 — checks and repairs UTF-8 text that came from outside (request paths, query strings, bodies echoed in
 * error messages). Valid means what RFC 3629 and JSON allow: no overlong forms, no surrogates, nothing above
 * U+10FFFF. Pure; no allocation.
 */
#ifndef COMICBATCH_UTF8_H
#define COMICBATCH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** Length (1..4) of the valid UTF-8 sequence at s[0..avail), or 0 when it does not start one. */
size_t utf8_seq_len(const char *s, size_t avail);

/** Whether s[0..n) is valid UTF-8. */
bool utf8_valid(const char *s, size_t n);

/** Characters (code points) in the valid UTF-8 text `s` (an invalid byte counts as one). */
size_t utf8_count(const char *s);

/**
 * Copies `in` into out[0..cap) (cap >= 4) as valid UTF-8: each invalid byte becomes U+FFFD, and the text is cut
 * on a character boundary when it does not fit. Always NUL-terminates. Returns the bytes written (without NUL).
 */
size_t utf8_sanitize(const char *in, char *out, size_t cap);

#endif
