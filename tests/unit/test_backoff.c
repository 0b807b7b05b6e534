/*
 * Unit tests for util/backoff.c: delays stay inside [step/2, step], the step doubles up to the cap and stays
 * there, a reset starts over, the jitter actually varies (two instances seeded differently do not retry in step),
 * and degenerate bounds are clamped.
 */
#include <criterion/criterion.h>

#include "util/backoff.h"

Test(backoff, delays_double_within_their_step_up_to_the_cap)
{
    struct backoff b;
    backoff_init(&b, 100, 2000, 42);
    const int steps[] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int d = backoff_next(&b);
        cr_assert(d >= steps[i] / 2 && d <= steps[i], "attempt %zu: %d not in [%d, %d]", i, d, steps[i] / 2, steps[i]);
    }
}

Test(backoff, reset_starts_over)
{
    struct backoff b;
    backoff_init(&b, 50, 5000, 7);
    for (int i = 0; i < 10; i++)
        backoff_next(&b);
    cr_assert_eq(b.step_ms, 5000);
    backoff_reset(&b);
    int d = backoff_next(&b);
    cr_assert(d >= 25 && d <= 50, "%d", d);
}

Test(backoff, jitter_varies_and_depends_on_the_seed)
{
    struct backoff a, c;
    int same = 0, distinct_a = 0, last = -1;
    for (int round = 0; round < 50; round++) {
        backoff_init(&a, 1000, 1000, 1u + (uint32_t)round);
        backoff_init(&c, 1000, 1000, 1000u + (uint32_t)round);
        int da = backoff_next(&a), dc = backoff_next(&c);
        same += da == dc;
        distinct_a += da != last;
        last = da;
    }
    cr_assert_lt(same, 10, "two seeds gave the same delay %d times of 50", same);
    cr_assert_gt(distinct_a, 25, "the delay hardly varies with the seed");
}

Test(backoff, degenerate_bounds_are_clamped)
{
    struct backoff b;
    backoff_init(&b, 0, -5, 0);
    cr_assert_eq(b.min_ms, 1);
    cr_assert_eq(b.max_ms, 1);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(backoff_next(&b), 1);
}
