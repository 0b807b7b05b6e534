/* preview — see preview.h. */
#include "sched/preview.h"

#include <stdio.h>
#include <stdlib.h>

#include "sched/civil.h"

char *preview_utcoffset(int utoff, char *buf, size_t len)
{
    int a = abs(utoff);
    if (a % 60)
        snprintf(buf, len, "%c%02d:%02d:%02d", utoff < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
    else
        snprintf(buf, len, "%c%02d:%02d", utoff < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    return buf;
}

/* "YYYY-MM-DDTHH:MM:SS" of a wall time given as timegm-style seconds. */
static void wall_iso(int64_t wall, char *buf, size_t len)
{
    int64_t days = civil_floor_div(wall, 86400), secs = wall - days * 86400, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60));
}

char *preview_local_iso(const struct cron_fire *f, char *buf, size_t len)
{
    char wall[32], off[16];
    wall_iso((int64_t)f->at + f->offset.utoff, wall, sizeof wall);
    snprintf(buf, len, "%s%s", wall, preview_utcoffset(f->offset.utoff, off, sizeof off));
    return buf;
}

const char *preview_dst_flag(const struct cron_fire *f)
{
    if (f->flags & CRON_FIRE_SHIFTED_BY_GAP)
        return "shifted-by-gap";
    if (f->flags & CRON_FIRE_SECOND_PASS)
        return "second-pass";
    if (f->flags & CRON_FIRE_FIRST_OF_REPEATED)
        return "first-of-repeated";
    if (f->flags & CRON_FIRE_REPEATED)
        return "repeated";
    if (f->flags & CRON_FIRE_GAP_SKIPPED)
        return "gap-skipped";
    return NULL;
}

/* "HH:MM" of a wall time. */
static void hhmm(int64_t wall, char *buf, size_t len)
{
    int64_t secs = wall - civil_floor_div(wall, 86400) * 86400;
    snprintf(buf, len, "%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60));
}

/* The change at the transition that moved `f` (the one at or before it, or with `ahead` the next one after it):
 * "clocks jump from 02:00 EST to 03:00 EDT". */
static void change(const struct tz *zone, time_t at, bool ahead, const char *verb, char *buf, size_t len)
{
    struct tz_transition tr;
    if (!(ahead ? tz_next_transition(zone, at, &tr) : tz_prev_transition(zone, at, &tr))) {
        snprintf(buf, len, "clocks %s", verb);
        return;
    }
    char from[8], to[8];
    hhmm((int64_t)tr.at + tr.before.utoff, from, sizeof from);
    hhmm((int64_t)tr.at + tr.after.utoff, to, sizeof to);
    snprintf(buf, len, "clocks %s from %s %s to %s %s", verb, from, tr.before.abbr, to, tr.after.abbr);
}

char *preview_note(const struct cron_fire *f, const struct tz *zone, char *buf, size_t len)
{
    char when[32], at[8], nominal[8], chg[96];
    const char *name = zone ? tz_name(zone) : "UTC";
    wall_iso((int64_t)f->at + f->offset.utoff, when, sizeof when);
    when[10] = '\0';
    hhmm((int64_t)f->at + f->offset.utoff, at, sizeof at);
    hhmm(f->nominal, nominal, sizeof nominal);
    buf[0] = '\0';
    if (!zone || !f->flags)
        return buf;
    if (f->flags & CRON_FIRE_SHIFTED_BY_GAP) {
        change(zone, f->at, false, "jump", chg, sizeof chg);
        if (f->gap_slots > 1)
            snprintf(buf, len, "%d times from %s do not exist on %s in %s (%s): they run once, at %s", f->gap_slots,
                     nominal, when, name, chg, at);
        else
            snprintf(buf, len, "%s does not exist on %s in %s (%s): runs once, at %s", nominal, when, name, chg, at);
    } else if (f->flags & CRON_FIRE_SECOND_PASS) {
        change(zone, f->at, false, "go back", chg, sizeof chg);
        snprintf(buf, len, "%s happens twice on %s in %s (%s): this job follows real time, this is its second run", at,
                 when, name, chg);
    } else if (f->flags & (CRON_FIRE_FIRST_OF_REPEATED | CRON_FIRE_REPEATED)) {
        change(zone, f->at, true, "go back", chg, sizeof chg);
        snprintf(buf, len, "%s happens twice on %s in %s (%s): %s", at, when, name, chg,
                 (f->flags & CRON_FIRE_FIRST_OF_REPEATED) ? "runs at the first only"
                                                          : "runs at both, this is the first");
    } else if (f->flags & CRON_FIRE_GAP_SKIPPED) {
        change(zone, f->at, false, "jumped", chg, sizeof chg);
        snprintf(buf, len, "%d fire time%s before this one did not happen on %s in %s (%s)", f->gap_slots,
                 f->gap_slots == 1 ? "" : "s", when, name, chg);
    }
    return buf;
}

#define AROUND (4 * 3600) /* cronie's clock-change bound is 3 h; look a little wider on each side */

bool preview_next_dst_fire(const struct cron_schedule *s, const struct tz *zone, time_t after, time_t horizon_s,
                           struct cron_fire *out)
{
    struct tz_transition tr;
    for (time_t t = after; zone && tz_next_transition(zone, t, &tr) && tr.at <= after + horizon_s; t = tr.at) {
        struct cron_fire f;
        time_t from = tr.at - AROUND > after ? tr.at - AROUND : after;
        while (cron_next_fire(s, zone, from, &f) && f.at <= tr.at + AROUND) {
            if (f.flags) {
                *out = f;
                return true;
            }
            from = f.at;
        }
    }
    return false;
}
