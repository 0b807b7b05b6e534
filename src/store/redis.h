/*
 * redis — the Redis client behind one module (STYLE: h2o's hiredis wrapper). Parses our URL forms
 * (`redis://host:port/db`, `unix:/path/to/sock[?db=N]`), connects with a connect timeout and a command timeout,
 * selects the database, and maps hiredis failures to one message.
 */
#ifndef COMICBATCH_REDIS_H
#define COMICBATCH_REDIS_H

#include <stddef.h>

struct redisContext;
struct redisReply;

struct redis_target {
    char host[256]; /* empty when unix socket */
    int port;
    char path[512]; /* unix socket path, empty for TCP */
    int db;
};

/** Parses `url` into `t`. Returns 0, or -1 with `err` naming what is wrong. */
int redis_parse_url(const char *url, struct redis_target *t, char *err, size_t errlen);

/** Connects to `url` (timeouts in ms). Returns a context (free with redis_close) or NULL with `err`. */
struct redisContext *redis_open(const char *url, int timeout_ms, char *err, size_t errlen);

/** Closes and frees `c` (NULL is fine). */
void redis_close(struct redisContext *c);

/**
 * Runs a command given as argv (binary-safe lengths). Returns the reply (free with freeReplyObject) or NULL
 * with `err` set when the connection failed or Redis answered an error.
 */
struct redisReply *redis_cmd(struct redisContext *c, int argc, const char **argv, const size_t *argvlen, char *err,
                             size_t errlen);

/** PING; returns 0 when Redis answered PONG. */
int redis_ping(struct redisContext *c);

#endif
