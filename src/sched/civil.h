/*
 * civil — proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), shared by cron and tz.
 *
 * Exact for every year a 64-bit day number can hold (Howard Hinnant's algorithms); no tables, no libc time
 * functions, so callers stay pure and thread-safe.
 */
#ifndef COMICBATCH_CIVIL_H
#define COMICBATCH_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/** Floor division (rounds towards minus infinity); `b` must not be 0. */
static inline int64_t civil_floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/** True for Gregorian leap years. */
static inline bool civil_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/** Days in month `m` (1..12) of year `y`. */
static inline int civil_days_in_month(int64_t y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && civil_is_leap(y) ? 29 : dim[m];
}

/** Day number of year `y`, month `m` (1..12), day `d` (1..31). */
static inline int64_t civil_days_from(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = civil_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/** Splits day number `z` into year, month (1..12) and day (1..31). */
static inline void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = civil_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/** Day of the week of day number `z`, Sunday = 0 (1970-01-01 was a Thursday). */
static inline int civil_weekday(int64_t z)
{
    return (int)(((z % 7) + 11) % 7);
}

#endif
