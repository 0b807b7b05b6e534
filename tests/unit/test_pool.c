/* test_pool — the blocking-handler pool (src/http/pool.c): at most `threads` jobs run and `queue` wait; one more
 * reservation is refused (the server's 503) and counted; places come back as jobs finish; jobs run in FIFO order;
 * draining runs every queued job before it returns and refuses new reservations. Jobs here block on a gate the
 * test opens, so nothing depends on timing. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "http/pool.h"
#include "util/timefmt.h"

struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    int started, finished;
    int order[16];
};

static struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, 0, {0}};

struct tjob {
    struct http_job job;
    int id;
};

static void blocking_run(struct http_job *j)
{
    pthread_mutex_lock(&g.mu);
    g.started++;
    pthread_cond_broadcast(&g.cv);
    while (!g.open)
        pthread_cond_wait(&g.cv, &g.mu);
    g.order[g.finished++] = ((struct tjob *)j)->id;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
}

static void wait_for(int *counter, int n)
{
    pthread_mutex_lock(&g.mu);
    while (*counter < n)
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
}

static void reset_gate(void)
{
    g.open = false;
    g.started = g.finished = 0;
}

static void open_gate(void)
{
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
}

Test(pool, threads_plus_queue_places_then_refused_until_a_job_ends)
{
    reset_gate();
    struct http_pool *p = http_pool_create(1, 2);
    cr_assert_not_null(p);
    static struct tjob jobs[4];
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(http_pool_reserve(p), 0, "place %d", i);
        jobs[i] = (struct tjob){{blocking_run, NULL, NULL}, i};
        http_pool_submit(p, &jobs[i].job);
    }
    wait_for(&g.started, 1);
    struct http_pool_stats st = http_pool_stats(p);
    cr_expect_eq(st.running, 1);
    cr_expect_eq(st.queued, 2);
    cr_expect_eq(http_pool_reserve(p), -1, "one running + two queued: full");
    cr_expect_eq(http_pool_stats(p).refused, 1);
    open_gate();
    wait_for(&g.finished, 3);
    cr_expect_eq(g.order[0], 0);
    cr_expect_eq(g.order[1], 1, "queued jobs run in arrival order");
    cr_expect_eq(g.order[2], 2);
    http_pool_drain(p); /* nothing in flight: returns at once */
    cr_expect_eq(http_pool_reserve(p), -1, "a drained pool takes nothing new");
    cr_expect_eq(http_pool_stats(p).refused, 1, "refusals while stopping are not counted as busy");
    http_pool_destroy(p);
}

Test(pool, destroy_runs_every_queued_job_first)
{
    reset_gate();
    struct http_pool *p = http_pool_create(2, 4);
    static struct tjob jobs[6];
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(http_pool_reserve(p), 0);
        jobs[i] = (struct tjob){{blocking_run, NULL, NULL}, i};
        http_pool_submit(p, &jobs[i].job);
    }
    wait_for(&g.started, 2);
    open_gate();
    http_pool_destroy(p);
    cr_expect_eq(g.finished, 6, "a suspended connection behind every job: none may be dropped");
}

static struct http_pool *after_pool;
static int after_reserved = -2; /* written by the pool thread, read with __atomic_load_n */

static void noop_run(struct http_job *j)
{
}

static void after_reserves(struct http_job *j)
{
    int rc = http_pool_reserve(after_pool); /* the job's own place is already free here */
    if (rc == 0) {
        static struct http_job next = {noop_run, NULL, NULL};
        http_pool_submit(after_pool, &next);
    }
    __atomic_store_n(&after_reserved, rc, __ATOMIC_SEQ_CST);
}

Test(pool, a_jobs_place_is_free_before_its_after_step)
{
    after_pool = http_pool_create(1, 0);
    cr_assert_eq(http_pool_reserve(after_pool), 0);
    static struct http_job j = {noop_run, after_reserves, NULL};
    http_pool_submit(after_pool, &j);
    while (__atomic_load_n(&after_reserved, __ATOMIC_SEQ_CST) == -2)
        sched_yield();
    http_pool_destroy(after_pool); /* waits for the job it submitted too */
    cr_expect_eq(after_reserved, 0, "a client answered in `after` can never see 503 from its own finished job");
}

Test(pool, stuck_only_while_every_thread_is_busy_and_nothing_moves)
{
    reset_gate();
    struct http_pool *p = http_pool_create(2, 2);
    static struct tjob jobs[2];
    cr_expect_eq(http_pool_stuck_ms(p, time_mono_ms() + 60000), 0, "an idle pool is never stuck");
    cr_assert_eq(http_pool_reserve(p), 0);
    jobs[0] = (struct tjob){{blocking_run, NULL, NULL}, 0};
    http_pool_submit(p, &jobs[0].job);
    wait_for(&g.started, 1);
    cr_expect_eq(http_pool_stuck_ms(p, time_mono_ms() + 60000), 0, "one thread of two still free");
    cr_assert_eq(http_pool_reserve(p), 0);
    jobs[1] = (struct tjob){{blocking_run, NULL, NULL}, 1};
    http_pool_submit(p, &jobs[1].job);
    wait_for(&g.started, 2);
    int64_t now = time_mono_ms();
    cr_expect_geq(http_pool_stuck_ms(p, now + 60000), 60000, "both busy, nothing moved: stuck since the last start");
    cr_expect_leq(http_pool_stuck_ms(p, now + 60000), 60000 + (time_mono_ms() - now) + 10000);
    open_gate();
    wait_for(&g.finished, 2);
    http_pool_drain(p);
    cr_expect_eq(http_pool_stuck_ms(p, time_mono_ms() + 60000), 0, "moving again");
    http_pool_destroy(p);
}
