/*
 * result — the findings of one contract check (check.h: struct contract_result): appended by the database checks
 * (check.c) and the settings checks (settings.c), freed by the caller. Apart from both so neither depends on the
 * other for it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "contract/check.h"
#include "util/xalloc.h"

struct contract_finding *contract_result_add(struct contract_result *res, bool fatal, const char *fix, const char *what)
{
    res->f = xrealloc(res->f, (res->n + 1) * sizeof *res->f);
    res->f[res->n] = (struct contract_finding){fatal, false, xstrdup(what), fix ? xstrdup(fix) : NULL};
    if (fatal && res->available)
        snprintf(res->reason, sizeof res->reason, "%.500s", what);
    res->available = res->available && !fatal;
    return &res->f[res->n++];
}

void contract_result_finish(struct contract_result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        free(res->f[i].what);
        free(res->f[i].fix);
    }
    free(res->f);
    res->f = NULL;
    res->n = 0;
}
