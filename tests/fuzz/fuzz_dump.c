/*
 * libFuzzer target for the dump path: providers/lines.c (chunked input, gzip detection, bounded lines) feeding
 * providers/record.c (one JSON line → canonical record). The first input byte picks the chunk size, the rest is the
 * stream. Checked for every line: a too-long line carries no text; a parsed record's hash is the SHA-256 of its
 * canonical text, and the canonical text parses back to exactly itself (canonicalisation is a fixed point); a
 * malformed line has a reason. Nothing leaks (LSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/lines.h"
#include "providers/record.h"
#include "util/sha256.h"

#define FUZZ_MAX_LINE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_line(void *user, int64_t lineno, const char *text, size_t len, bool too_long)
{
    (void)user;
    if (lineno < 1 || (too_long && text) || (!too_long && !text) || len > FUZZ_MAX_LINE)
        abort();
    if (too_long)
        return 0;
    struct record r;
    char reason[300] = "";
    if (record_parse(text ? text : "", len, &r, reason, sizeof reason)) {
        if (!reason[0])
            abort();
        return 0;
    }
    char hex[65];
    sha256_hex(r.text, strlen(r.text), hex);
    if (strcmp(hex, r.hash) || !r.id[0])
        abort();
    struct record again;
    if (record_parse(r.text, strlen(r.text), &again, reason, sizeof reason) || strcmp(again.text, r.text) ||
        strcmp(again.hash, r.hash) || strcmp(again.id, r.id))
        abort();
    record_finish(&again);
    record_finish(&r);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    struct line_reader *lr = line_reader_create(FUZZ_MAX_LINE, on_line, NULL);
    int rc = 0;
    for (size_t off = 0; off < size && rc == 0; off += chunk)
        rc = line_reader_feed(lr, data + off, size - off < chunk ? size - off : chunk);
    if (rc == 0)
        rc = line_reader_end(lr);
    if (rc == -1 && !line_reader_error(lr)[0])
        abort();
    line_reader_destroy(lr);
    return 0;
}
