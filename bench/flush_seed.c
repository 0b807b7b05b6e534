/*
 * flush_seed — the seed's analytics.flush_counters (batch-jobs-api.md §4), ported line for line as the baseline of
 * bench/bench_flush.sh: KEYS, then per key GETDEL and one autocommit UPDATE, comics first, then chapters.
 *
 *   flush_seed PG_URL REDIS_URL     REDIS_URL: unix:/path/to.sock?db=N or redis://host:port/N
 * Prints "keys rows_updated views elapsed_ms" on stdout. Built by bench_flush.sh (not part of the daemon).
 */
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static redisContext *redis_connect(const char *url)
{
    int db = 0;
    redisContext *c;
    if (!strncmp(url, "unix:", 5)) {
        char path[512];
        snprintf(path, sizeof path, "%s", url + 5);
        char *q = strchr(path, '?');
        if (q) {
            sscanf(q, "?db=%d", &db);
            *q = '\0';
        }
        c = redisConnectUnix(path);
    } else {
        char host[256] = "127.0.0.1";
        int port = 6379;
        sscanf(url, "redis://%255[^:/]:%d/%d", host, &port, &db);
        c = redisConnect(host, port);
    }
    if (!c || c->err) {
        fprintf(stderr, "flush_seed: redis: %s\n", c ? c->errstr : "oom");
        exit(1);
    }
    redisReply *r = redisCommand(c, "SELECT %d", db);
    freeReplyObject(r);
    return c;
}

/* keys := redis.Keys(pattern); for each: count := GetDel; db.Exec(UPDATE … + count WHERE id = id) */
static void flush_kind(redisContext *rc, PGconn *pg, const char *pattern, const char *sql, long long *keys,
                       long long *rows, long long *views)
{
    redisReply *all = redisCommand(rc, "KEYS %s", pattern);
    for (size_t i = 0; all && i < all->elements; i++) {
        const char *key = all->element[i]->str;
        redisReply *v = redisCommand(rc, "GETDEL %s", key);
        const char *id = strchr(key, ':') + 1;
        char idbuf[32];
        snprintf(idbuf, sizeof idbuf, "%.*s", (int)(strchr(id, ':') - id), id);
        const char *p[] = {v && v->str ? v->str : "0", idbuf};
        PGresult *r = PQexecParams(pg, sql, 2, NULL, p, NULL, NULL, 0);
        *rows += atoll(PQcmdTuples(r));
        *views += v && v->str ? atoll(v->str) : 0;
        (*keys)++;
        PQclear(r);
        freeReplyObject(v);
    }
    freeReplyObject(all);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: flush_seed PG_URL REDIS_URL\n");
        return 2;
    }
    PGconn *pg = PQconnectdb(argv[1]);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "flush_seed: %s", PQerrorMessage(pg));
        return 1;
    }
    redisContext *rc = redis_connect(argv[2]);
    long long keys = 0, rows = 0, views = 0, t0 = now_ms();
    flush_kind(rc, pg, "comic:*:views", "UPDATE core.comic SET viewcount = viewcount + $1 WHERE id = $2", &keys, &rows,
               &views);
    flush_kind(rc, pg, "chapter:*:views", "UPDATE core.chapter SET viewcount = viewcount + $1 WHERE id = $2", &keys,
               &rows, &views);
    printf("%lld %lld %lld %lld\n", keys, rows, views, now_ms() - t0);
    redisFree(rc);
    PQfinish(pg);
    return 0;
}
