/* doctor — see doctor.h. */
#include "contract/doctor.h"

#include <string.h>

/* Prints a finding and its fix (indented, each line of a multi-line fix too). */
static void print_finding(const struct contract_finding *f, FILE *out)
{
    fprintf(out, "      - %s%s\n", f->fatal ? "" : "(note) ", f->what);
    if (!f->fix)
        return;
    for (const char *s = f->fix; *s;) {
        size_t n = strcspn(s, "\n");
        fprintf(out, "          %.*s\n", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

/* True when something of the database's stops `r` (not only a missing setting). */
static bool database_fails(const struct contract_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->f[i].fatal && !r->f[i].setting)
            return true;
    return false;
}

static void print_result(const struct contract_result *r, bool job, FILE *out)
{
    size_t notes = 0;
    for (size_t i = 0; i < r->n; i++)
        notes += !r->f[i].fatal;
    char label[64];
    if (!r->available && !database_fails(r))
        snprintf(label, sizeof label, "not configured");
    else if (!r->available)
        snprintf(label, sizeof label, "%s", job && r->enabled ? "UNAVAILABLE" : "unavailable");
    else if (notes)
        snprintf(label, sizeof label, "ok, %zu note%s", notes, notes > 1 ? "s" : "");
    else
        snprintf(label, sizeof label, "ok");
    fprintf(out, "  %-14s %s%s%s%s\n", label, r->name, job && !r->enabled ? " (disabled)" : "",
            r->accel == 1 ? " [accelerated]" : "", !r->available && r->consequence ? ": " : "");
    if (!r->available && r->consequence)
        fprintf(out, "      without it: %s\n", r->consequence);
    for (size_t i = 0; i < r->n; i++)
        print_finding(&r->f[i], out);
}

static void print_header(const struct contract_report *rep, FILE *out)
{
    fprintf(out, "comicbatch doctor: database %s, role %s%s\n", rep->database, rep->role,
            rep->superuser ? " (superuser: privileges not checked in practice)" : "");
    fprintf(out, "ids: comic %s, chapter %s, group %s, user %s\n", rep->ids.name[ID_COMIC], rep->ids.name[ID_CHAPTER],
            rep->ids.name[ID_GROUP], rep->ids.name[ID_USER]);
    if (rep->unknown_migrations > 0)
        fprintf(out,
                "migrations: %d applied that this build does not know (%s): a newer comicbatch migrated this "
                "database; run that version (serve refuses to start)\n",
                rep->unknown_migrations, rep->first_unknown_migration);
    if (rep->pending_migrations > 0)
        fprintf(out, "migrations: %d pending: run `comicbatch migrate` (as %s)\n", rep->pending_migrations, rep->role);
    else if (rep->pending_migrations == 0 && !rep->unknown_migrations)
        fprintf(out, "migrations: all applied\n");
    else if (rep->pending_migrations < 0)
        fprintf(out,
                "migrations: cannot read system.schema_migrations as %s (grant SELECT on it, or run `comicbatch "
                "migrate` as %s)\n",
                rep->role, rep->role);
    size_t n;
    const struct accel_def *a = accel_all(&n);
    fprintf(out, "accelerators (`comicbatch accelerators status` for costs):");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s %s %s", i ? "," : "", a[i].name, accel_state_name(rep->accel[i]));
    fprintf(out, "\n");
}

int doctor_print(const struct contract_report *rep, FILE *out)
{
    print_header(rep, out);
    int bad = 0, unset = 0, enabled = 0;
    fprintf(out, "\njobs:\n");
    for (size_t i = 0; i < rep->njobs; i++) {
        const struct contract_result *r = &rep->jobs[i];
        print_result(r, true, out);
        enabled += r->enabled;
        bad += r->enabled && database_fails(r);
        unset += r->enabled && !r->available && !database_fails(r);
    }
    fprintf(out, "\ndaemon features:\n");
    for (size_t i = 0; i < rep->nfeatures; i++)
        print_result(&rep->features[i], false, out);
    fprintf(out, "\n%d of %d enabled jobs can run", enabled - bad - unset, enabled);
    if (unset) /* an optional job nobody set up: unavailable (not scheduled, no alerts), but not a failure */
        fprintf(out, "; %d not configured (unavailable until the settings above are added, or disable %s)", unset,
                unset > 1 ? "them" : "it");
    bool migrations = rep->pending_migrations != 0 || rep->unknown_migrations;
    fprintf(out, "%s%s\n", bad ? "; fix the findings above" : "",
            migrations ? "; the migrations do not match this build (above)" : "");
    return bad + migrations;
}

void doctor_print_unavailable(const struct contract_report *rep, FILE *out)
{
    for (size_t i = 0; i < rep->njobs; i++)
        if (rep->jobs[i].enabled && !rep->jobs[i].available)
            fprintf(out, "%s: %s: %s\n",
                    database_fails(&rep->jobs[i]) ? "unavailable on this database" : "not configured",
                    rep->jobs[i].name, rep->jobs[i].reason);
}

int doctor_run(PGconn *db, struct contract_jobs jobs, const struct config *cfg, FILE *out)
{
    struct contract_report rep;
    char err[1024];
    if (contract_check_all(db, jobs, cfg, &rep, err, sizeof err)) {
        fprintf(stderr, "comicbatch: %s\n", err);
        return -1;
    }
    int bad = doctor_print(&rep, out);
    contract_report_free(&rep);
    return bad;
}
