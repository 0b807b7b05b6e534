/*
 * Unit tests for runs/retry.c: the backoff doubles per attempt, is capped, and with "equal jitter" every wait is at
 * least as long as the longest possible wait before it until the cap (so retries slow down); the policy takes the
 * schedule row's settings over `[job.KEY]` ones over the defaults.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "runs/retry.h"
#include "store/schedstore.h"

Test(retry, backoff_doubles_and_jitter_takes_at_most_half)
{
    cr_assert_eq(retry_backoff_ms(1, 1000, 3600000, 0.0), 500);
    cr_assert_eq(retry_backoff_ms(1, 1000, 3600000, 0.999999), 999);
    cr_assert_eq(retry_backoff_ms(2, 1000, 3600000, 0.0), 1000);
    cr_assert_eq(retry_backoff_ms(3, 1000, 3600000, 0.5), 3000);
    cr_assert_eq(retry_backoff_ms(4, 30000, 3600000, 0.0), 120000);
}

Test(retry, each_wait_is_at_least_the_longest_one_before)
{
    const double rs[] = {0.0, 0.1, 0.5, 0.9, 0.999999};
    for (int a = 1; (30000LL << a) <= 3600000; a++) /* below the cap (past it, waits stay in [cap/2, cap]) */
        for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
            for (size_t j = 0; j < sizeof rs / sizeof rs[0]; j++)
                cr_assert_geq(retry_backoff_ms(a + 1, 30000, 3600000, rs[j]),
                              retry_backoff_ms(a, 30000, 3600000, rs[i]), "attempt %d r=%g vs r=%g", a, rs[j], rs[i]);
}

Test(retry, backoff_is_capped_and_survives_huge_attempts)
{
    for (int a = 1; a <= 64; a++) {
        int64_t d = retry_backoff_ms(a, 30000, 3600000, 0.999999);
        cr_assert_leq(d, 3600000, "attempt %d", a);
        cr_assert_geq(d, 15000, "attempt %d", a);
    }
    cr_assert_eq(retry_backoff_ms(30, 30000, 3600000, 0.0), 1800000, "half the cap at the least");
    cr_assert_eq(retry_backoff_ms(1, 0, 1000, 0.0), 0, "a zero base does not divide by zero or go negative");
    cr_assert_eq(retry_backoff_ms(1, 1000, 100000, 7.0), 500, "r out of range counts as 0");
}

Test(retry, policy_precedence)
{
    struct config c;
    config_init(&c);
    struct retry_policy p;
    retry_policy(&c, "system.canary", NULL, &p);
    cr_assert_eq(p.max_attempts, RETRY_DEFAULT_ATTEMPTS);
    cr_assert_eq(p.base_ms, RETRY_DEFAULT_DELAY_MS);
    cr_assert_eq(p.max_ms, 3600000, "[runs] retry_delay_max's default");
    struct job_settings *js = config_job_entry(&c, "system.canary");
    atomic_store(&js->max_attempts, 4);
    atomic_store(&js->retry_delay_ms, 5000);
    retry_policy(&c, "system.canary", NULL, &p);
    cr_assert_eq(p.max_attempts, 4);
    cr_assert_eq(p.base_ms, 5000);
    struct sched_row row;
    memset(&row, 0, sizeof row);
    retry_policy(&c, "system.canary", &row, &p);
    cr_assert_eq(p.max_attempts, 4, "a row without settings keeps [job.KEY]'s");
    row.maxattempts = 2;
    row.retrydelay_ms = 700;
    retry_policy(&c, "system.canary", &row, &p);
    cr_assert_eq(p.max_attempts, 2);
    cr_assert_eq(p.base_ms, 700);
    retry_policy(&c, "sessions.cleanup", &row, &p);
    cr_assert_eq(p.max_attempts, 2, "the row is the job's own");
    config_finish(&c);
}
