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
    struct job_settings defaults = {.timeout_ms = -1, .misfire = -1};
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

/* `[provider.NAME]` sections are read once at start: any difference is a restart. */
static void reload_providers(const struct config *live, const struct config *next, const struct config_key *k,
                             struct config_reload_report *rep)
{
    char a[4096], b[4096], label[300];
    for (int pass = 0; pass < 2; pass++) {
        const struct config *from = pass ? live : next, *other = pass ? next : live;
        for (int i = 0; i < from->nproviders; i++) {
            const struct provider_settings *o = config_provider(other, from->providers[i].name);
            if (o && !strcmp(config_value_text(o, k, a, sizeof a), config_value_text(&from->providers[i], k, b,
                                                                                       sizeof b)))
                continue;
            if (o && pass) /* a differing pair was noted in the first pass */
                continue;
            snprintf(label, sizeof label, "provider.%s.%s", from->providers[i].name, k->name);
            note(rep->restart, &rep->nrestart, label);
        }
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
        } else {
            reload_providers(live, next, k, rep);
        }
    }
}
