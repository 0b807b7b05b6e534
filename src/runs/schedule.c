/* schedule — see schedule.h. */
#include "runs/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runs/deadlines.h"
#include "runs/retry.h"
#include "sched/cron.h"
#include "store/pausestore.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "store/schedstore.h"
#include "store/slotledger.h"
#include "util/duration.h"
#include "util/timefmt.h"

static json_t *params_json(const struct job_def *job)
{
    static const char *const types[] = {"string", "int", "bool", "duration", "uuid", "id", "comicid", "userid"};
    json_t *a = json_array();
    for (size_t i = 0; i < job->nparams; i++) {
        const struct param_def *p = &job->params[i];
        json_t *d = p->dflt ? json_loads(p->dflt, JSON_DECODE_ANY, NULL) : json_null();
        json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s}", "name", p->name, "type", types[p->type], "default",
                                           d ? d : json_null(), "help", p->help ? p->help : ""));
    }
    return a;
}

/* What the entries of one listing share: read once, borrowed by each entry. */
struct listing {
    const struct config *cfg;
    const struct sched_row *rows;
    int nrows;
    json_t *lastruns;           /* jobkey → run */
    json_t *missed;             /* jobkey → {slots, latest} */
    json_t *pauses;             /* array */
    struct deadline *deadlines; /* registry order */
};

/* The zone of an expression as the API names it: the CRON_TZ= prefix's, else "UTC". */
static json_t *zone_json(const char *expr)
{
    struct cron_schedule s;
    char err[256];
    return json_string(!cron_parse(expr, &s, err, sizeof err) && s.zone[0] ? s.zone : "UTC");
}

static json_t *pause_for(json_t *pauses, const char *jobkey)
{
    json_t *best = NULL, *p;
    size_t i;
    json_array_foreach(pauses, i, p)
    {
        const char *scope = json_string_value(json_object_get(p, "scope"));
        const char *until = json_string_value(json_object_get(p, "until"));
        if ((!strcmp(scope, PAUSE_ALL) || !strcmp(scope, jobkey)) &&
            (!best || strcmp(until, json_string_value(json_object_get(best, "until"))) > 0))
            best = p; /* ISO UTC text sorts like time */
    }
    return best ? json_incref(best) : json_null();
}

/* Retries, scheduled params, deadline, missed slots and pause of `job` into entry `e`. */
static void add_extras(json_t *e, const struct listing *l, const struct job_def *job, const struct sched_row *row,
                       const struct deadline *dl)
{
    struct retry_policy rp;
    char d[32];
    retry_policy(l->cfg, job->key, row, &rp);
    json_object_set_new(e, "maxattempts", json_integer(rp.max_attempts));
    json_object_set_new(e, "retrydelay", json_string(duration_format(rp.base_ms, d, sizeof d)));
    json_t *params = row && row->params[0] ? json_loads(row->params, 0, NULL) : NULL;
    json_object_set_new(e, "scheduledparams", params ? params : json_null());
    json_object_set_new(e, "deadline", deadline_json(dl));
    json_t *m = json_object_get(l->missed, job->key);
    json_object_set_new(e, "missed",
                        json_pack("{s:I,s:O}", "last24h", (json_int_t)json_integer_value(json_object_get(m, "slots")),
                                  "latest", m ? json_object_get(m, "latest") : json_null()));
    json_object_set_new(e, "paused", pause_for(l->pauses, job->key));
}

/* A ScheduleEntry from the job, its stored row (NULL: none yet) and what the listing read. */
static json_t *entry_json(const struct listing *l, const struct job_def *job, const struct sched_row *row,
                          const struct deadline *dl)
{
    const char *dflt = registry_default_cron(l->cfg, job);
    const char *cron = row && row->has_cron ? row->cron : dflt;
    char desc[256], next[32];
    if (cron_describe(cron, desc, sizeof desc))
        snprintf(desc, sizeof desc, "invalid expression");
    bool enabled = row ? row->isenabled : job->enabled;
    bool has_next = enabled && row && row->nextrunat;
    const char *misfire = row && row->misfire[0]                                  ? row->misfire
                          : registry_default_misfire(l->cfg, job) == MISFIRE_ONCE ? "once"
                                                                                  : "skip";
    json_t *lastrun = json_object_get(l->lastruns, job->key);
    json_t *e = json_pack("{s:s,s:s,s:s,s:b,s:O,s:o}", "jobkey", job->key, "description", job->description, "cron",
                          cron, "isenabled", enabled, "lastrun", lastrun ? lastrun : json_null(), "nextrunat",
                          has_next ? json_string(time_format_iso(row->nextrunat, next, sizeof next)) : json_null());
    json_object_set_new(e, "defaultcron", json_string(dflt));
    json_object_set_new(e, "crondescription", json_string(desc));
    json_object_set_new(e, "timezone", zone_json(cron));
    json_object_set_new(e, "misfire", json_string(misfire));
    json_object_set_new(e, "supportsdryrun", json_boolean(job->dryrun));
    json_object_set_new(e, "params", params_json(job));
    add_extras(e, l, job, row, dl);
    return e;
}

static const struct sched_row *find_row(const struct sched_row *rows, int n, const char *jobkey)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].jobkey, jobkey))
            return &rows[i];
    return NULL;
}

/* Reads what the entries need. Returns 0, or -1 (what was read is released by listing_free). */
static int listing_read(PGconn *c, struct listing *l, time_t now)
{
    size_t n, nd;
    const struct job_def *const *jobs = registry_all(&n);
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(keys, json_string(jobs[i]->key));
    struct sched_row *rows = NULL;
    l->nrows = schedstore_list(c, false, &rows);
    l->rows = rows;
    int rc = l->nrows < 0 || !(l->lastruns = runstore_last_runs(c, keys)) ||
                     !(l->missed = slotledger_summary(c, now - 86400)) ||
                     !(l->pauses = pausestore_active_json(c, now)) || deadlines_all(c, l->cfg, now, &l->deadlines, &nd)
                 ? -1
                 : 0;
    json_decref(keys);
    return rc;
}

static void listing_free(struct listing *l)
{
    free((void *)l->rows);
    json_decref(l->lastruns);
    json_decref(l->missed);
    json_decref(l->pauses);
    free(l->deadlines);
}

json_t *schedule_entries(PGconn *c, const struct config *cfg, const struct job_def *only, time_t now)
{
    struct listing l = {.cfg = cfg};
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    json_t *out = listing_read(c, &l, now) ? NULL : json_array();
    for (size_t i = 0; out && i < n; i++)
        if (!only || jobs[i] == only)
            json_array_append_new(out,
                                  entry_json(&l, jobs[i], find_row(l.rows, l.nrows, jobs[i]->key), &l.deadlines[i]));
    listing_free(&l);
    return out;
}

int schedule_with_zone(const char *expr, const char *zone, char *out, size_t outlen)
{
    const char *fields = cron_strip_zone(expr);
    int n = !strcmp(zone, "UTC") ? snprintf(out, outlen, "%s", fields)
                                 : snprintf(out, outlen, "CRON_TZ=%s %s", zone, fields);
    return n < 0 || (size_t)n >= outlen || n > CRON_MAX_EXPR ? -1 : 0;
}

/* The first slot of `cron` after `now`, else 0 (stored as NULL). */
static time_t first_slot(const char *cron, time_t now)
{
    struct cron_schedule s;
    char err[256];
    if (cron_parse(cron, &s, err, sizeof err))
        return 0;
    time_t t = cron_next(&s, now);
    return t > 0 ? t : 0;
}

/* The audited view of a row: what a PATCH may change. New reference. */
static json_t *audit_view(const char *cron, bool enabled, const char *params, int maxattempts, int64_t retrydelay_ms,
                          int64_t deadline_ms)
{
    json_t *p = params && *params ? json_loads(params, 0, NULL) : NULL;
    return json_pack("{s:s,s:b,s:o,s:o,s:o,s:o}", "cron", cron, "isenabled", enabled, "scheduledparams",
                     p ? p : json_null(), "maxattempts", maxattempts > 0 ? json_integer(maxattempts) : json_null(),
                     "retrydelayms", retrydelay_ms > 0 ? json_integer(retrydelay_ms) : json_null(), "deadlinems",
                     deadline_ms >= 0 ? json_integer(deadline_ms) : json_null());
}

/* The row's values after `pt` (for the audit row). */
static json_t *audit_after(const struct sched_row *cur, const struct schedule_patch *pt, const char *cron, bool on,
                           const char *params)
{
    return audit_view(cron, on, pt->set_params ? params : cur->params,
                      pt->maxattempts == SCHED_KEEP ? cur->maxattempts : pt->maxattempts,
                      pt->retrydelay_ms == SCHED_KEEP ? cur->retrydelay_ms : pt->retrydelay_ms,
                      pt->deadline_ms == SCHED_KEEP ? cur->deadline_ms : pt->deadline_ms);
}

/* The expression after `pt`: the new cron (else the current one) with the new zone when one was given. */
static int resulting_cron(const struct schedule_patch *pt, const char *before, char *out, size_t len, char *field,
                          size_t fieldlen, char *err, size_t errlen)
{
    struct cron_schedule s;
    const char *base = pt->cron ? pt->cron : before;
    if (!pt->timezone) {
        snprintf(out, len, "%s", base);
        return 0;
    }
    snprintf(field, fieldlen, "timezone");
    if (schedule_with_zone(base, pt->timezone, out, len)) {
        snprintf(err, errlen, "the expression with CRON_TZ=%s would be longer than %d characters", pt->timezone,
                 CRON_MAX_EXPR);
        return -1;
    }
    return cron_parse(out, &s, err, errlen) ? -1 : 0;
}

/* Fills the row update of `pt` on `cur`; `after` is the resulting expression, `params` its params' text. */
static void make_update(const struct sched_row *cur, const struct schedule_patch *pt, const char *after,
                        const char *params, const char *actor, time_t now, struct sched_update *u)
{
    bool on = pt->isenabled < 0 ? cur->isenabled : pt->isenabled;
    bool moved = pt->cron || pt->timezone || pt->isenabled >= 0;            /* else the slots stay where they are */
    bool track_disabled = !on && (pt->isenabled == 0 || cur->disablednext); /* an operator switched it off */
    *u = (struct sched_update){.cron = pt->cron || pt->timezone ? after : NULL,
                               .isenabled = pt->isenabled,
                               .nextrunat = !moved ? cur->nextrunat
                                            : on   ? first_slot(after, now)
                                                   : 0,
                               .disablednext = !moved           ? cur->disablednext
                                               : track_disabled ? first_slot(after, now)
                                                                : 0,
                               .set_params = pt->set_params,
                               .params = pt->set_params ? params : NULL,
                               .maxattempts = pt->maxattempts,
                               .retrydelay_ms = pt->retrydelay_ms,
                               .deadline_ms = pt->deadline_ms,
                               .expect_from_now = (pt->isenabled == 1 && !cur->isenabled) ||
                                                  pt->deadline_ms != SCHED_KEEP,
                               .updatedby = actor};
}

static enum schedule_patch_result patch_in_tx(PGconn *c, const struct config *cfg, const struct job_def *job,
                                              const struct schedule_patch *pt, const struct audit_actor *who,
                                              time_t now, char *field, size_t fieldlen, char *err, size_t errlen)
{
    struct sched_row cur;
    if (schedstore_seed(c, job->key, job->enabled) || schedstore_lock(c, job->key, &cur) != 1)
        return SCHEDULE_PATCH_ERROR;
    const char *dflt = registry_default_cron(cfg, job);
    const char *before = cur.has_cron ? cur.cron : dflt;
    char after[CRON_MAX_EXPR + 1];
    if (resulting_cron(pt, before, after, sizeof after, field, fieldlen, err, errlen))
        return SCHEDULE_PATCH_INVALID;
    char *params = pt->set_params && pt->params ? json_dumps(pt->params, JSON_COMPACT) : NULL;
    struct sched_update u;
    make_update(&cur, pt, after, params, who->actor, now, &u);
    bool on = pt->isenabled < 0 ? cur.isenabled : pt->isenabled;
    json_t *details = json_pack(
        "{s:o,s:o}", "before",
        audit_view(before, cur.isenabled, cur.params, cur.maxattempts, cur.retrydelay_ms, cur.deadline_ms), "after",
        audit_after(&cur, pt, after, on, params));
    enum schedule_patch_result rc = schedstore_update(c, job->key, &u) == 1 &&
                                            audit_write(c, who, "batch.schedule.update", job->key, details) == 0
                                        ? SCHEDULE_PATCH_OK
                                        : SCHEDULE_PATCH_ERROR;
    json_decref(details);
    free(params);
    return rc;
}

enum schedule_patch_result schedule_patch(PGconn *c, const struct config *cfg, const struct job_def *job,
                                          const struct schedule_patch *pt, const struct audit_actor *who, time_t now,
                                          char *field, size_t fieldlen, char *err, size_t errlen)
{
    if (pg_cmd(c, "BEGIN"))
        return SCHEDULE_PATCH_ERROR;
    enum schedule_patch_result rc = patch_in_tx(c, cfg, job, pt, who, now, field, fieldlen, err, errlen);
    if (rc != SCHEDULE_PATCH_OK || pg_cmd(c, "COMMIT")) {
        pg_cmd(c, "ROLLBACK");
        return rc == SCHEDULE_PATCH_OK ? SCHEDULE_PATCH_ERROR : rc;
    }
    return SCHEDULE_PATCH_OK;
}
