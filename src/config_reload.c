/* config_reload — see config_reload.h. */
#include "config_reload.h"

#include <stdio.h>
#include <string.h>

/* Appends `label` to a comma-separated list (silently stops at the list's size: the count stays right). */
static void note(char *list, int *count, const char *label)
{
    size_t n = strlen(list);
    snprintf(list + n, CONFIG_RELOAD_LIST - n, "%s%s", n ? "," : "", label);
    (*count)++;
}

/* Compares one key at two bases; copies it when reloadable, else notes a restart. */
static void reload_key(struct config *live, void *dst, const void *src, const struct config_key *k, const char *label,
                       struct config_reload_report *rep)
{
    char a[4096], b[4096];
    if (!strcmp(config_value_text(dst, k, a, sizeof a), config_value_text(src, k, b, sizeof b)))
        return;
    if ((k->flags & CONFIG_RELOAD) && config_copy_value(live, dst, src, k) == 0)
        note(rep->applied, &rep->napplied, label);
    else
        note(rep->restart, &rep->nrestart, label);
}

/* The `[job.KEY]` entries: every key in either config; a key only in `live` goes back to its defaults. */
static void reload_jobs(struct config *live, const struct config *next, const struct config_key *k,
                        struct config_reload_report *rep)
{
    struct job_settings defaults = {
        .timeout_ms = -1, .misfire = -1, .max_attempts = -1, .retry_delay_ms = -1, .deadline_ms = -1};
    char label[300];
    for (int i = 0; i < next->njobs; i++) {
        struct job_settings *dst = config_job_entry(live, next->jobs[i].key);
        snprintf(label, sizeof label, "job.%s.%s", next->jobs[i].key, k->name);
        if (dst)
            reload_key(live, dst, &next->jobs[i], k, label, rep);
        else
            note(rep->restart, &rep->nrestart, label);
    }
    for (int i = 0; i < live->njobs; i++) {
        if (config_job(next, live->jobs[i].key))
            continue;
        snprintf(label, sizeof label, "job.%s.%s", live->jobs[i].key, k->name);
        reload_key(live, &live->jobs[i], &defaults, k, label, rep);
    }
}

/* `[provider.NAME]` sections are read once at start: a changed key, or a section added or removed, is a restart. */
static void reload_providers(const struct config *live, const struct config *next, struct config_reload_report *rep)
{
    size_t n;
    const struct config_key *keys = config_keys(&n);
    char a[4096], b[4096], label[300];
    for (int i = 0; i < next->nproviders; i++) {
        const struct provider_settings *p = &next->providers[i], *o = config_provider(live, p->name);
        for (size_t k = 0; o && k < n; k++) {
            if (strcmp(keys[k].section, "provider.NAME") ||
                !strcmp(config_value_text(o, &keys[k], a, sizeof a), config_value_text(p, &keys[k], b, sizeof b)))
                continue;
            snprintf(label, sizeof label, "provider.%s.%s", p->name, keys[k].name);
            note(rep->restart, &rep->nrestart, label);
        }
        if (!o) {
            snprintf(label, sizeof label, "provider.%s", p->name);
            note(rep->restart, &rep->nrestart, label);
        }
    }
    for (int i = 0; i < live->nproviders; i++)
        if (!config_provider(next, live->providers[i].name)) {
            snprintf(label, sizeof label, "provider.%s", live->providers[i].name);
            note(rep->restart, &rep->nrestart, label);
        }
}

void config_reload(struct config *live, const struct config *next, struct config_reload_report *rep)
{
    memset(rep, 0, sizeof *rep);
    size_t n;
    const struct config_key *keys = config_keys(&n);
    char label[300];
    for (size_t i = 0; i < n; i++) {
        const struct config_key *k = &keys[i];
        if (!(k->flags & CONFIG_TEMPLATE)) {
            snprintf(label, sizeof label, "%s.%s", k->section, k->name);
            reload_key(live, live, next, k, label, rep);
        } else if (!strcmp(k->section, "job.KEY")) {
            reload_jobs(live, next, k, rep);
        }
    }
    reload_providers(live, next, rep);
}
