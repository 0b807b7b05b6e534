/*
 * settings — the configuration part of a contract (contract_setting in contract/contract.h): a job that cannot run
 * without a setting (metadata.dump_refresh without the active provider's `dump`) is "not configured". It is then
 * unavailable exactly like a job whose schema contract fails — not scheduled, its triggers refused with the reason —
 * so it never fails once a day into the alerts; `doctor` lists it with the INI lines to add and does not count it
 * as a failure. Pure: reads a struct config, never the database.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "contract/check.h"
#include "providers/provider.h"

/* The template section naming the active provider's settings. */
#define PROVIDER_SECTION "provider.NAME"

/* Where the keys of `section` are read from (NULL: the section is absent), and its name as an operator writes it. */
static const void *section_base(const struct config *cfg, const char *section, char *name, size_t namelen)
{
    if (strcmp(section, PROVIDER_SECTION)) {
        snprintf(name, namelen, "%s", section);
        return cfg;
    }
    const char *active = provider_active_name(cfg);
    snprintf(name, namelen, "provider.%s", active);
    return config_provider(cfg, active);
}

/* True when setting `s` is set (non-empty) in `cfg`; `*base` gets its section's base (NULL: section absent). */
static bool is_set(const struct config *cfg, const struct contract_setting *s, const struct config_key *k,
                   const void **base, char *section, size_t sectionlen)
{
    char buf[8];
    *base = section_base(cfg, s->section, section, sectionlen);
    return k && *base && config_value_text(*base, k, buf, sizeof buf)[0];
}

/* The INI lines that would set `k` in `section`, with what to do after adding them. */
static void ini_fix(const struct config_key *k, const char *section, bool provider, char *out, size_t outlen)
{
    snprintf(out, outlen, "# in the configuration file, then %s%s:\n[%s]\n%s = %s",
             k->flags & CONFIG_RELOAD ? "reload (SIGHUP)" : "restart comicbatch",
             provider ? "; or point [metadata] provider at a provider that is configured" : "", section, k->name,
             k->example ? k->example
             : k->dflt  ? k->dflt
                        : "...");
}

void contract_check_settings(const struct contract *c, const struct config *cfg, struct contract_result *res)
{
    char section[160], fix[600], active[200] = "", absent[200] = "", what[900];
    for (const struct contract_setting *s = c->settings; s && s->section; s++) {
        const struct config_key *k = config_key_find(s->section, s->key);
        const void *base;
        if (is_set(cfg, s, k, &base, section, sizeof section))
            continue;
        bool provider = !strcmp(s->section, PROVIDER_SECTION);
        if (provider)
            snprintf(active, sizeof active, "; %s is the active provider ([metadata] provider)",
                     provider_active_name(cfg));
        if (!k) { /* a contract naming a key this build does not have: a bug, caught by the unit tests */
            snprintf(what, sizeof what, "[%s] %s is not a setting of this build", section, s->key);
            contract_result_add(res, true, NULL, what);
        } else {
            ini_fix(k, section, provider, fix, sizeof fix);
            if (!base)
                snprintf(absent, sizeof absent, " (no [%s] section)", section);
            snprintf(what, sizeof what, "[%s] %s is not set%s: %s%s", section, s->key, absent, s->why, active);
            contract_result_add(res, true, fix, what)->setting = true;
        }
        res->configured = false;
    }
}

bool contract_configured(const struct contract *c, const struct config *cfg)
{
    char section[160];
    for (const struct contract_setting *s = c ? c->settings : NULL; s && s->section; s++) {
        const void *base;
        if (!is_set(cfg, s, config_key_find(s->section, s->key), &base, section, sizeof section))
            return false;
    }
    return true;
}
