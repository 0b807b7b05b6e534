/*
 * log_body — formats the body of a log line (`msg="…" key=value …`, everything after `ts=… level=…`) from the
 * callers' printf-style format, escaping the values centrally so no value can end its field, forge another field or
 * break the line. Pure (no clock, no I/O): unit-tested on its own; log.c writes what it returns.
 *
 * The format is read as logfmt while it is formatted. A conversion's place decides how its text is written:
 *  - inside a quoted value (`key=\"…%s…\"`): escaped — `"` → `\"`, `\` → `\\`, newline/CR/tab → `\n` `\r` `\t`,
 *    other control bytes and DEL → `\u00XX` (UTF-8 passes unchanged);
 *  - in a bare value (`key=%s`, `url=http://%s:%d/`): the whole value is written as is when it is a plain word,
 *    and quoted and escaped as above when it is empty or holds a space, `"`, `=`, `\` or a control byte. With
 *    LOG_BODY_QUOTE_STRINGS every bare value holding a text conversion (%s %c %p %x %X %o %a %m) is quoted, so a
 *    value's JSON type depends on its key's conversion, never on its text (an SQLSTATE `42501` stays a string);
 *  - between fields (`msg=\"…\" %s n=1`): inserted as written — only for fields the code built itself.
 * Conversions are those of printf (flags, width and precision incl. `*`, length hh h l ll z j t L, conversions
 * d i u o x X c s p f F e E g G a A m %); positional arguments (`%1$s`) and %n are not supported. A NULL `%s`
 * prints "(null)" as glibc does. Widths and precisions of numbers are capped at 400.
 */
#ifndef COMICBATCH_LOG_BODY_H
#define COMICBATCH_LOG_BODY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/** How bare values with a text conversion are written: quoted only when they must be (logfmt), or always (json). */
enum log_body_quoting { LOG_BODY_QUOTE_AS_NEEDED = 0, LOG_BODY_QUOTE_STRINGS = 1 };

/** Bytes log_body_vformat keeps free at the end of its buffer to close a cut value (`"`) and the NUL. */
#define LOG_BODY_RESERVE 8

/**
 * Formats `fmt` with `ap` into `out` (NUL-terminated; `len` must be at least 16) and returns the length. When the
 * text does not fit it is cut between escapes (never inside one, nor inside a UTF-8 character), an open quoted
 * value is closed, and *truncated is set; otherwise *truncated is false. Reads errno (for %m) without changing it.
 */
size_t log_body_vformat(char *out, size_t len, enum log_body_quoting quoting, bool *truncated, const char *fmt,
                        va_list ap);

/** log_body_vformat with its arguments inline (for tests and callers that have no va_list). */
size_t log_body_format(char *out, size_t len, enum log_body_quoting quoting, bool *truncated, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
