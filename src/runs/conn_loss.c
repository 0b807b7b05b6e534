/* conn_loss — see conn_loss.h. */
#include "runs/conn_loss.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/timefmt.h"

/* The first non-blank line of `msg` without a severity prefix ("FATAL:  terminating connection …"), into buf. */
static const char *first_line(const char *msg, char *buf, size_t len)
{
    static const char *const severities[] = {"FATAL:", "ERROR:", "PANIC:"};
    const char *p = msg ? msg : "";
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        bool stripped = false;
        for (size_t i = 0; i < sizeof severities / sizeof severities[0]; i++)
            if (!strncmp(p, severities[i], strlen(severities[i]))) {
                p += strlen(severities[i]);
                stripped = true;
            }
        if (!stripped)
            break;
    }
    size_t n = strcspn(p, "\n");
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    if (n)
        snprintf(buf, len, "%.*s", (int)n, p);
    else
        snprintf(buf, len, "no message");
    return buf;
}

char *conn_loss_describe(const struct conn_loss *in, char *out, size_t len)
{
    char why[300], what[400], at[32];
    first_line(in->error, why, sizeof why);
    bool moved = in->server_before && in->server_after && strcmp(in->server_before, in->server_after);
    if (moved)
        snprintf(what, sizeof what, "the database failed over from %s to %s", in->server_before, in->server_after);
    else if (in->server_started > 0 && in->server_started >= in->run_started)
        snprintf(what, sizeof what, "the database server restarted at %s",
                 time_format_iso(in->server_started, at, sizeof at));
    else
        snprintf(what, sizeof what, "the server closed the session (the database itself did not restart)");
    snprintf(out, len,
             "database connection lost during the run (%s): %s; the run was ended by its own instance %s once it "
             "could reconnect; committed batches are kept",
             why, what, in->instance ? in->instance : "?");
    return out;
}
