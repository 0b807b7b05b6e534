/*
 * libFuzzer target for sched/cron.c. The input bytes, NUL-terminated, are an expression. When it parses, every
 * fire time cron_next returns must be later than `after`, on a whole minute, within the horizon, and match the
 * schedule field by field (checked independently with gmtime_r). Searching again from one second before it must
 * find that time again. cron_describe must agree with cron_parse and leave a terminated string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/cron.h"

#define FUZZ_MAX_INPUT 4096
#define HORIZON_SECS ((time_t)5 * 366 * 86400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fire_matches(const struct cron_schedule *s, time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return false;
    bool dom = (s->mdays >> tm.tm_mday) & 1, dow = (s->wdays >> tm.tm_wday) & 1;
    bool day = (s->mday_star || s->wday_star) ? dom && dow : dom || dow;
    return day && ((s->months >> (tm.tm_mon + 1)) & 1) && ((s->hours >> tm.tm_hour) & 1) &&
           ((s->minutes >> tm.tm_min) & 1) && tm.tm_sec == 0;
}

static void check_next(const struct cron_schedule *s, time_t after)
{
    time_t next = cron_next(s, after);
    if (next == -1)
        return;
    if (next <= after || next % 60 != 0 || next - after > HORIZON_SECS + 86400 || !fire_matches(s, next))
        abort();
    if (cron_next(s, next - 1) != next)
        abort();
}

static uint64_t fnv1a(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char expr[FUZZ_MAX_INPUT + 1];
    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';

    struct cron_schedule s;
    char err[128], desc[256];
    int rc = cron_parse(expr, &s, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL)
        abort();
    if ((cron_describe(expr, desc, sizeof desc) == 0) != (rc == 0) || memchr(desc, '\0', sizeof desc) == NULL)
        abort();
    if (rc != 0)
        return 0;

    const time_t fixed[] = {0, -1, 951782400 /* 2000-02-29 */, 1735689599, 4102444800 /* 2100-01-01 */};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_next(&s, fixed[i]);
    check_next(&s, (time_t)(fnv1a(data, size) % 253402300800ULL)); /* somewhere in 1970..9999 */

    time_t out[3];
    int n = cron_next_n(expr, 1735689600, out, 3, err, sizeof err);
    if (n < 0 || n > 3)
        abort();
    for (int i = 1; i < n; i++)
        if (out[i] <= out[i - 1])
            abort();
    return 0;
}
