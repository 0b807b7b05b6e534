/* availability — see availability.h. */
#include "contract/availability.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "contract/check.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct availability {
    const char *url;
    struct contract_jobs jobs;
    const struct config *cfg;
    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t idle;        /* signalled when a refresh ends */
    struct contract_report rep; /* valid when `checked` */
    bool checked, refreshing;
    int64_t checked_ms; /* monotonic time of the last successful check */
};

struct availability *availability_create(const char *url, struct contract_jobs jobs, const struct config *cfg)
{
    struct availability *av = xcalloc(1, sizeof *av);
    av->url = url;
    av->jobs = jobs;
    av->cfg = cfg;
    pthread_mutex_init(&av->mu, NULL);
    pthread_cond_init(&av->idle, NULL);
    idtypes_default(&av->rep.ids);
    return av;
}

/* Logs the jobs whose availability differs between `old` (NULL: none known) and `now`. */
static void log_changes(const struct contract_report *old, const struct contract_report *now)
{
    for (size_t i = 0; i < now->njobs; i++) {
        const struct contract_result *was = old ? contract_report_job(old, now->jobs[i].name) : NULL;
        bool before = was ? was->available : true;
        if (!now->jobs[i].available && (before || !old))
            log_warn("msg=\"%s (comicbatch doctor says why and how to fix it)\" job=%s reason=\"%s\"",
                     now->jobs[i].configured ? "job unavailable on this database"
                                             : "job not configured: unavailable until its settings are added",
                     now->jobs[i].name, now->jobs[i].reason);
        else if (now->jobs[i].available && !before)
            log_info("msg=\"job available again\" job=%s", now->jobs[i].name);
    }
}

/* The check itself, by the thread that set av->refreshing (it clears it and wakes the waiters). */
static int check_now(struct availability *av, char *err, size_t errlen)
{
    PGconn *db = pg_connect(av->url, "comicbatch-contract", err, errlen);
    struct contract_report rep;
    int rc = db ? contract_check_all(db, av->jobs, av->cfg, &rep, err, errlen) : -1;
    PQfinish(db);
    pthread_mutex_lock(&av->mu);
    if (rc == 0) {
        log_changes(av->checked ? &av->rep : NULL, &rep);
        if (av->checked)
            contract_report_free(&av->rep);
        av->rep = rep;
        av->checked = true;
        av->checked_ms = time_mono_ms();
    }
    av->refreshing = false;
    pthread_cond_broadcast(&av->idle);
    pthread_mutex_unlock(&av->mu);
    return rc;
}

int availability_refresh(struct availability *av, char *err, size_t errlen)
{
    pthread_mutex_lock(&av->mu);
    bool busy = av->refreshing;
    av->refreshing = true;
    pthread_mutex_unlock(&av->mu);
    if (busy)
        return 0; /* another thread is at it; its answer will do */
    return check_now(av, err, errlen);
}

int availability_recheck(struct availability *av, char *err, size_t errlen)
{
    pthread_mutex_lock(&av->mu);
    while (av->refreshing)
        pthread_cond_wait(&av->idle, &av->mu);
    av->refreshing = true;
    pthread_mutex_unlock(&av->mu);
    return check_now(av, err, errlen);
}

bool availability_schema_state(const char *state)
{
    static const char *const states[] = {"42P01", "42703", "42883", "42809", "42501"};
    for (size_t i = 0; state && i < sizeof states / sizeof states[0]; i++)
        if (!strcmp(state, states[i]))
            return true;
    return false;
}

/* Re-checks when the last answer is older than `max_age_s` (errors are logged; the old answer stays). */
static void refresh_if_older(struct availability *av, int64_t max_age_s)
{
    pthread_mutex_lock(&av->mu);
    bool stale = !av->checked || time_mono_ms() - av->checked_ms >= max_age_s * 1000;
    pthread_mutex_unlock(&av->mu);
    char err[512];
    if (stale && availability_refresh(av, err, sizeof err))
        log_warn("msg=\"cannot check the jobs' schema contracts; keeping the last answer\" error=\"%s\"", err);
}

bool availability_job(struct availability *av, const char *jobkey, bool recheck, char *reason, size_t reasonlen)
{
    refresh_if_older(av, AVAILABILITY_TTL_S);
    for (int pass = 0; pass < 2; pass++) {
        pthread_mutex_lock(&av->mu);
        const struct contract_result *r = av->checked ? contract_report_job(&av->rep, jobkey) : NULL;
        bool ok = !r || r->available;
        if (!ok && reason)
            snprintf(reason, reasonlen, "%s", r->reason);
        pthread_mutex_unlock(&av->mu);
        if (ok || !recheck || pass == 1)
            return ok;
        refresh_if_older(av, AVAILABILITY_RECHECK_S);
    }
    return true;
}

void availability_ids(struct availability *av, struct id_types *out)
{
    pthread_mutex_lock(&av->mu);
    *out = av->rep.ids;
    pthread_mutex_unlock(&av->mu);
}

void availability_annotate(struct availability *av, json_t *entries)
{
    refresh_if_older(av, AVAILABILITY_TTL_S);
    pthread_mutex_lock(&av->mu);
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        const char *key = json_string_value(json_object_get(e, "jobkey"));
        const struct contract_result *r = av->checked && key ? contract_report_job(&av->rep, key) : NULL;
        bool ok = !r || r->available;
        json_object_set_new(e, "available", json_boolean(ok));
        json_object_set_new(e, "unavailableReason", ok ? json_null() : json_string(r->reason));
    }
    pthread_mutex_unlock(&av->mu);
}

json_t *availability_details(struct availability *av, const char *jobkey)
{
    json_t *missing = json_array();
    char reason[600] = "";
    pthread_mutex_lock(&av->mu);
    const struct contract_result *r = av->checked ? contract_report_job(&av->rep, jobkey) : NULL;
    for (size_t i = 0; r && i < r->n; i++)
        if (r->f[i].fatal)
            json_array_append_new(missing, json_pack("{s:s,s:o}", "what", r->f[i].what, "fix",
                                                     r->f[i].fix ? json_string(r->f[i].fix) : json_null()));
    if (r)
        snprintf(reason, sizeof reason, "%s", r->reason);
    bool configured = !r || r->configured;
    pthread_mutex_unlock(&av->mu);
    return json_pack("{s:s,s:s,s:b,s:o}", "jobkey", jobkey, "reason", reason, "configured", configured, "missing",
                     missing);
}

void availability_destroy(struct availability *av)
{
    if (!av)
        return;
    if (av->checked)
        contract_report_free(&av->rep);
    pthread_cond_destroy(&av->idle);
    pthread_mutex_destroy(&av->mu);
    free(av);
}
