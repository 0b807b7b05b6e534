/*
 * backoff — the delay before the next reconnect attempt: exponential from `min_ms` to `max_ms`, with "equal jitter"
 * (half the step fixed, half random) so that the threads of an instance, and the instances of a cluster, do not
 * all knock on a database that just came back in the same millisecond. Pure: the random numbers come from a
 * xorshift state seeded by the caller, and no clock is read (the caller sleeps).
 */
#ifndef COMICBATCH_BACKOFF_H
#define COMICBATCH_BACKOFF_H

#include <stdint.h>

struct backoff {
    int min_ms, max_ms;
    int step_ms;  /* the current step: min_ms after a reset, doubled by every backoff_next up to max_ms */
    uint32_t rnd; /* xorshift32 state (never 0) */
};

/** Initialises `b` (embedded, nothing to free) with bounds 1 <= min_ms <= max_ms and a seed (any value). */
void backoff_init(struct backoff *b, int min_ms, int max_ms, uint32_t seed);

/** The next delay, in [step/2, step] for the current step; then the step doubles (at most max_ms). */
int backoff_next(struct backoff *b);

/** Back to the first step, after a success. */
void backoff_reset(struct backoff *b);

#endif
