/* schedule — see schedule.h. */
#include "runs/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/cron.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "store/schedstore.h"
#include "util/timefmt.h"

static json_t *params_json(const struct job_def *job)
{
    static const char *const types[] = {"string", "int", "bool", "duration", "uuid", "id"};
    json_t *a = json_array();
    for (size_t i = 0; i < job->nparams; i++) {
        const struct param_def *p = &job->params[i];
        json_t *d = p->dflt ? json_loads(p->dflt, JSON_DECODE_ANY, NULL) : json_null();
        json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s}", "name", p->name, "type", types[p->type], "default",
                                           d ? d : json_null(), "help", p->help ? p->help : ""));
    }
    return a;
}

/* A ScheduleEntry from the job, its stored row (NULL: none yet) and its last run (borrowed, may be NULL). */
static json_t *entry_json(const struct config *cfg, const struct job_def *job, const struct sched_row *row,
                          json_t *lastrun)
{
    const char *dflt = registry_default_cron(cfg, job);
    const char *cron = row && row->has_cron ? row->cron : dflt;
    char desc[256], next[32];
    if (cron_describe(cron, desc, sizeof desc))
        snprintf(desc, sizeof desc, "invalid expression");
    bool enabled = row ? row->isenabled : job->enabled;
    bool has_next = enabled && row && row->nextrunat;
    const char *misfire = row && row->misfire[0] ? row->misfire : job->misfire == MISFIRE_ONCE ? "once" : "skip";
    json_t *e = json_pack("{s:s,s:s,s:s,s:b,s:O,s:o}", "jobkey", job->key, "description", job->description, "cron",
                          cron, "isenabled", enabled, "lastrun", lastrun ? lastrun : json_null(), "nextrunat",
                          has_next ? json_string(time_format_iso(row->nextrunat, next, sizeof next)) : json_null());
    json_object_set_new(e, "defaultcron", json_string(dflt));
    json_object_set_new(e, "crondescription", json_string(desc));
    json_object_set_new(e, "misfire", json_string(misfire));
    json_object_set_new(e, "supportsdryrun", json_boolean(job->dryrun));
    json_object_set_new(e, "params", params_json(job));
    return e;
}

static const struct sched_row *find_row(const struct sched_row *rows, int n, const char *jobkey)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].jobkey, jobkey))
            return &rows[i];
    return NULL;
}

json_t *schedule_entries(PGconn *c, const struct config *cfg, const struct job_def *only)
{
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++)
        if (!only || jobs[i] == only)
            json_array_append_new(keys, json_string(jobs[i]->key));
    struct sched_row *rows = NULL;
    int nrows = schedstore_list(c, false, &rows);
    json_t *last = nrows >= 0 ? runstore_last_runs(c, keys) : NULL;
    json_t *out = last ? json_array() : NULL;
    for (size_t i = 0; out && i < n; i++)
        if (!only || jobs[i] == only)
            json_array_append_new(out, entry_json(cfg, jobs[i], find_row(rows, nrows, jobs[i]->key),
                                                  json_object_get(last, jobs[i]->key)));
    free(rows);
    json_decref(last);
    json_decref(keys);
    return out;
}

/* The first slot of `cron` after `now` when the job ends up enabled, else 0 (stored as NULL). */
static time_t first_slot(const char *cron, bool enabled, time_t now)
{
    struct cron_schedule s;
    char err[256];
    if (!enabled || cron_parse(cron, &s, err, sizeof err))
        return 0;
    time_t t = cron_next(&s, now);
    return t > 0 ? t : 0;
}

static int patch_in_tx(PGconn *c, const struct config *cfg, const struct job_def *job,
                       const struct schedule_patch *pt, const struct audit_actor *who, time_t now)
{
    struct sched_row cur;
    if (schedstore_seed(c, job->key, job->enabled) || schedstore_lock(c, job->key, &cur) != 1)
        return -1;
    const char *dflt = registry_default_cron(cfg, job);
    const char *before = cur.has_cron ? cur.cron : dflt, *after = pt->cron ? pt->cron : before;
    bool on = pt->isenabled < 0 ? cur.isenabled : pt->isenabled;
    struct sched_update u = {.cron = pt->cron, .isenabled = pt->isenabled, .nextrunat = first_slot(after, on, now),
                             .updatedby = who->actor};
    json_t *details = json_pack("{s:{s:s,s:b},s:{s:s,s:b}}", "before", "cron", before, "isenabled", cur.isenabled,
                                "after", "cron", after, "isenabled", on);
    int rc = schedstore_update(c, job->key, &u) == 1 &&
                     audit_write(c, who, "batch.schedule.update", job->key, details) == 0
                 ? 0
                 : -1;
    json_decref(details);
    return rc;
}

int schedule_patch(PGconn *c, const struct config *cfg, const struct job_def *job, const struct schedule_patch *pt,
                   const struct audit_actor *who, time_t now)
{
    if (pg_cmd(c, "BEGIN"))
        return -1;
    if (patch_in_tx(c, cfg, job, pt, who, now) || pg_cmd(c, "COMMIT")) {
        pg_cmd(c, "ROLLBACK");
        return -1;
    }
    return 0;
}
