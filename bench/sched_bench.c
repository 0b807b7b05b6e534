/*
 * sched_bench — what the scheduler's new per-slot work costs on this machine (issue 13), timed with
 * CLOCK_PROCESS_CPUTIME_ID so other processes' load changes little: loading a zone (the tick loads one per due job),
 * a next-fire in a zone vs in UTC, counting a month of a per-minute job's missed slots (one ledger span), the
 * default deadline of typical expressions, and the next DST-moved fire of a per-minute job (the cron preview).
 * Prints a markdown table. Built by meson as `bench_sched`; run by bench/bench_sched.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sched/preview.h"
#include "sched/slots.h"

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static struct cron_schedule parse(const char *expr)
{
    struct cron_schedule s;
    char err[256];
    if (cron_parse(expr, &s, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", expr, err);
        exit(1);
    }
    return s;
}

static void row(const char *what, double ns, int reps, const char *note)
{
    double per = ns / reps;
    if (per >= 1e6)
        printf("| %s | %.2f ms | %d | %s |\n", what, per / 1e6, reps, note);
    else if (per >= 1e3)
        printf("| %s | %.1f µs | %d | %s |\n", what, per / 1e3, reps, note);
    else
        printf("| %s | %.0f ns | %d | %s |\n", what, per, reps, note);
}

int main(void)
{
    const time_t from = 1767225600; /* 2026-01-01T00:00:00Z */
    char err[200];
    volatile long sink = 0;
    printf("| operation | CPU time per call | calls | note |\n|---|---:|---:|---|\n");

    double t0 = cpu_ns();
    for (int i = 0; i < 2000; i++)
        tz_destroy(tz_load("Europe/Berlin", err, sizeof err));
    row("`tz_load(\"Europe/Berlin\")`", cpu_ns() - t0, 2000,
        "reads and parses the TZif file; once per due job per tick");

    struct cron_schedule s = parse("CRON_TZ=Europe/Berlin */15 * * * *"), u = parse("*/15 * * * *");
    struct tz *berlin = tz_load("Europe/Berlin", err, sizeof err);
    t0 = cpu_ns();
    for (int i = 0; i < 200000; i++)
        sink += cron_next_tz(&s, berlin, from + i * 60);
    row("`cron_next_tz`, `*/15` in Europe/Berlin", cpu_ns() - t0, 200000, "");
    t0 = cpu_ns();
    for (int i = 0; i < 200000; i++)
        sink += cron_next_tz(&u, NULL, from + i * 60);
    row("`cron_next_tz`, `*/15` in UTC", cpu_ns() - t0, 200000, "");

    struct cron_schedule m = parse("CRON_TZ=Europe/Berlin * * * * *");
    struct slot_span sp;
    t0 = cpu_ns();
    for (int i = 0; i < 10; i++)
        sink += slots_span(&m, berlin, from, from + 30 * 86400, &sp);
    row("`slots_span`, a month of a per-minute job (43,200 slots)", cpu_ns() - t0, 10,
        "one ledger row after a month without a leader");

    const char *exprs[] = {"*/15 * * * *", "0 2 * * *", "0 9-17 * * 1-5", "30 0 1 * *", "CRON_TZ=Asia/Tokyo 0 0 * * *"};
    for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
        struct cron_schedule x = parse(exprs[e]);
        t0 = cpu_ns();
        for (int i = 0; i < 200; i++)
            sink += slots_default_deadline(&x, from);
        char what[128];
        snprintf(what, sizeof what, "`slots_default_deadline(\"%s\")`", exprs[e]);
        row(what, cpu_ns() - t0, 200, e ? "" : "per job per deadline check (every 5 s) and per listing");
    }

    struct cron_fire f;
    t0 = cpu_ns();
    for (int i = 0; i < 200; i++)
        sink += preview_next_dst_fire(&m, berlin, from, 366L * 86400, &f);
    row("`preview_next_dst_fire`, per-minute job in Europe/Berlin", cpu_ns() - t0, 200,
        "looks only around the zone's transitions");
    tz_destroy(berlin);
    return sink == 42 ? 1 : 0;
}
