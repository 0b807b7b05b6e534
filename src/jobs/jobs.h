/* jobs — the job definitions the registry lists; one file per job under src/jobs/. */
#ifndef COMICBATCH_JOBS_H
#define COMICBATCH_JOBS_H

#include "jobs/registry.h"

extern const struct job_def job_system_canary;
extern const struct job_def job_sessions_cleanup;
extern const struct job_def job_announcements_expire;
extern const struct job_def job_library_hasnew;
extern const struct job_def job_library_viewhistory_cap;
extern const struct job_def job_comics_ratings_recalc;
extern const struct job_def job_comics_counts_recalc;
extern const struct job_def job_analytics_flush_counters;
extern const struct job_def job_analytics_anonymize;
extern const struct job_def job_analytics_partition;
extern const struct job_def job_crawler_partition;
extern const struct job_def job_crawler_source_health;
extern const struct job_def job_storage_orphan_cleanup;
extern const struct job_def job_metadata_dump_refresh;
extern const struct job_def job_metadata_series_refresh;

#endif
