/* registry — see registry.h. Adding a job is adding its definition here, in display order. */
#include "jobs/registry.h"

#include <pthread.h>
#include <string.h>

#include "config.h"
#include "jobs/jobs.h"

static const struct job_def *const jobs[] = {
    &job_library_hasnew,           &job_library_viewhistory_cap, &job_sessions_cleanup,
    &job_comics_ratings_recalc,    &job_comics_counts_recalc,    &job_announcements_expire,
    &job_analytics_flush_counters, &job_analytics_anonymize,     &job_analytics_partition,
    &job_crawler_partition,        &job_crawler_source_health,   &job_storage_orphan_cleanup,
    &job_metadata_dump_refresh,    &job_metadata_series_refresh, &job_system_canary,
};

const struct job_def *const *registry_all(size_t *n)
{
    *n = sizeof jobs / sizeof jobs[0];
    return jobs;
}

static struct contract_job contract_jobs[sizeof jobs / sizeof jobs[0]];
static pthread_once_t contract_jobs_once = PTHREAD_ONCE_INIT;

static void contract_jobs_fill(void)
{
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
        contract_jobs[i] = (struct contract_job){jobs[i]->key, jobs[i]->contract, jobs[i]->enabled, jobs[i]->events};
}

struct contract_jobs registry_contract_jobs(void)
{
    pthread_once(&contract_jobs_once, contract_jobs_fill);
    return (struct contract_jobs){contract_jobs, sizeof jobs / sizeof jobs[0]};
}

const struct job_def *registry_find(const char *key)
{
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
        if (!strcmp(jobs[i]->key, key))
            return jobs[i];
    return NULL;
}

const char *registry_default_cron(const struct config *cfg, const struct job_def *job)
{
    const char *c = job->config_cron ? job->config_cron(cfg) : NULL;
    return c && *c ? c : job->cron;
}

enum misfire_policy registry_default_misfire(const struct config *cfg, const struct job_def *job)
{
    const struct job_settings *js = config_job(cfg, job->key);
    return js && js->misfire >= 0 ? (enum misfire_policy)js->misfire : job->misfire;
}
