/*
 * pool — the bounded pool of threads that run blocking handlers (database, upstream fetch) while their connection
 * is suspended, so the event-loop threads never wait on them.
 *
 * Words: a *job* is one request's handler run; *in flight* counts the jobs reserved, queued and running. The pool
 * holds at most `threads + queue` of them: `threads` run at once, up to `queue` more wait in FIFO order. A caller
 * first *reserves* a place (http_pool_reserve — refused when the pool is full or stopping: the server answers 503
 * with Retry-After at once), then suspends the connection, then submits the job; reserving first means a job can
 * never run, and resume its connection, before that connection was suspended.
 */
#ifndef COMICBATCH_HTTP_POOL_H
#define COMICBATCH_HTTP_POOL_H

#include <stdint.h>

struct http_pool;

/**
 * One unit of work, embedded in the caller's request state (the pool never allocates or frees it). `run` does the
 * work; `after` (optional) runs once the job no longer counts as in flight — there the server resumes the
 * connection, so a client that has its answer can never find its own finished job still holding a place.
 */
struct http_job {
    void (*run)(struct http_job *j);   /* called once, on a pool thread */
    void (*after)(struct http_job *j); /* then this, on the same thread, after the place is released */
    struct http_job *next;             /* queue link, the pool's */
};

/** Counts for metrics. */
struct http_pool_stats {
    int running, queued;
    long long refused; /* reservations refused because the pool was full (cumulative) */
};

/** Starts `threads` threads (≥ 1) with room for `queue` (≥ 0) waiting jobs. NULL if a thread could not start. */
struct http_pool *http_pool_create(int threads, int queue);

/** Reserves a place for one job. 0, or -1 when the pool is full or stopping (nothing to undo). */
int http_pool_reserve(struct http_pool *p);

/** Queues `j` on a place reserved by http_pool_reserve. It runs on a pool thread, even when stopping. */
void http_pool_submit(struct http_pool *p, struct http_job *j);

/** A snapshot of the counters. */
struct http_pool_stats http_pool_stats(struct http_pool *p);

/**
 * How long the pool has made no progress (no job started or finished) while every thread was busy, at `now_ms`
 * (monotonic); 0 when a thread is free or a job moved recently. A wedged pool is one where this keeps growing.
 */
int64_t http_pool_stuck_ms(struct http_pool *p, int64_t now_ms);

/**
 * Refuses new reservations from now on and waits until every job in flight has run (jobs already queued still run:
 * their connections are suspended and must be resumed). The threads stay until http_pool_destroy.
 */
void http_pool_drain(struct http_pool *p);

/** Drains (see http_pool_drain), stops the threads and frees the pool. */
void http_pool_destroy(struct http_pool *p);

#endif
