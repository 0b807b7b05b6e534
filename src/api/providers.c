/*
 * providers — GET /api/v1/providers: what the admin Providers page shows. One entry per configured provider (the
 * active one first, listed even without a `[provider.NAME]` section): its dump location with credentials hidden,
 * the record count, the last successful dump refresh, how many series rows it backs (and how many rows are manual),
 * and the in-flight series refresh run (and dump refresh run) with progressdone/progresstotal for the live pill.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "config.h"
#include "providers/catalog.h"
#include "providers/provider.h"
#include "store/pg.h"
#include "store/runstore.h"

/* The entry for provider `name`: catalog counts, in-flight runs and what the config says. New reference, or NULL on error. */
static json_t *provider_entry(PGconn *c, const struct config *cfg, const char *name)
{
    char series_lock[160], dump_lock[160], shown[1024];
    snprintf(series_lock, sizeof series_lock, "metadata.series_refresh:%s", name);
    snprintf(dump_lock, sizeof dump_lock, "metadata.dump_refresh:%s", name);
    json_t *e = catalog_provider_counts(c, name);
    json_t *inflight = e ? runstore_inflight_brief(c, series_lock) : NULL;
    json_t *dump_inflight = inflight ? runstore_inflight_brief(c, dump_lock) : NULL;
    if (!dump_inflight) {
        json_decref(e);
        json_decref(inflight);
        return NULL;
    }
    json_object_set_new(e, "inflight", inflight);
    json_object_set_new(e, "dumpInflight", dump_inflight);
    const struct provider_settings *ps = config_provider(cfg, name);
    provider_redact_location(ps ? ps->dump : NULL, shown, sizeof shown);
    json_object_set_new(e, "name", json_string(name));
    json_object_set_new(e, "kind", json_string("dump"));
    json_object_set_new(e, "active", json_boolean(!strcmp(name, provider_active_name(cfg))));
    json_object_set_new(e, "dump", shown[0] ? json_string(shown) : json_null());
    return e;
}

/* Names to list: the active provider, then every other configured one. */
static int provider_names(const struct config *cfg, const char **names, int max)
{
    int n = 0;
    names[n++] = provider_active_name(cfg);
    for (int i = 0; i < cfg->nproviders && n < max; i++)
        if (strcmp(cfg->providers[i].name, names[0]))
            names[n++] = cfg->providers[i].name;
    return n;
}

void api_providers_list(struct http_req *r)
{
    const char *names[CONFIG_MAX_PROVIDERS + 1];
    int n = provider_names(r->env->cfg, names, CONFIG_MAX_PROVIDERS + 1);
    PGconn *c = pgpool_acquire(r->env->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n && out; i++) {
        json_t *e = provider_entry(c, r->env->cfg, names[i]);
        if (e) {
            json_array_append_new(out, e);
        } else {
            json_decref(out);
            out = NULL;
        }
    }
    pgpool_release(r->env->pool, c);
    if (out)
        reply_data(r, 200, out);
    else
        reply_internal(r);
}
