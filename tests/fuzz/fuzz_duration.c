/*
 * libFuzzer target for util/duration.c. The input bytes, NUL-terminated, are duration text. A parse that
 * succeeds must give a non-negative value that formats and parses back to itself. Formatting into a buffer
 * sized by the input must stay within it and terminate the string. Errors must leave a terminated sentence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"

#define FUZZ_MAX_INPUT 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[FUZZ_MAX_INPUT + 1];
    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    int64_t ms = -1, back = -1;
    char err[96], buf[64];
    if (duration_parse(text, &ms, err, sizeof err) != 0) {
        if (ms != -1 || memchr(err, '\0', sizeof err) == NULL)
            abort();
        return 0;
    }
    if (ms < 0)
        abort();
    duration_format(ms, buf, sizeof buf);
    if (duration_parse(buf, &back, err, sizeof err) != 0 || back != ms)
        abort();

    char *small = malloc(size % 16 + 1); /* ASan catches any write past it */
    if (!small)
        return 0;
    duration_format(ms, small, size % 16 + 1);
    if (memchr(small, '\0', size % 16 + 1) == NULL || strncmp(small, buf, size % 16) != 0)
        abort();
    free(small);
    return 0;
}
