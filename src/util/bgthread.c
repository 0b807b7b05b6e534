/* bgthread — see bgthread.h. Deadlines use CLOCK_MONOTONIC, so a wall-clock jump neither cuts nor stretches a wait. */
#include "util/bgthread.h"

#include <time.h>

#include "util/xalloc.h"

void bgthread_init(struct bgthread *t)
{
    *t = (struct bgthread){0};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
}

int bgthread_start(struct bgthread *t, int n, void *(*fn)(void *), void *arg)
{
    t->tids = xrealloc(t->tids, (size_t)(t->n + n) * sizeof *t->tids);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&t->tids[t->n], NULL, fn, arg))
            return -1;
        t->n++;
    }
    return 0;
}

bool bgthread_begin(struct bgthread *t, unsigned *seen)
{
    pthread_mutex_lock(&t->mu);
    bool go = !t->stopping;
    *seen = t->wake_seq;
    pthread_mutex_unlock(&t->mu);
    return go;
}

bool bgthread_stopping(struct bgthread *t)
{
    pthread_mutex_lock(&t->mu);
    bool s = t->stopping;
    pthread_mutex_unlock(&t->mu);
    return s;
}

static struct timespec deadline_in(int ms)
{
    struct timespec d;
    clock_gettime(CLOCK_MONOTONIC, &d);
    d.tv_sec += ms / 1000;
    d.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (d.tv_nsec >= 1000000000L) {
        d.tv_sec++;
        d.tv_nsec -= 1000000000L;
    }
    return d;
}

bool bgthread_wait(struct bgthread *t, unsigned seen, int ms)
{
    struct timespec until = deadline_in(ms);
    pthread_mutex_lock(&t->mu);
    while (!t->stopping && t->wake_seq == seen)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &until))
            break;
    bool go = !t->stopping;
    pthread_mutex_unlock(&t->mu);
    return go;
}

bool bgthread_sleep(struct bgthread *t, int ms)
{
    struct timespec until = deadline_in(ms);
    pthread_mutex_lock(&t->mu);
    while (!t->stopping)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &until))
            break;
    bool go = !t->stopping;
    pthread_mutex_unlock(&t->mu);
    return go;
}

void bgthread_wake_locked(struct bgthread *t)
{
    t->wake_seq++;
    pthread_cond_broadcast(&t->cv);
}

void bgthread_wake(struct bgthread *t)
{
    pthread_mutex_lock(&t->mu);
    bgthread_wake_locked(t);
    pthread_mutex_unlock(&t->mu);
}

void bgthread_stop(struct bgthread *t)
{
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    for (int i = 0; i < t->n; i++)
        pthread_join(t->tids[i], NULL);
    t->n = 0;
}

void bgthread_finish(struct bgthread *t)
{
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t->tids);
    t->tids = NULL;
}
