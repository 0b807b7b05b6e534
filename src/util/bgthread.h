/*
 * bgthread — the life cycle every long-lived thread of the daemon shares: start, wake, wait with a timeout, stop
 * and join. A `struct bgthread` is a group of one or more threads running one function over one lock and one
 * condition. Owners keep their own shared state under `mu` (then wake with bgthread_wake_locked), and a thread's
 * loop reads as `for (unsigned seen; bgthread_begin(t, &seen); bgthread_wait(t, seen, ms)) { …work… }`.
 * Stopping is final: bgthread_stop sets the flag, wakes every thread and joins them.
 */
#ifndef COMICBATCH_BGTHREAD_H
#define COMICBATCH_BGTHREAD_H

#include <pthread.h>
#include <stdbool.h>

struct bgthread {
    pthread_mutex_t mu; /* guards stopping, wake_seq and whatever the owner puts beside them */
    pthread_cond_t cv;
    bool stopping;
    unsigned wake_seq; /* bumped by every wake */
    int n;             /* threads started */
    pthread_t *tids;
};

/** Initialises the lock and condition (no thread yet). Pair with bgthread_finish. */
void bgthread_init(struct bgthread *t);

/**
 * Starts `n` threads running `fn(arg)`. Returns 0, or -1 when a thread could not start (those already started
 * keep running until bgthread_stop).
 */
int bgthread_start(struct bgthread *t, int n, void *(*fn)(void *), void *arg);

/** Loop head: false once stopping; otherwise true with the current wake sequence in `*seen`. */
bool bgthread_begin(struct bgthread *t, unsigned *seen);

/** True once bgthread_stop was called. */
bool bgthread_stopping(struct bgthread *t);

/** Waits until a wake after `seen`, a stop, or `ms` milliseconds. Returns false when stopping. */
bool bgthread_wait(struct bgthread *t, unsigned seen, int ms);

/** Waits `ms` milliseconds unless stopped first (wakes do not shorten it). Returns false when stopping. */
bool bgthread_sleep(struct bgthread *t, int ms);

/** Wakes every thread of the group. */
void bgthread_wake(struct bgthread *t);

/** bgthread_wake for a caller that already holds `t->mu`. */
void bgthread_wake_locked(struct bgthread *t);

/** Sets stopping, wakes and joins every started thread. Idempotent. */
void bgthread_stop(struct bgthread *t);

/** Releases the lock, condition and thread table (after bgthread_stop, or when no thread started). */
void bgthread_finish(struct bgthread *t);

#endif
