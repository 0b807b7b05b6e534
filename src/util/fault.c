/* fault — see fault.h. */
#include "util/fault.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timefmt.h"

void fault_point(const char *name)
{
    const char *spec = getenv("COMICBATCH_FAULT");
    if (!spec || !*spec)
        return;
    size_t n = strlen(name);
    for (const char *p = spec; (p = strstr(p, name)) != NULL; p += n) {
        bool starts = p == spec || p[-1] == ',';
        bool ends = p[n] == '\0' || p[n] == ',';
        if (starts && ends) {
            log_warn("msg=\"fault injection: killing the process\" point=%s", name);
            raise(SIGKILL);
        }
    }
}

int fault_spec_stall_ms(const char *spec, const char *name)
{
    if (!spec)
        return 0;
    size_t n = strlen(name);
    for (const char *p = spec; (p = strstr(p, name)) != NULL; p += n) {
        if ((p == spec || p[-1] == ',') && p[n] == '=') {
            long ms = strtol(p + n + 1, NULL, 10);
            return ms > 0 && ms < 3600000 ? (int)ms : 0;
        }
    }
    return 0;
}

int fault_stall_ms(const char *name)
{
    return fault_spec_stall_ms(getenv("COMICBATCH_FAULT"), name);
}

void fault_stall_once(atomic_int *once, const char *name)
{
    int v = atomic_load(once);
    if (v < 0) {
        atomic_compare_exchange_strong(once, &v, fault_stall_ms(name));
        v = atomic_load(once);
    }
    if (v > 0 && atomic_compare_exchange_strong(once, &v, 0)) {
        log_warn("msg=\"fault injection: stalling\" point=%s ms=%d", name, v);
        time_sleep_ms(v);
    }
}
