/*
 * uuid7 — RFC 9562 UUID version 7: 48-bit big-endian Unix milliseconds, version nibble 7, 12 bits of a
 * per-process monotonic sub-millisecond counter (rand_a, "method 1" of RFC 9562 §6.2), variant 0b10, 62 random bits
 * from getrandom(2). Ids made by one process are strictly increasing even within one millisecond and when the clock
 * steps backwards (the last timestamp is reused). Thread-safe.
 */
#ifndef COMICBATCH_UUID7_H
#define COMICBATCH_UUID7_H

#include <stdint.h>

/** Text form length without the NUL: 8-4-4-4-12 hex digits. */
#define UUID7_STRLEN 36

/** Makes a new id for the moment `unix_ms` into `out[16]`. Returns 0, or -1 if the random source fails. */
int uuid7_make(uint64_t unix_ms, uint8_t out[16]);

/** Writes the lowercase canonical text of `id` into `out` (at least UUID7_STRLEN + 1 bytes). */
void uuid7_format(const uint8_t id[16], char *out);

/** Convenience: a new id for the current wall clock as text into `out` (UUID7_STRLEN + 1). Returns 0 or -1. */
int uuid7_new_string(char *out);

/** Returns the millisecond timestamp embedded in `id`. */
uint64_t uuid7_unix_ms(const uint8_t id[16]);

#endif
