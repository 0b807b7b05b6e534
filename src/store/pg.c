/*
 * pg — see pg.h. The pool is a mutex + condition variable over a fixed array; a slot holds either an idle
 * connection, NULL (not yet opened / closed after an error), or is borrowed.
 */
#include "store/pg.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/backoff.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct pgpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *url;
    int size;
    PGconn **conns; /* slot i: connection or NULL */
    bool *busy;
    struct backoff bo;   /* after a failed connect: no new one before retry_at_ms (monotonic) */
    int64_t retry_at_ms; /* 0 while the database answers */
};

/* The API pool's reconnect backoff while the database is unreachable (a restart, a failover). */
#define POOL_RETRY_MIN_MS 100
#define POOL_RETRY_MAX_MS 1000

static void notice_quiet(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res; /* NOTICEs (e.g. "relation already exists, skipping") are expected and not worth a log line */
}

/*
 * The session's time zone is UTC whatever the server's, role's or database's default. set_config, not the
 * `options=-c TimeZone=UTC` startup parameter: PgBouncer refuses `options`, but it tracks TimeZone per client (from
 * the ParameterStatus this produces) and sets it on any server connection it hands that client later.
 */
static int session_setup(PGconn *c)
{
    PQsetNoticeReceiver(c, notice_quiet, NULL);
    const char *tz = PQparameterStatus(c, "TimeZone");
    if (tz && (!strcmp(tz, "UTC") || !strcmp(tz, "Etc/UTC")))
        return 0;
    PGresult *r = PQexec(c, "SELECT pg_catalog.set_config('TimeZone', 'UTC', false)");
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

PGconn *pg_connect(const char *url, const char *appname, char *err, size_t errlen)
{
    /* Later entries override earlier ones: the URL (dbname) may set the timeouts and the session attributes, but
     * not the application name, which names the connection's role in pg_stat_activity. comicbatch writes from
     * every connection, so by default libpq accepts only a node that takes writes (a standby, or a node set
     * read-only, is skipped for the next host of the URL). */
    const char *keys[] = {"connect_timeout",      "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "target_session_attrs", "dbname",          "application_name",    NULL};
    const char *vals[] = {"10", "10", "5", "3", "read-write", url, appname, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK || session_setup(c)) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", c ? PQerrorMessage(c) : "out of memory");
        size_t n = strlen(err);
        while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
            err[--n] = '\0';
        for (char *p = err; *p; p++) /* a multi-host attempt lists one line per host */
            if (*p == '\n')
                *p = ' ';
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* The session that runs a statement on `c` now, as "pid@postmaster start" (the start time tells two servers'
 * equal pids apart, e.g. a probe that landed on another node mid-failover) into `buf`; -1 on error. */
static int session_of(PGconn *c, char *buf, size_t len, int64_t *pid)
{
    PGresult *r = pg_query(c, "pg.session", "SELECT pg_backend_pid(), pg_postmaster_start_time()", 0, NULL, NULL);
    const char *p = pg_val(r, 0, 0), *t = pg_val(r, 0, 1);
    if (p && t) {
        snprintf(buf, len, "%s@%s", p, t);
        *pid = strtoll(p, NULL, 10);
    }
    PQclear(r);
    return p && t ? 0 : -1;
}

int pg_session_shared(PGconn *c, const char *url, int64_t *pid, char *err, size_t errlen)
{
    PGconn *other = pg_connect(url, "comicbatch-session-probe", err, errlen);
    if (!other)
        return -1;
    int shared = 0;
    for (int i = 0; i < 3 && !shared; i++) {
        char mine[96], theirs[96];
        int64_t p1 = 0, p2 = 0;
        int bad = session_of(c, mine, sizeof mine, &p1) ? 1 : session_of(other, theirs, sizeof theirs, &p2) ? 2 : 0;
        if (bad) {
            snprintf(err, errlen, "cannot ask PostgreSQL for the session's backend: %s",
                     PQerrorMessage(bad == 1 ? c : other));
            shared = -1;
        } else if (!strcmp(mine, theirs)) {
            *pid = p1;
            shared = 1;
        }
    }
    PQfinish(other);
    return shared;
}

int pg_reset(PGconn *c)
{
    PQreset(c);
    if (PQstatus(c) != CONNECTION_OK || session_setup(c))
        return -1;
    return pg_usable(c) ? 0 : -1;
}

static bool param_on(const PGconn *c, const char *name)
{
    const char *v = PQparameterStatus(c, name);
    return v && !strcmp(v, "on");
}

bool pg_usable(const PGconn *c)
{
    return c && PQstatus(c) == CONNECTION_OK && !param_on(c, "in_hot_standby") &&
           !param_on(c, "default_transaction_read_only");
}

void pg_drop(PGconn *c)
{
    if (!c || PQstatus(c) != CONNECTION_OK)
        return;
    int fd = PQsocket(c);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    for (int i = 0; i < 2 && PQstatus(c) == CONNECTION_OK; i++) /* reading the end of the stream marks it bad */
        PQconsumeInput(c);
}

const char *pg_server_name(const PGconn *c, char *buf, size_t len)
{
    const char *h = c ? PQhost(c) : NULL, *p = c ? PQport(c) : NULL;
    snprintf(buf, len, "%s:%s", h && *h ? h : "?", p && *p ? p : "?");
    return buf;
}

int64_t pg_server_started(PGconn *c)
{
    PGresult *r = pg_query(c, "pg.server_started", "SELECT extract(epoch FROM pg_postmaster_start_time())::bigint", 0,
                           NULL, NULL);
    int64_t t = r ? pg_int(r, 0, 0, -1) : -1;
    PQclear(r);
    return t;
}

struct pgpool *pgpool_create(const char *url, int size)
{
    struct pgpool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->url = xstrdup(url);
    p->size = size;
    p->conns = xcalloc((size_t)size, sizeof *p->conns);
    p->busy = xcalloc((size_t)size, sizeof *p->busy);
    backoff_init(&p->bo, POOL_RETRY_MIN_MS, POOL_RETRY_MAX_MS, (uint32_t)time_now_ms() ^ (uint32_t)(uintptr_t)p);
    return p;
}

static int take_slot(struct pgpool *p, int wait_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int free_slot = -1;
        for (int i = 0; i < p->size; i++) {
            if (p->busy[i])
                continue;
            if (p->conns[i]) { /* prefer an open connection */
                free_slot = i;
                break;
            }
            if (free_slot < 0)
                free_slot = i;
        }
        if (free_slot >= 0) {
            p->busy[free_slot] = true;
            pthread_mutex_unlock(&p->mu);
            return free_slot;
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->mu);
            return -1;
        }
    }
}

static void give_slot(struct pgpool *p, int i, PGconn *c)
{
    pthread_mutex_lock(&p->mu);
    p->conns[i] = c;
    p->busy[i] = false;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void set_slot_conn(struct pgpool *p, int i, PGconn *c)
{
    pthread_mutex_lock(&p->mu);
    p->conns[i] = c; /* still busy: the slot remembers which connection it lent */
    pthread_mutex_unlock(&p->mu);
}

/*
 * An idle connection the server closed (restart, pg_terminate_backend) still says CONNECTION_OK until it is read.
 * Reading what is pending (libpq's socket is non-blocking) takes the server's goodbye message, then the end of
 * the stream, which marks it bad: the request then gets a fresh connection instead of an error.
 */
static bool idle_conn_alive(PGconn *c)
{
    for (int i = 0; i < 2; i++)
        if (!PQconsumeInput(c))
            return false;
    return PQstatus(c) == CONNECTION_OK;
}

/*
 * A new API connection. After one failed, none is tried again for a backoff step (0.1 s doubling to 1 s, jittered):
 * while the database is down a request answers 503 at once instead of each making (and logging) its own connect,
 * and a database that comes back is not met by every waiting request in the same millisecond. NULL: none now.
 */
static PGconn *pool_connect(struct pgpool *p)
{
    pthread_mutex_lock(&p->mu);
    bool wait = p->retry_at_ms && time_mono_ms() < p->retry_at_ms;
    pthread_mutex_unlock(&p->mu);
    if (wait)
        return NULL;
    char err[512];
    PGconn *c = pg_connect(p->url, "comicbatch-api", err, sizeof err);
    int delay = 0;
    pthread_mutex_lock(&p->mu);
    if (c) {
        backoff_reset(&p->bo);
        p->retry_at_ms = 0;
    } else {
        delay = backoff_next(&p->bo);
        p->retry_at_ms = time_mono_ms() + delay;
    }
    pthread_mutex_unlock(&p->mu);
    if (!c)
        log_error("msg=\"%s\" pool=api retry_in_ms=%d", err, delay);
    return c;
}

PGconn *pgpool_acquire(struct pgpool *p, int wait_ms)
{
    int i = take_slot(p, wait_ms);
    if (i < 0) {
        log_warn("msg=\"database pool exhausted\" size=%d", p->size);
        return NULL;
    }
    PGconn *c = p->conns[i];
    if (c && (!idle_conn_alive(c) || !pg_usable(c))) { /* lost, or left on a node that became read-only */
        PQfinish(c);
        c = NULL;
    }
    if (!c && !(c = pool_connect(p))) {
        give_slot(p, i, NULL);
        return NULL;
    }
    set_slot_conn(p, i, c);
    return c;
}

void pgpool_release(struct pgpool *p, PGconn *c)
{
    if (!c)
        return;
    int slot = -1;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->size && slot < 0; i++)
        if (p->busy[i] && p->conns[i] == c)
            slot = i;
    pthread_mutex_unlock(&p->mu);
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c, "ROLLBACK");
        PQclear(r);
    }
    if (PQstatus(c) != CONNECTION_OK || slot < 0) {
        PQfinish(c);
        c = NULL;
    }
    if (slot >= 0)
        give_slot(p, slot, c);
}

void pgpool_destroy(struct pgpool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->size; i++)
        PQfinish(p->conns[i]);
    free(p->conns);
    free(p->busy);
    free(p->url);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

const char *pg_one_line(const char *msg, char *buf, size_t len)
{
    snprintf(buf, len, "%s", msg ? msg : "");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\t' || *p == '"')
            *p = *p == '"' ? '\'' : ' ';
    return buf;
}

/* SQLSTATE 25006: this node does not take writes (demoted, a standby behind a pooler, read-only by default). */
static void drop_if_read_only(PGconn *c, const char *state)
{
    if (state && !strcmp(state, "25006")) {
        char server[300];
        log_warn("msg=\"the database node is read-only; dropping the connection to reconnect to the primary\" "
                 "server=%s",
                 pg_server_name(c, server, sizeof server));
        pg_drop(c);
    }
}

/* Returns r when it succeeded; otherwise logs (unless expected), fills sqlstate and returns NULL. */
static PGresult *checked(PGconn *c, const char *what, PGresult *r, char sqlstate[6])
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (sqlstate) {
        snprintf(sqlstate, 6, "%s", state ? state : "");
    }
    /* libpq's own errors (connection lost) have no primary message field: then the connection's message. */
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    /* Unique violations, cancels and lock timeouts are expected outcomes the caller handles (it reports or retries
     * them); log only real failures. */
    char line[1024];
    if (!state || (strcmp(state, "23505") && strcmp(state, "57014") && strcmp(state, "55P03")))
        log_error("msg=\"query failed\" what=%s sqlstate=%s error=\"%s\"", what, state ? state : "-",
                  pg_one_line(msg ? msg : PQerrorMessage(c), line, sizeof line));
    drop_if_read_only(c, state);
    PQclear(r);
    return NULL;
}

PGresult *pg_query(PGconn *c, const char *what, const char *sql, int n, const char *const *params, char sqlstate[6])
{
    return checked(c, what, PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0), sqlstate);
}

static bool missing_statement(const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return state && !strcmp(state, "26000"); /* invalid_sql_statement_name: not prepared on this session */
}

PGresult *pg_query_prepared(PGconn *c, const char *what, const char *name, const char *sql, int n,
                            const char *const *params)
{
    PGresult *r = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
    if (missing_statement(r)) {
        PQclear(r);
        /* A failure here (e.g. 42P05, prepared meanwhile behind a pooler) is seen by the execution that follows. */
        PQclear(PQprepare(c, name, sql, n, NULL));
        r = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
    }
    if (missing_statement(r)) { /* a pooler in transaction mode ran it on another server session: plain, then */
        PQclear(r);
        r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    }
    return checked(c, what, r, NULL);
}

int64_t pg_exec(PGconn *c, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *r = pg_query(c, what, sql, n, params, NULL);
    if (!r)
        return -1;
    const char *t = PQcmdTuples(r);
    int64_t rows = (t && *t) ? strtoll(t, NULL, 10) : 0;
    PQclear(r);
    return rows;
}

int pg_cmd(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) {
        char line[1024];
        log_error("msg=\"command failed\" sql=\"%s\" error=\"%s\"", sql,
                  pg_one_line(r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                  ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                  : PQerrorMessage(c),
                              line, sizeof line));
        drop_if_read_only(c, r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

const char *pg_val(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int64_t pg_int(const PGresult *r, int row, int col, int64_t dflt)
{
    const char *v = pg_val(r, row, col);
    return v ? strtoll(v, NULL, 10) : dflt;
}

bool pg_bool(const PGresult *r, int row, int col)
{
    const char *v = pg_val(r, row, col);
    return v && v[0] == 't';
}
