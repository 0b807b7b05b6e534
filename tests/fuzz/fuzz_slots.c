/*
 * libFuzzer target for sched/slots.c and sched/preview.c. The input bytes, NUL-terminated, are an expression (a
 * CRON_TZ= prefix included, or one of a few zones picked by the input's hash). When it parses: counting the slots
 * of a window (slots_span) gives exactly the fire times cron_next_tz walks through, in order, first and last
 * included; every consecutive pair "continues" (no slot between them) and no other pair does; a stored slot that is
 * not a fire time still counts once (slots_span_from); the default deadline is -1 or at least twice a minute; a
 * fire's note and local time are terminated, and the note is empty exactly for an unflagged fire; the next
 * DST-moved fire, when found, is flagged and within the horizon.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/preview.h"
#include "sched/slots.h"

#define FUZZ_MAX_INPUT 4096
#define WALK_MAX 200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_zones[] = {"Europe/Berlin", "America/New_York",  "Australia/Lord_Howe",
                                         "Asia/Tokyo",    "America/Sao_Paulo", "UTC"};
#define NZONES (sizeof fuzz_zones / sizeof fuzz_zones[0])

static uint64_t fnv1a(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

/* A window of up to WALK_MAX fires after `lo`: the span must be exactly what cron_next_tz walks. */
static void check_span(const struct cron_schedule *s, const struct tz *z, time_t lo)
{
    time_t fires[WALK_MAX], t = lo;
    int n = 0;
    while (n < WALK_MAX && (t = cron_next_tz(s, z, t)) > 0)
        fires[n++] = t;
    if (!n)
        return;
    struct slot_span sp;
    if (slots_span(s, z, lo, fires[n - 1], &sp) != n || sp.first != fires[0] || sp.last != fires[n - 1] || sp.capped)
        abort();
    for (int i = 1; i < n; i++)
        if (!slots_continues(s, z, fires[i - 1], fires[i]) || (i > 1 && slots_continues(s, z, fires[i - 2], fires[i])))
            abort();
    if (fires[0] - 1 > lo && slots_span_from(s, z, fires[0] - 1, fires[0], &sp) != 2)
        abort(); /* a stored slot one second before a fire: itself, then the fire */
}

static void check_preview(const struct cron_schedule *s, const struct tz *z, time_t after)
{
    struct cron_fire f;
    char note[400], local[64];
    if (cron_next_fire(s, z, after, &f)) {
        preview_note(&f, z, note, sizeof note);
        preview_local_iso(&f, local, sizeof local);
        if (!memchr(note, '\0', sizeof note) || !memchr(local, '\0', sizeof local) || strlen(local) < 25)
            abort();
        if (z && ((note[0] != '\0') != (f.flags != 0)))
            abort();
        if ((preview_dst_flag(&f) != NULL) != (f.flags != 0))
            abort();
    }
    if (preview_next_dst_fire(s, z, after, 366L * 86400, &f) &&
        (!f.flags || f.at <= after || f.at > after + 367L * 86400))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char expr[FUZZ_MAX_INPUT + 1];
    static struct tz *zones[NZONES];
    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    struct cron_schedule s;
    char err[160];
    if (cron_parse(expr, &s, err, sizeof err))
        return 0;
    uint64_t h = fnv1a(data, size);
    size_t k = (size_t)(h % NZONES);
    struct tz *own = s.zone[0] ? tz_load(s.zone, err, sizeof err) : NULL;
    if (!own && !zones[k])
        zones[k] = tz_load(fuzz_zones[k], err, sizeof err);
    const struct tz *z = own ? own : zones[k];
    const time_t pins[] = {(time_t)(h % 4102444800ULL), 1774745000 /* 2026-03-29 */, 1792888000 /* 2026-10-25 */};
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        check_span(&s, z, pins[i]);
        check_preview(&s, z, pins[i]);
    }
    int64_t d = slots_default_deadline(&s, pins[0]);
    if (d != -1 && d < 120)
        abort();
    tz_destroy(own);
    return 0;
}
