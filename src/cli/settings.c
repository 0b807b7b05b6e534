/* settings — see settings.h. */
#include "cli/settings.h"

#include "config.h"
#include "jobs/registry.h"
#include "sched/cron.h"

static const char *registry_key_at(size_t i)
{
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    return i < n ? jobs[i]->key : NULL;
}

static const struct config_checks checks = {.cron = cron_check, .job_key = registry_key_at};

const struct config_checks *cli_settings_checks(void)
{
    return &checks;
}

int cli_settings_load(struct config *c, const char *path, bool validate, bool need_token, char *err, size_t errlen)
{
    config_init(c);
    if (config_load_checked(c, path, &checks, err, errlen))
        return -1;
    return validate ? config_validate(c, need_token, &checks, err, errlen) : 0;
}
