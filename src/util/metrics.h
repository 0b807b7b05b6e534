/*
 * metrics — this process's Prometheus series: a bounded table of (name, labels) → value with counters,
 * gauges and fixed-bucket histograms, rendered as text by /metrics. Thread-safe. Cluster-wide numbers (running
 * runs) are read from Postgres at scrape time by api/metrics.c instead.
 */
#ifndef COMICBATCH_METRICS_H
#define COMICBATCH_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define METRICS_MAX_SERIES 1024
#define METRICS_MAX_LABELS 160

struct metric_series {
    const char *name; /* static string */
    char labels[METRICS_MAX_LABELS];
    double value;
    const atomic_uint_fast64_t *counter; /* metrics_attach_counter: the value lives here instead */
};

struct metrics {
    pthread_mutex_t mu;
    struct metric_series series[METRICS_MAX_SERIES];
    int n;
    int dropped;
    atomic_int is_leader;
    atomic_llong leader_until_ms; /* monotonic ms until which the leader's last heartbeat vouches for it */
};

void metrics_init(struct metrics *m);
void metrics_finish(struct metrics *m);

/** Adds `v` to the series (created at 0). `labels` is Prometheus label text without braces, e.g. `job="x"`. */
void metrics_add(struct metrics *m, const char *name, const char *labels, double v);

/** Sets a gauge series to `v`. */
void metrics_set(struct metrics *m, const char *name, const char *labels, double v);

/** Observes `v` into histogram `name` (buckets in seconds: 0.01 … 3600) with extra `labels`. */
void metrics_observe(struct metrics *m, const char *name, const char *labels, double v);

/**
 * Adds a counter series whose value is an atomic its owner increments without any lock (for counts on a hot path,
 * e.g. every cover cache hit); it is read when the metrics are rendered. `value` must stay valid as long as the
 * metrics may be rendered. Returns 0, or -1 when the table is full.
 */
int metrics_attach_counter(struct metrics *m, const char *name, const char *labels, const atomic_uint_fast64_t *value);

/** Counts one HTTP answer. */
void metrics_http(struct metrics *m, const char *route, unsigned status);

/** Counts a finished run and its duration. */
void metrics_run_finished(struct metrics *m, const char *jobkey, const char *status, double seconds);

/**
 * Renders every series as Prometheus text into a malloc'd string (caller frees), grouped by name with HELP/TYPE
 * lines from the table in metrics.c.
 */
char *metrics_render(struct metrics *m);

#endif
