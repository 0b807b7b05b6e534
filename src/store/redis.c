/* redis — see redis.h. */
#include "store/redis.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int redis_parse_url(const char *url, struct redis_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (!strncmp(url, "unix:", 5)) {
        const char *p = url + 5, *q = strchr(p, '?');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (!n || n >= sizeof t->path) {
            snprintf(err, errlen, "redis.url: missing or too long socket path in \"%s\"", url);
            return -1;
        }
        memcpy(t->path, p, n);
        if (q && sscanf(q, "?db=%d", &t->db) != 1) {
            snprintf(err, errlen, "redis.url: expected ?db=N after the socket path in \"%s\"", url);
            return -1;
        }
        return 0;
    }
    if (strncmp(url, "redis://", 8)) {
        snprintf(err, errlen, "redis.url: expected redis://host:port/db or unix:/path, got \"%s\"", url);
        return -1;
    }
    const char *h = url + 8, *colon = strchr(h, ':'), *slash = strchr(h, '/');
    const char *hend = colon ? colon : (slash ? slash : h + strlen(h));
    if (hend == h || (size_t)(hend - h) >= sizeof t->host || strchr(h, '@')) {
        snprintf(err, errlen, "redis.url: bad host in \"%s\"", url);
        return -1;
    }
    memcpy(t->host, h, (size_t)(hend - h));
    t->port = 6379;
    char *end;
    if (colon) {
        long port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
            snprintf(err, errlen, "redis.url: bad port in \"%s\"", url);
            return -1;
        }
        t->port = (int)port;
    }
    if (slash && slash[1]) {
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 1023) {
            snprintf(err, errlen, "redis.url: bad database number in \"%s\"", url);
            return -1;
        }
        t->db = (int)db;
    }
    return 0;
}

redisContext *redis_open(const char *url, int timeout_ms, char *err, size_t errlen)
{
    struct redis_target t;
    if (redis_parse_url(url, &t, err, errlen))
        return NULL;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    redisContext *c = t.path[0] ? redisConnectUnixWithTimeout(t.path, tv) : redisConnectWithTimeout(t.host, t.port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s: %s", url, c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (t.db) {
        redisReply *r = redisCommand(c, "SELECT %d", t.db);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        freeReplyObject(r);
        if (bad) {
            snprintf(err, errlen, "Redis SELECT %d failed", t.db);
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

void redis_close(redisContext *c)
{
    if (c)
        redisFree(c);
}

redisReply *redis_cmd(redisContext *c, int argc, const char **argv, const size_t *argvlen, char *err, size_t errlen)
{
    redisReply *r = redisCommandArgv(c, argc, argv, argvlen);
    if (!r) {
        snprintf(err, errlen, "Redis %s failed: %s", argv[0], c->errstr[0] ? c->errstr : "connection lost");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "Redis %s: %s", argv[0], r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int redis_ping(redisContext *c)
{
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
    freeReplyObject(r);
    return ok ? 0 : -1;
}
