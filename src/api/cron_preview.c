/*
 * cron_preview — GET /admin/batch/cron/preview: what an expression means and when it fires, for the jobs page's
 * editor. `cron` (required), `n` fire times (1..20, default 5), `timezone` (an IANA zone the expression is read in,
 * as if it had that CRON_TZ= prefix), `from` (ISO time to start after; default now: time stays a parameter). Each
 * fire time comes in UTC and in the zone with its offset, abbreviation and what DST did to it (sched/preview.h);
 * `nextdst` is the next fire within a year that a DST change moves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "runs/schedule.h"
#include "sched/cron.h"
#include "sched/preview.h"
#include "util/timefmt.h"

#define PREVIEW_MAX 20
#define DST_HORIZON (366L * 86400)

static json_t *fire_json(const struct cron_fire *f, const struct tz *zone)
{
    char at[32], local[48], off[16], note[400];
    const char *flag = preview_dst_flag(f);
    preview_note(f, zone, note, sizeof note);
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s?,s:s?}", "at", time_format_iso(f->at, at, sizeof at), "local",
                     preview_local_iso(f, local, sizeof local), "abbr", f->offset.abbr, "utcoffset",
                     preview_utcoffset(f->offset.utoff, off, sizeof off), "isdst", f->offset.isdst, "dst", flag, "note",
                     note[0] ? note : NULL);
}

/* The expression to preview: `cron`, with the zone of `timezone` when given. 0, or -1 after answering 400. */
static int expr_or_reply(struct http_req *r, char *out, size_t len)
{
    const char *expr = req_query(r, "cron"), *zone = req_query(r, "timezone");
    struct cron_schedule s;
    char err[256];
    if (!expr) {
        reply_invalid(r, "cron", "cron is required");
        return -1;
    }
    if (zone && *zone) {
        struct tz *z = tz_load(zone, err, sizeof err);
        if (!z) {
            reply_invalid(r, "timezone", "Invalid time zone: %s", err);
            return -1;
        }
        tz_destroy(z);
        if (!cron_parse(expr, &s, err, sizeof err) && s.zone[0] && strcmp(s.zone, zone)) {
            reply_invalid(r, "timezone", "timezone %s contradicts the expression's CRON_TZ=%s", zone, s.zone);
            return -1;
        }
    }
    bool too_long = zone && *zone ? schedule_with_zone(expr, zone, out, len) != 0
                                  : snprintf(out, len, "%s", expr) >= (int)len;
    if (too_long) {
        reply_invalid(r, "cron", "the expression is longer than %d characters", CRON_MAX_EXPR);
        return -1;
    }
    return 0;
}

static int options_or_reply(struct http_req *r, int *n, time_t *from)
{
    const char *f = req_query(r, "from");
    *from = (time_t)(time_now_ms() / 1000);
    if (req_query_int_or_reply(r, "n", 5, 1, PREVIEW_MAX, n))
        return -1;
    if (f && time_parse_iso(f, from)) {
        reply_invalid(r, "from", "from must be an ISO 8601 date or date-time, e.g. 2026-03-07T00:00:00Z");
        return -1;
    }
    return 0;
}

static json_t *preview_json(const char *expr, const struct cron_schedule *s, const struct tz *zone,
                            const struct cron_fire *fires, int got, time_t from)
{
    char desc[256], iso[32];
    cron_describe(expr, desc, sizeof desc);
    json_t *next = json_array(), *detail = json_array();
    for (int i = 0; i < got; i++) {
        json_array_append_new(next, json_string(time_format_iso(fires[i].at, iso, sizeof iso)));
        json_array_append_new(detail, fire_json(&fires[i], zone));
    }
    struct cron_fire dst;
    json_t *nextdst = preview_next_dst_fire(s, zone, from, DST_HORIZON, &dst) ? fire_json(&dst, zone) : json_null();
    return json_pack("{s:s,s:s,s:o,s:s,s:s,s:o,s:o}", "cron", expr, "description", desc, "next", next, "timezone",
                     s->zone[0] ? s->zone : "UTC", "kind", cron_is_wildcard(s) ? "wildcard" : "fixed", "fires", detail,
                     "nextdst", nextdst);
}

void api_cron_preview(struct http_req *r)
{
    char expr[CRON_MAX_EXPR + 2], err[256];
    int n;
    time_t from;
    if (expr_or_reply(r, expr, sizeof expr) || options_or_reply(r, &n, &from))
        return;
    struct cron_schedule s;
    struct cron_fire fires[PREVIEW_MAX];
    char zname[TZ_NAME_MAX + 1];
    int got = cron_preview(expr, from, fires, n, zname, err, sizeof err);
    if (got < 0 || cron_parse(expr, &s, err, sizeof err)) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s,s:s}", "field", "cron", "reason", err),
                    "Invalid cron expression: %s", err);
        return;
    }
    struct tz *zone = s.zone[0] ? tz_load(s.zone, err, sizeof err) : NULL;
    reply_data(r, 200, preview_json(expr, &s, zone, fires, got, from));
    tz_destroy(zone);
}
