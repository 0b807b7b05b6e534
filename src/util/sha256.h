/* sha256 — SHA-256 hex digests (libcrypto) and constant-time comparison for secrets. */
#ifndef COMICBATCH_SHA256_H
#define COMICBATCH_SHA256_H

#include <stdbool.h>
#include <stddef.h>

/** Writes the lowercase hex SHA-256 of `data[0..len)` into `hex` (65 bytes). */
void sha256_hex(const void *data, size_t len, char hex[65]);

/** Compares two NUL-terminated secrets in time independent of where they differ. */
bool secret_equal(const char *a, const char *b);

#endif
