/* backoff — see backoff.h. */
#include "util/backoff.h"

void backoff_init(struct backoff *b, int min_ms, int max_ms, uint32_t seed)
{
    b->min_ms = min_ms < 1 ? 1 : min_ms;
    b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
    b->step_ms = b->min_ms;
    b->rnd = seed ? seed : 0x9e3779b9u;
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

int backoff_next(struct backoff *b)
{
    int step = b->step_ms;
    int half = step / 2;
    int delay = step - half + (int)(xorshift32(&b->rnd) % (uint32_t)(half + 1));
    b->step_ms = step > b->max_ms / 2 ? b->max_ms : step * 2;
    return delay;
}

void backoff_reset(struct backoff *b)
{
    b->step_ms = b->min_ms;
}
