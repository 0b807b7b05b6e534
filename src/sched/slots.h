/*
 * slots — pure accounting of cron slots that produced no run (the missed-slot ledger, store/slotledger.h) and the
 * default deadline a schedule implies. Time and zone are parameters: no clock, no I/O.
 *
 * Vocabulary: a "slot" is one fire time of a job's schedule (cron.h, in the job's zone, DST policy applied: a
 * fixed-time job's gap fire is one slot at the end of the gap, a wall time that happens twice is one slot or two
 * as the policy says). A "span" is a run of consecutive slots of one job; the ledger keeps one row per span and
 * reason, so the rows stay few however long a job was paused, disabled or without a leader.
 */
#ifndef COMICBATCH_SLOTS_H
#define COMICBATCH_SLOTS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sched/cron.h"

/** Why a slot produced no run. Names (slots_reason_name) are system.batchmissed.reason. */
enum missed_reason {
    MISSED_OVERLAP = 0,    /* the job was still queued or running (its lock key was held) */
    MISSED_MISFIRE,        /* noticed later than the misfire grace while a leader ran; the policy skipped it */
    MISSED_DISABLED,       /* an operator had disabled the job */
    MISSED_PAUSED,         /* a pause (maintenance window) covered it */
    MISSED_UNAVAILABLE,    /* the job could not run on this database (its schema contract failed) */
    MISSED_NO_LEADER,      /* no instance led the scheduler when it was due */
    MISSED_INVALID,        /* the stored expression did not parse or its time zone could not be loaded */
    MISSED_INVALID_PARAMS, /* the run model refused the slot's run: the schedule's params no longer validate */
};

/** The reason's name in the ledger and the API ("overlap", "misfire-skipped", …). Static string. */
const char *slots_reason_name(enum missed_reason r);

/** Most slots one span counts; past it the span stops (and says so in `capped`). */
#define SLOTS_SPAN_MAX 200000

/** A run of consecutive slots. */
struct slot_span {
    time_t first, last; /* the first and last slot counted */
    int count;          /* slots in the span; 0: none */
    bool capped;        /* SLOTS_SPAN_MAX was reached: there were more */
};

/**
 * Counts the slots of `s` in `zone` (NULL: UTC) strictly after `lo` and at or before `hi` into `out`. Returns the
 * count (0 when none; `out->first`/`last` are then 0).
 */
int slots_span(const struct cron_schedule *s, const struct tz *zone, time_t lo, time_t hi, struct slot_span *out);

/**
 * Like slots_span over [first, hi], but `first` counts whether or not the schedule names it: it is a stored slot
 * (a job's nextrunat), which an edited expression or a changed zone may no longer produce, and it still did not run.
 */
int slots_span_from(const struct cron_schedule *s, const struct tz *zone, time_t first, time_t hi,
                    struct slot_span *out);

/**
 * True when a span starting at slot `first` continues a ledger row whose last slot is `prev_last`: no slot of the
 * schedule lies between them (the caller also checks the reasons are the same).
 */
bool slots_continues(const struct cron_schedule *s, const struct tz *zone, time_t prev_last, time_t first);

/**
 * The default deadline of a schedule, in seconds: twice the longest gap between consecutive fire times, measured
 * on the wall clock (so DST neither shortens nor stretches it) over the next year from `now`. A weekday job's
 * weekend gap or a monthly job's longest month counts. Returns -1 when the schedule fires fewer than twice within
 * its horizon (no default deadline).
 */
int64_t slots_default_deadline(const struct cron_schedule *s, time_t now);

#endif
