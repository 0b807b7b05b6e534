/*
 * tz — IANA time zones read from the system tz database (TZif files under /usr/share/zoneinfo), thread-safe.
 *
 * Vocabulary: an "instant" is UTC seconds since the epoch (time_t). A "wall time" is what a clock in the zone
 * shows, written as the seconds since the epoch that the same civil date and time would have in UTC (timegm
 * style), so wall = instant + utoff. A "transition" is an instant where the zone's UTC offset changes: a forward
 * one opens a "gap" (wall times that never happen), a backward one a "repeat" (wall times that happen twice).
 *
 * Files: RFC 8536 (TZif versions 1 to 4). Version 2+ files are read from their 64-bit data; after the last
 * transition, and for all instants when there is none, the footer's POSIX TZ string decides ("slim" files carry
 * every future rule there). The footer accepts RFC 8536's extensions: angle-bracket names (<+0330>), rule times
 * with signed hours from -167 to 167, and DST all year ("...,0/0,J365/25"). Rule dates: Mm.w.d, Jn, n.
 * Before the first transition the zone uses its first local time type (RFC 8536 3.2). Files with leap-second
 * records ("right/..." zones) are refused: instants here are POSIX seconds.
 *
 * Threads: a loaded zone is immutable; share it between threads and query it concurrently. Nothing here reads or
 * sets the TZ variable, calls tzset() or localtime(), or keeps global state; tz_load reads one file per call.
 */
#ifndef COMICBATCH_TZ_H
#define COMICBATCH_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Where tz_load looks for zone files. */
#define TZ_DIR "/usr/share/zoneinfo"

/** Longest zone name accepted ("America/Argentina/ComodRivadavia" is 32). */
#define TZ_NAME_MAX 64

/** Longest abbreviation kept ("CEST", "+0530"); longer ones are truncated. */
#define TZ_ABBR_MAX 15

/** Largest zone file read; real ones are under 4 KiB. */
#define TZ_FILE_MAX (256 * 1024)

/** A loaded zone; opaque, immutable. */
struct tz;

/** The local time type in effect at an instant. Plain value. */
struct tz_offset {
    int32_t utoff; /* seconds east of UTC: +3600 for CET, -18000 for EST */
    bool isdst;
    char abbr[TZ_ABBR_MAX + 1];
};

/** An offset change: from `at` on, `after` applies; just before it, `before` did. */
struct tz_transition {
    time_t at;
    struct tz_offset before, after;
};

/** How a wall time maps to instants. */
enum tz_local_kind {
    TZ_LOCAL_NORMAL = 0,    /* exactly one instant */
    TZ_LOCAL_GAP = 1,       /* none: a forward transition skipped it */
    TZ_LOCAL_AMBIGUOUS = 2, /* two: a backward transition repeated it */
};

/** What tz_local_to_utc found for one wall time. */
struct tz_local {
    enum tz_local_kind kind;
    /* NORMAL: the instant. AMBIGUOUS: the earlier instant. GAP: the transition instant, i.e. the first instant
     * after the gap (its wall time is the end of the gap). */
    time_t first;
    time_t second;                  /* AMBIGUOUS: the later instant; otherwise equal to `first` */
    struct tz_offset first_offset;  /* the offset in effect at `first` (GAP: the offset before the gap) */
    struct tz_offset second_offset; /* the offset at `second` (GAP: the offset after the gap) */
};

/**
 * Loads zone `name` ("Europe/Berlin", "UTC") from TZ_DIR. "UTC" and "Etc/UTC" always work, even without the tz
 * database. Returns a zone the caller frees with tz_destroy, or NULL with a sentence in `err` (always terminated,
 * truncated to `errlen`): empty or over-long names, names starting with '/', containing "..", or characters outside
 * [A-Za-z0-9/_+-.], unknown zones ("unknown time zone \"Mars/Olympus\""), and files that are not valid TZif.
 */
struct tz *tz_load(const char *name, char *err, size_t errlen);

/** Like tz_load but reads from directory `dir` instead of TZ_DIR (tests, or a configured tz database). */
struct tz *tz_load_from(const char *dir, const char *name, char *err, size_t errlen);

/**
 * Builds a zone from a POSIX TZ string alone ("CET-1CEST,M3.5.0,M10.5.0/3"), with the same syntax as a TZif
 * footer; `tz_name` of the result is the string. Returns a zone to tz_destroy, or NULL with a sentence in `err`.
 */
struct tz *tz_from_posix(const char *tzstring, char *err, size_t errlen);

/** Frees a zone from tz_load/tz_load_from/tz_from_posix; NULL is fine. */
void tz_destroy(struct tz *z);

/** The name the zone was loaded by; borrowed, valid until tz_destroy. */
const char *tz_name(const struct tz *z);

/** The local time type in effect at instant `t` (any time_t; far outside the data, the nearest rules apply). */
struct tz_offset tz_offset_at(const struct tz *z, time_t t);

/** Finds the first instant strictly after `after` where the UTC offset changes. Returns false when none follows. */
bool tz_next_transition(const struct tz *z, time_t after, struct tz_transition *out);

/** Finds the last instant at or before `at` where the UTC offset changed. Returns false when none precedes. */
bool tz_prev_transition(const struct tz *z, time_t at, struct tz_transition *out);

/**
 * Maps wall time `wall` (civil local time as timegm-style seconds) to instants: normal, in a gap (then `first` is
 * the transition that skipped it), or ambiguous (both instants, earlier first). Always fills `*out`.
 */
void tz_local_to_utc(const struct tz *z, int64_t wall, struct tz_local *out);

#endif
