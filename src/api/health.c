/* health — /healthz (the process answers) and /readyz (database migrated and Redis reachable). */
#include <stdio.h>

#include "api/api.h"
#include "api/api_env.h"
#include "config.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "store/redis.h"
#include "version.h"

void api_healthz(struct http_req *r)
{
    reply_json(r, 200,
               json_pack("{s:s,s:s,s:s}", "status", "ok", "version", COMICBATCH_VERSION, "instance", r->env->instance));
}

static const char *check_db(struct api_env *env)
{
    PGconn *c = pgpool_acquire(env->pool, 2000);
    if (!c)
        return "unreachable";
    const char *st = migrate_done(c) ? "ok" : "not migrated";
    pgpool_release(env->pool, c);
    return st;
}

static const char *check_redis(struct api_env *env)
{
    char err[256];
    struct redisContext *rc = redis_open(env->cfg->redis_url, 1000, err, sizeof err);
    const char *st = rc && redis_ping(rc) == 0 ? "ok" : "unreachable";
    redis_close(rc);
    return st;
}

void api_readyz(struct http_req *r)
{
    const char *db = check_db(r->env), *redis = check_redis(r->env);
    json_t *checks = json_pack("{s:s,s:s}", "database", db, "redis", redis);
    if (db[0] == 'o' && redis[0] == 'o')
        reply_json(r, 200, json_pack("{s:s,s:o}", "status", "ready", "checks", checks));
    else
        reply_error(r, 503, ERR_UNAVAILABLE, checks, "Not ready: database %s, redis %s", db, redis);
}
