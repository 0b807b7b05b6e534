/* metrics — see metrics.h. Linear lookups: a few hundred series at most, scraped rarely. */
#include "util/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct metric_help {
    const char *name, *type, *help;
};

static const struct metric_help helps[] = {
    {"comicbatch_http_requests_total", "counter", "HTTP requests answered, by route pattern and status"},
    {"comicbatch_http_connections", "gauge", "Open HTTP connections, by listener"},
    {"comicbatch_http_handler_jobs", "gauge", "Requests on the blocking-handler pool, by listener and state"},
    {"comicbatch_http_refused_total", "counter",
     "Connections or requests refused: over the per-client limit, head or keep-alive deadline, handler pool full"},
    {"comicbatch_runs_total", "counter", "Runs finished by this instance, by job and final status"},
    {"comicbatch_run_duration_seconds", "histogram", "Run duration, by job"},
    {"comicbatch_schedule_skew_seconds", "gauge", "Delay between a scheduled slot and its run's start, last seen"},
    {"comicbatch_schedule_overlaps_total", "counter", "Scheduled slots skipped because the job was still active"},
    {"comicbatch_schedule_misfires_total", "counter", "Scheduled slots missed (downtime), by job and policy"},
    {"comicbatch_schedule_missed_total", "counter",
     "Scheduled slots that produced no run, by job and reason (recorded by the leader in the missed-slot ledger)"},
    {"comicbatch_retries_total", "counter", "Retries queued after a failed run, by job"},
    {"comicbatch_deadline_alerts_total", "counter", "Deadline-breach alerts raised, by job"},
    {"comicbatch_runs_rescued_total", "counter", "Runs failed because their instance died or stopped heartbeating"},
    {"comicbatch_alerts_total", "counter", "Failure-streak alerts raised, by job"},
    {"comicbatch_alert_webhooks_total", "counter",
     "Alert webhook posts by outcome: delivered (2xx), failed (error, non-2xx, timeout), dropped (queue full, or stop)"},
    {"comicbatch_alert_webhook_queue", "gauge",
     "Alert webhook posts waiting to be sent (not counting the one in flight)"},
    {"comicbatch_event_recalcs_total", "counter", "Event-driven recalculations (not written as runs), by kind"},
    {"comicbatch_cover_cache_total", "counter", "Cover proxy requests by result (hit, miss, error)"},
    {"comicbatch_cover_cache_bytes_total", "counter", "Cover bytes served, by source"},
    {"comicbatch_cover_uncached_total", "counter",
     "Fetched covers served from memory because the cover cache could not be written (disk full, read-only)"},
};

static const double buckets[] = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600};

void metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

void metrics_finish(struct metrics *m)
{
    pthread_mutex_destroy(&m->mu);
}

/* Caller holds mu. Returns the series or NULL when the table is full. */
static struct metric_series *find_or_add(struct metrics *m, const char *name, const char *labels)
{
    for (int i = 0; i < m->n; i++)
        if (m->series[i].name == name && !strcmp(m->series[i].labels, labels))
            return &m->series[i];
    for (int i = 0; i < m->n; i++) /* names may come from different literals with the same text */
        if (!strcmp(m->series[i].name, name) && !strcmp(m->series[i].labels, labels))
            return &m->series[i];
    if (m->n == METRICS_MAX_SERIES) {
        m->dropped++;
        return NULL;
    }
    struct metric_series *s = &m->series[m->n++];
    s->name = name;
    snprintf(s->labels, sizeof s->labels, "%s", labels);
    s->value = 0;
    return s;
}

void metrics_add(struct metrics *m, const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&m->mu);
    struct metric_series *s = find_or_add(m, name, labels);
    if (s)
        s->value += v;
    pthread_mutex_unlock(&m->mu);
}

int metrics_attach_counter(struct metrics *m, const char *name, const char *labels, const atomic_uint_fast64_t *value)
{
    pthread_mutex_lock(&m->mu);
    struct metric_series *s = find_or_add(m, name, labels);
    if (s)
        s->counter = value;
    pthread_mutex_unlock(&m->mu);
    return s ? 0 : -1;
}

void metrics_set(struct metrics *m, const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&m->mu);
    struct metric_series *s = find_or_add(m, name, labels);
    if (s)
        s->value = v;
    pthread_mutex_unlock(&m->mu);
}

void metrics_observe(struct metrics *m, const char *name, const char *labels, double v)
{
    char l[METRICS_MAX_LABELS + 40], bucket_name[96], sum_name[96], count_name[96];
    snprintf(bucket_name, sizeof bucket_name, "%s_bucket", name);
    snprintf(sum_name, sizeof sum_name, "%s_sum", name);
    snprintf(count_name, sizeof count_name, "%s_count", name);
    /* The derived names must outlive this call: intern them as the series' first-seen strings. */
    static const char *const suffix_names[][3] = {
        {"comicbatch_run_duration_seconds_bucket", "comicbatch_run_duration_seconds_sum",
         "comicbatch_run_duration_seconds_count"},
    };
    const char *const *names = suffix_names[0];
    if (strcmp(name, "comicbatch_run_duration_seconds")) {
        log_warn("msg=\"unknown histogram\" name=%s", name);
        return;
    }
    for (size_t i = 0; i < sizeof buckets / sizeof buckets[0]; i++) {
        snprintf(l, sizeof l, "%s%sle=\"%g\"", labels, *labels ? "," : "", buckets[i]);
        metrics_add(m, names[0], l, v <= buckets[i] ? 1 : 0);
    }
    snprintf(l, sizeof l, "%s%sle=\"+Inf\"", labels, *labels ? "," : "");
    metrics_add(m, names[0], l, 1);
    metrics_add(m, names[1], labels, v);
    metrics_add(m, names[2], labels, 1);
}

void metrics_http(struct metrics *m, const char *route, unsigned status)
{
    char l[METRICS_MAX_LABELS];
    snprintf(l, sizeof l, "route=\"%.100s\",status=\"%u\"", route ? route : "unmatched", status);
    metrics_add(m, "comicbatch_http_requests_total", l, 1);
}

void metrics_run_finished(struct metrics *m, const char *jobkey, const char *status, double seconds)
{
    char l[METRICS_MAX_LABELS];
    snprintf(l, sizeof l, "job=\"%.80s\",status=\"%s\"", jobkey, status);
    metrics_add(m, "comicbatch_runs_total", l, 1);
    snprintf(l, sizeof l, "job=\"%.80s\"", jobkey);
    metrics_observe(m, "comicbatch_run_duration_seconds", l, seconds);
}

static const struct metric_help *help_for(const char *name)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        size_t n = strlen(helps[i].name);
        if (!strncmp(name, helps[i].name, n) &&
            (!name[n] || !strcmp(name + n, "_bucket") || !strcmp(name + n, "_sum") || !strcmp(name + n, "_count")))
            return &helps[i];
    }
    return NULL;
}

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        *cap *= 2;
        *buf = xrealloc(*buf, *cap);
    }
}

char *metrics_render(struct metrics *m)
{
    size_t cap = 16384, len = 0;
    char *buf = xmalloc(cap);
    buf[0] = '\0';
    pthread_mutex_lock(&m->mu);
    for (size_t h = 0; h < sizeof helps / sizeof helps[0]; h++) {
        /* Every family is announced even before its first sample, so scrapers (and deploy/'s dashboard test) see
         * what this daemon exports. */
        append(&buf, &len, &cap, "# HELP %s %s\n# TYPE %s %s\n", helps[h].name, helps[h].help, helps[h].name,
               helps[h].type);
        for (int i = 0; i < m->n; i++) {
            const struct metric_series *ms = &m->series[i];
            if (help_for(ms->name) != &helps[h])
                continue;
            double v = ms->counter ? (double)atomic_load(ms->counter) : ms->value;
            append(&buf, &len, &cap, "%s{%s} %.17g\n", ms->name, ms->labels, v);
        }
    }
    /* A leader thread that is stuck stops counting once its last heartbeat no longer vouches for it (another
     * instance may have fenced it and lead now). */
    int leading = atomic_load(&m->is_leader) && time_mono_ms() <= atomic_load(&m->leader_until_ms);
    append(&buf, &len, &cap,
           "# HELP comicbatch_leader 1 when this instance is the scheduler leader\n"
           "# TYPE comicbatch_leader gauge\ncomicbatch_leader %d\n",
           leading);
    pthread_mutex_unlock(&m->mu);
    return buf;
}
