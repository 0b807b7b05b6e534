/* provider — see provider.h: finding the configured provider, and showing its location without secrets. */
#include "providers/provider.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

const char *provider_active_name(const struct config *cfg)
{
    return cfg->metadata_provider && *cfg->metadata_provider ? cfg->metadata_provider : "dump";
}

int provider_resolve(const struct config *cfg, const char *name, struct provider *out, char *err, size_t errlen)
{
    if (!name || !*name)
        name = provider_active_name(cfg);
    memset(out, 0, sizeof *out);
    const struct provider_settings *ps = config_provider(cfg, name);
    if (!ps) {
        snprintf(err, errlen, "provider %s is not configured (no [provider.%s] section)", name, name);
        return -1;
    }
    if (!ps->dump || !*ps->dump) {
        snprintf(err, errlen, "provider.%s.dump is not set (a local path or an https URL of a JSON-lines dump)", name);
        return -1;
    }
    out->name = ps->name;
    out->kind = "dump";
    out->settings = ps;
    out->stream = dump_stream;
    return 0;
}

int provider_lock_scope(const json_t *params, char *buf, size_t buflen)
{
    const char *p = json_string_value(json_object_get(params, "provider"));
    if (!p || !*p)
        return 0;
    snprintf(buf, buflen, "%s", p);
    return 1;
}

void provider_fill_param(const struct config *cfg, json_t *params)
{
    json_t *p = json_object_get(params, "provider");
    if (!json_is_string(p) || !json_string_length(p))
        json_object_set_new(params, "provider", json_string(provider_active_name(cfg)));
}

/* The provider named in `params` (NULL when the param is null or empty: the active one). */
static const char *named_provider(const json_t *params)
{
    const char *p = json_string_value(json_object_get(params, "provider"));
    return p && *p ? p : NULL;
}

/* "a, b" (or "none") into buf: the configured providers, for an error that says what would have been accepted. */
static void configured_names(const struct config *cfg, char *buf, size_t buflen)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < cfg->nproviders && o < buflen; i++) {
        int n = snprintf(buf + o, buflen - o, "%s%s", i ? ", " : "", cfg->providers[i].name);
        o += n > 0 ? (size_t)n : 0;
    }
    if (!cfg->nproviders)
        snprintf(buf, buflen, "none");
}

int provider_check_param(const struct config *cfg, const json_t *params, char *field, size_t fieldlen, char *err,
                         size_t errlen)
{
    const char *name = named_provider(params);
    if (!name || config_provider(cfg, name))
        return 0;
    char names[256];
    configured_names(cfg, names, sizeof names);
    snprintf(field, fieldlen, "params.provider");
    snprintf(err, errlen, "provider %s is not configured (no [provider.%s] section; configured: %s)", name, name,
             names);
    return -1;
}

int provider_check_dump_param(const struct config *cfg, const json_t *params, char *field, size_t fieldlen, char *err,
                              size_t errlen)
{
    if (provider_check_param(cfg, params, field, fieldlen, err, errlen))
        return -1;
    const char *name = named_provider(params);
    struct provider p;
    if (!name || !provider_resolve(cfg, name, &p, err, errlen))
        return 0;
    snprintf(field, fieldlen, "params.provider");
    return -1;
}

/* Rewrites every query value of `q` as "***" into buf ("a=***&b=***"). */
static void redact_query(const char *q, char *buf, size_t buflen)
{
    size_t o = 0;
    buf[0] = '\0';
    while (*q && o + 1 < buflen) {
        size_t klen = strcspn(q, "=&");
        int n = snprintf(buf + o, buflen - o, "%s%.*s%s", o ? "&" : "", (int)klen, q, q[klen] == '=' ? "=***" : "");
        if (n < 0 || (size_t)n >= buflen - o)
            break;
        o += (size_t)n;
        q += klen;
        q += strcspn(q, "&");
        if (*q == '&')
            q++;
    }
}

void provider_redact_location(const char *location, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s", location ? location : "");
    if (!location || !strstr(location, "://"))
        return;
    CURLU *u = curl_url();
    if (!u || curl_url_set(u, CURLUPART_URL, location, CURLU_NON_SUPPORT_SCHEME)) {
        curl_url_cleanup(u);
        snprintf(buf, buflen, "(unparseable URL)");
        return;
    }
    char *user = NULL, *query = NULL, *out = NULL;
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        curl_url_set(u, CURLUPART_USER, "***", 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) {
        char red[2048];
        redact_query(query, red, sizeof red);
        curl_url_set(u, CURLUPART_QUERY, red, 0);
    }
    if (curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        snprintf(buf, buflen, "%s", out);
    else
        snprintf(buf, buflen, "(unparseable URL)");
    curl_free(user);
    curl_free(query);
    curl_free(out);
    curl_url_cleanup(u);
}
