/*
 * uuid7 — see uuid7.h.
 *
 * DESIGN: ids must sort in the order they were made, so the generator keeps the last timestamp and the 12-bit
 * rand_a counter (RFC 9562 §6.2 method 1) in process-wide state behind one mutex. That state is the one
 * deliberate exception to "no global mutable state": two generators in a process would break the ordering.
 *
 *  - A new millisecond seeds the counter with 11 random bits (top bit 0), which leaves at least 2048 ids of
 *    headroom in that millisecond while keeping the counter hard to guess.
 *  - The same millisecond, or an earlier one (the clock stepped back), reuses the last timestamp and
 *    increments the counter.
 *  - When the counter passes 0xfff the timestamp moves one millisecond ahead of the clock (RFC 9562 §6.2 allows
 *    this), so uuid7_unix_ms() of a burst may be slightly later than the time asked for.
 *
 * Random bytes are read before taking the lock so a slow getrandom never holds other threads up.
 */
#include "util/uuid7.h"

#include <errno.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

#define UUID7_MS_MASK ((UINT64_C(1) << 48) - 1)
#define UUID7_COUNTER_MAX 0xfffu
#define UUID7_SEED_MASK 0x7ffu
#define UUID7_RANDOM_BYTES 10 /* 8 for rand_b (62 bits used), 2 for the counter seed */

static pthread_mutex_t uuid7_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t uuid7_last_ms; /* guarded by uuid7_lock */
static unsigned uuid7_counter; /* guarded by uuid7_lock */

static int fill_random(uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* Picks the (timestamp, counter) pair for the next id; strictly greater than the previous pair. */
static void next_stamp(uint64_t unix_ms, unsigned seed, uint64_t *ms, unsigned *counter)
{
    pthread_mutex_lock(&uuid7_lock);
    if (unix_ms > uuid7_last_ms) {
        uuid7_last_ms = unix_ms;
        uuid7_counter = seed & UUID7_SEED_MASK;
    } else if (uuid7_counter < UUID7_COUNTER_MAX) {
        uuid7_counter++;
    } else {
        uuid7_last_ms++;
        uuid7_counter = seed & UUID7_SEED_MASK;
    }
    *ms = uuid7_last_ms;
    *counter = uuid7_counter;
    pthread_mutex_unlock(&uuid7_lock);
}

int uuid7_make(uint64_t unix_ms, uint8_t out[16])
{
    uint8_t rnd[UUID7_RANDOM_BYTES];
    uint64_t ms;
    unsigned counter;
    if (fill_random(rnd, sizeof rnd))
        return -1;
    next_stamp(unix_ms & UUID7_MS_MASK, (unsigned)rnd[8] << 8 | rnd[9], &ms, &counter);
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(ms >> (40 - 8 * i));
    out[6] = (uint8_t)(0x70 | (counter >> 8));
    out[7] = (uint8_t)counter;
    out[8] = (uint8_t)(0x80 | (rnd[0] & 0x3f));
    for (int i = 9; i < 16; i++)
        out[i] = rnd[i - 8];
    return 0;
}

void uuid7_format(const uint8_t id[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[id[i] >> 4];
        *p++ = hex[id[i] & 0x0f];
    }
    *p = '\0';
}

int uuid7_new_string(char *out)
{
    struct timespec ts;
    uint8_t id[16];
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (uuid7_make(now_ms, id))
        return -1;
    uuid7_format(id, out);
    return 0;
}

uint64_t uuid7_unix_ms(const uint8_t id[16])
{
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | id[i];
    return ms;
}
