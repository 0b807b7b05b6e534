/* reqstats — see reqstats.h. Counters are [route slot][status slot]; `seen` is what was already published. */
#include "http/reqstats.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "util/metrics.h"
#include "util/xalloc.h"

static const unsigned statuses[] = {200, 201, 202, 204, 206, 304, 400, 401, 403, 404, 405,
                                    409, 413, 415, 422, 429, 431, 500, 502, 503, 504};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

struct http_reqstats {
    size_t nslots; /* routes + 2 */
    atomic_uint_fast64_t *count;
    uint64_t *seen; /* publisher only */
};

struct http_reqstats *http_reqstats_create(size_t nroutes)
{
    struct http_reqstats *s = xcalloc(1, sizeof *s);
    s->nslots = nroutes + 2;
    s->count = xcalloc(s->nslots * NSTATUS, sizeof *s->count);
    s->seen = xcalloc(s->nslots * NSTATUS, sizeof *s->seen);
    for (size_t i = 0; i < s->nslots * NSTATUS; i++)
        atomic_init(&s->count[i], 0);
    return s;
}

static size_t status_slot(unsigned status)
{
    for (size_t i = 0; i < NSTATUS; i++)
        if (statuses[i] == status)
            return i;
    return NSTATUS;
}

/* Route slot index: routes first, then unmatched, then pages. */
static size_t route_slot(const struct http_reqstats *s, size_t slot)
{
    if (slot == HTTP_REQSTATS_UNMATCHED)
        return s->nslots - 2;
    if (slot == HTTP_REQSTATS_PAGES)
        return s->nslots - 1;
    return slot < s->nslots - 2 ? slot : s->nslots;
}

void http_reqstats_count(struct http_reqstats *s, struct metrics *m, size_t slot, const char *route, unsigned status)
{
    size_t r = route_slot(s, slot), st = status_slot(status);
    if (r >= s->nslots || st == NSTATUS) {
        metrics_http(m, route, status);
        return;
    }
    atomic_fetch_add_explicit(&s->count[r * NSTATUS + st], 1, memory_order_relaxed);
}

void http_reqstats_publish(struct http_reqstats *s, struct metrics *m, const char *const *routes)
{
    for (size_t r = 0; r < s->nslots; r++)
        for (size_t st = 0; st < NSTATUS; st++) {
            size_t i = r * NSTATUS + st;
            uint64_t now = atomic_load_explicit(&s->count[i], memory_order_relaxed);
            if (now == s->seen[i])
                continue;
            const char *route = r == s->nslots - 2 ? "unmatched" : r == s->nslots - 1 ? "/admin/*" : routes[r];
            char l[METRICS_MAX_LABELS];
            snprintf(l, sizeof l, "route=\"%.100s\",status=\"%u\"", route, statuses[st]);
            metrics_add(m, "comicbatch_http_requests_total", l, (double)(now - s->seen[i]));
            s->seen[i] = now;
        }
}

void http_reqstats_destroy(struct http_reqstats *s)
{
    if (!s)
        return;
    free(s->count);
    free(s->seen);
    free(s);
}
