/*
 * pool — see pool.h. One lock (`bg.mu`) guards the queue and the counts; a job runs without it. The threads are a
 * bgthread group; stopping waits for `inflight` to reach zero first, so no queued job is dropped.
 */
#include "http/pool.h"

#include <pthread.h>
#include <stdbool.h>

#include "util/bgthread.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct http_pool {
    struct bgthread bg;  /* bg.mu guards the fields below */
    pthread_cond_t idle; /* signalled when inflight drops to zero while closing */
    struct http_job *head, *tail;
    int capacity; /* threads + queue */
    int inflight; /* reserved + queued + running */
    int queued, running;
    int finishing; /* jobs in their `after` step: no longer in flight, but drain still waits for them */
    long long refused;
    int64_t progress_ms; /* monotonic: the last time a job started or finished */
    bool closing;
};

/* Caller holds bg.mu. */
static struct http_job *pop(struct http_pool *p)
{
    struct http_job *j = p->head;
    if (j) {
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        p->running++;
        p->progress_ms = time_mono_ms();
    }
    return j;
}

static void *pool_main(void *arg)
{
    struct http_pool *p = arg;
    pthread_mutex_lock(&p->bg.mu);
    for (;;) {
        struct http_job *j = pop(p);
        if (!j) {
            if (p->bg.stopping)
                break;
            pthread_cond_wait(&p->bg.cv, &p->bg.mu);
            continue;
        }
        pthread_mutex_unlock(&p->bg.mu);
        j->run(j);
        pthread_mutex_lock(&p->bg.mu);
        p->running--;
        p->inflight--;
        p->progress_ms = time_mono_ms();
        if (j->after) {
            p->finishing++;
            pthread_mutex_unlock(&p->bg.mu);
            j->after(j);
            pthread_mutex_lock(&p->bg.mu);
            p->finishing--;
        }
        if (p->inflight == 0 && p->finishing == 0 && p->closing)
            pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->bg.mu);
    return NULL;
}

struct http_pool *http_pool_create(int threads, int queue)
{
    struct http_pool *p = xcalloc(1, sizeof *p);
    bgthread_init(&p->bg);
    pthread_cond_init(&p->idle, NULL);
    p->capacity = (threads > 0 ? threads : 1) + (queue > 0 ? queue : 0);
    if (bgthread_start(&p->bg, threads > 0 ? threads : 1, pool_main, p)) {
        http_pool_destroy(p);
        return NULL;
    }
    return p;
}

int http_pool_reserve(struct http_pool *p)
{
    pthread_mutex_lock(&p->bg.mu);
    bool ok = !p->closing && p->inflight < p->capacity;
    if (ok)
        p->inflight++;
    else if (!p->closing)
        p->refused++;
    pthread_mutex_unlock(&p->bg.mu);
    return ok ? 0 : -1;
}

void http_pool_submit(struct http_pool *p, struct http_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&p->bg.mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    pthread_cond_signal(&p->bg.cv);
    pthread_mutex_unlock(&p->bg.mu);
}

struct http_pool_stats http_pool_stats(struct http_pool *p)
{
    pthread_mutex_lock(&p->bg.mu);
    struct http_pool_stats s = {.running = p->running, .queued = p->queued, .refused = p->refused};
    pthread_mutex_unlock(&p->bg.mu);
    return s;
}

int64_t http_pool_stuck_ms(struct http_pool *p, int64_t now_ms)
{
    pthread_mutex_lock(&p->bg.mu);
    int64_t ms = p->running >= p->bg.n && p->running > 0 ? now_ms - p->progress_ms : 0;
    pthread_mutex_unlock(&p->bg.mu);
    return ms > 0 ? ms : 0;
}

void http_pool_drain(struct http_pool *p)
{
    pthread_mutex_lock(&p->bg.mu);
    p->closing = true;
    while ((p->inflight > 0 || p->finishing > 0) && p->bg.n > 0)
        pthread_cond_wait(&p->idle, &p->bg.mu);
    pthread_mutex_unlock(&p->bg.mu);
}

void http_pool_destroy(struct http_pool *p)
{
    if (!p)
        return;
    http_pool_drain(p);
    bgthread_stop(&p->bg);
    bgthread_finish(&p->bg);
    pthread_cond_destroy(&p->idle);
    free(p);
}
