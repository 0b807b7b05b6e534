/* flush_redis — see flush_redis.h. */
#include "jobs/flush_redis.h"
#include "util/xalloc.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ID_DIGITS 18 /* ids and counts stay below 10^18: no bigint overflow on either side */
#define MAX_STAGING_KEYS 4096
#define STAGED_PAGES_PER_READ 8 /* list elements per LRANGE when recovering (a page is up to ~300 KB) */

/*
 * KEYS[1] = the staging list, KEYS[2] = the set of staging lists (registered with the first page, in the same atomic
 * step, so a staging list never exists unregistered), KEYS[3..] = counters. Per counter: GETDEL; a canonical integer
 * of at most 18 characters (what INCRBY writes) is kept for the page and returned; "0" is simply consumed; anything
 * else is put back (SET) and returned as "x"; a missing key gives "" and a key of another type (GETDEL refuses it,
 * nothing changes) "x". The page's moved counts become ONE list element, "key count key count …", pushed before the
 * script returns: one write per page instead of one per key (this costs ~60% of a GETDEL + HINCRBY-per-key script,
 * and ~130% of a script that only does the GETDELs).
 */
static const char move_script[] = "local call, pcall_, find, h = redis.call, redis.pcall, string.find, KEYS[1]\n"
                                  "local out, buf, n = {}, {}, 0\n"
                                  "for i = 3, #KEYS do\n"
                                  "  local k = KEYS[i]\n"
                                  "  local v = pcall_('GETDEL', k)\n"
                                  "  if type(v) == 'string' then\n"
                                  "    if #v <= 18 and find(v, '^%-?[1-9]%d*$') then\n"
                                  "      n = n + 1; buf[n] = k; n = n + 1; buf[n] = v\n"
                                  "      out[i - 2] = v\n"
                                  "    elseif v == '0' then\n"
                                  "      out[i - 2] = ''\n"
                                  "    else\n"
                                  "      call('SET', k, v)\n"
                                  "      out[i - 2] = 'x'\n"
                                  "    end\n"
                                  "  elseif type(v) == 'table' then\n"
                                  "    out[i - 2] = 'x'\n"
                                  "  else\n"
                                  "    out[i - 2] = ''\n"
                                  "  end\n"
                                  "end\n"
                                  "if n > 0 then\n"
                                  "  call('RPUSH', h, table.concat(buf, ' '))\n"
                                  "  call('SADD', KEYS[2], h)\n"
                                  "end\n"
                                  "return out\n";

void flush_set_init(struct flush_set *s)
{
    memset(s, 0, sizeof *s);
}

/* Shorter first, then byte order: numeric order for digit ids, the uuid's own order for uuids. */
static int by_id(const void *a, const void *b)
{
    const struct flush_entry *x = a, *y = b;
    size_t lx = strlen(x->id), ly = strlen(y->id);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->id, y->id);
}

/* Writes "{v1,v2,…}" of one field of the entries into a malloc'd string. */
static char *literal(const struct flush_entry *e, size_t n, bool ids)
{
    size_t cap = 3 + n * 38, len = 0;
    char *s = xmalloc(cap);
    s[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (ids)
            len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? "," : "", e[i].id);
        else
            len += (size_t)snprintf(s + len, cap - len, i ? ",%lld" : "%lld", (long long)e[i].views);
    }
    snprintf(s + len, cap - len, "}");
    return s;
}

static void list_finish(struct flush_list *l)
{
    if (l->len)
        qsort(l->e, l->len, sizeof *l->e, by_id);
    size_t out = 0;
    l->total = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (out && !strcmp(l->e[out - 1].id, l->e[i].id))
            l->e[out - 1].views += l->e[i].views;
        else
            l->e[out++] = l->e[i];
    }
    size_t kept = 0;
    for (size_t i = 0; i < out; i++)
        if (l->e[i].views != 0) {
            l->e[kept++] = l->e[i];
            l->total += l->e[i].views;
        }
    l->len = kept;
    l->n = (int64_t)kept;
    free(l->ids);
    free(l->views);
    l->ids = literal(l->e, kept, true);
    l->views = literal(l->e, kept, false);
}

void flush_set_seal(struct flush_set *s)
{
    list_finish(&s->comics);
    list_finish(&s->chapters);
}

void flush_set_finish(struct flush_set *s)
{
    struct flush_list *ls[] = {&s->comics, &s->chapters};
    for (int i = 0; i < 2; i++) {
        free(ls[i]->e);
        free(ls[i]->ids);
        free(ls[i]->views);
    }
    memset(s, 0, sizeof *s);
}

/* A canonical UUID (any case) of exactly n characters. */
static bool is_uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char ch = s[i];
        bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        if (dash ? ch != '-' : !hex)
            return false;
    }
    return true;
}

/* Digits without a leading zero, at most MAX_ID_DIGITS of them. */
static bool is_int_id(const char *s, size_t n)
{
    if (n == 0 || n > MAX_ID_DIGITS || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int flush_parse_key(const char *key, size_t len, const struct flush_ids *ids, const char **id, size_t *idlen)
{
    int kind;
    size_t pre;
    if (len > 6 && !memcmp(key, "comic:", 6))
        kind = 'c', pre = 6;
    else if (len > 8 && !memcmp(key, "chapter:", 8))
        kind = 'h', pre = 8;
    else
        return 0;
    if (len < pre + 7 || memcmp(key + len - 6, ":views", 6))
        return 0;
    size_t n = len - pre - 6;
    bool uuid = kind == 'c' ? ids->comic_uuid : ids->chapter_uuid;
    if (uuid ? !is_uuid(key + pre, n) : !is_int_id(key + pre, n))
        return 0;
    *id = key + pre;
    *idlen = n;
    return kind;
}

/* Adds one (key, count) to the set; `count` is a canonical integer (checked by the script or by us). */
static void set_add(struct flush_set *s, int kind, const char *id, size_t idlen, const char *count)
{
    struct flush_list *l = kind == 'c' ? &s->comics : &s->chapters;
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->e = xrealloc(l->e, l->cap * sizeof *l->e);
    }
    char *dst = l->e[l->len].id;
    size_t n = idlen < sizeof l->e[0].id - 1 ? idlen : sizeof l->e[0].id - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (id[i] >= 'A' && id[i] <= 'F') ? (char)(id[i] - 'A' + 'a') : id[i];
    dst[n] = '\0';
    l->e[l->len++].views = strtoll(count, NULL, 10);
    l->n++;
    l->total += l->e[l->len - 1].views;
}

static bool canonical_int(const char *v, size_t n)
{
    if (n == 0 || n > MAX_ID_DIGITS)
        return false;
    size_t i = v[0] == '-';
    if (i == n || (v[i] == '0' && n > 1))
        return false;
    for (; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

static int reply_error(redisContext *c, redisReply *r, const char *what, char *err, size_t errlen)
{
    if (!r)
        snprintf(err, errlen, "Redis %s failed: %s", what, c->errstr[0] ? c->errstr : "connection lost");
    else
        snprintf(err, errlen, "Redis %s: %s", what, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject(r);
    return -1;
}

static redisReply *get_reply(redisContext *c)
{
    void *r = NULL;
    if (redisGetReply(c, &r) != REDIS_OK)
        return NULL;
    return r;
}

static bool is_scan_reply(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
           r->element[1]->type == REDIS_REPLY_ARRAY;
}

static void append_scan(redisContext *c, const char *cmd, const char *key, const char *cursor, const char *pattern,
                        int page)
{
    char count[16];
    snprintf(count, sizeof count, "%d", page);
    if (key) {
        const char *argv[] = {cmd, key, cursor, "COUNT", count};
        redisAppendCommandArgv(c, 5, argv, NULL);
    } else {
        const char *argv[] = {cmd, cursor, "MATCH", pattern, "COUNT", count};
        redisAppendCommandArgv(c, 6, argv, NULL);
    }
}

struct page_keys {
    const struct flush_ids *ids;
    const char **argv;
    size_t *lens;
    int n; /* argv[0..2] are the command, sha/numkeys; keys start at `first` */
    int first;
};

/* True for the names the platform's counters use: "comic:…:views" or "chapter:…:views" (well-formed or not). */
static bool is_counter_name(const char *k, size_t len)
{
    return len > 6 && !memcmp(k + len - 6, ":views", 6) &&
           ((len > 6 && !memcmp(k, "comic:", 6)) || (len > 8 && !memcmp(k, "chapter:", 8)));
}

/* Collects the well-formed counter names of one SCAN page after `first` reserved argv slots. */
static void page_collect(const redisReply *keys, struct page_keys *pk, int first, struct flush_set *out)
{
    pk->argv = xmalloc((keys->elements + (size_t)first + 1) * sizeof *pk->argv);
    pk->lens = xmalloc((keys->elements + (size_t)first + 1) * sizeof *pk->lens);
    pk->first = pk->n = first;
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        const char *id;
        size_t idlen;
        if (k->type != REDIS_REPLY_STRING || !is_counter_name(k->str, k->len))
            continue; /* another key the pattern happens to match */
        if (!flush_parse_key(k->str, k->len, pk->ids, &id, &idlen)) {
            out->skipped++;
            continue;
        }
        pk->argv[pk->n] = k->str;
        pk->lens[pk->n++] = k->len;
    }
}

/* Adds the values the script (or MGET) returned for the page's keys. */
static int page_absorb(const redisReply *vals, const struct page_keys *pk, struct flush_set *out, char *err,
                       size_t errlen)
{
    if (vals->type != REDIS_REPLY_ARRAY || (int)vals->elements != pk->n - pk->first) {
        snprintf(err, errlen, "Redis flush script: unexpected reply");
        return -1;
    }
    for (int i = pk->first; i < pk->n; i++) {
        const redisReply *v = vals->element[i - pk->first];
        if (v->type != REDIS_REPLY_STRING || v->len == 0)
            continue;
        if (!canonical_int(v->str, v->len)) {
            out->skipped++;
            continue;
        }
        if (v->len == 1 && v->str[0] == '0')
            continue;
        const char *id;
        size_t idlen;
        int kind = flush_parse_key(pk->argv[i], pk->lens[i], pk->ids, &id, &idlen);
        set_add(out, kind, id, idlen, v->str);
    }
    return 0;
}

/* Sends the move script (or MGET when dry) for one page; the reply is read by the caller. */
static void page_send(redisContext *c, struct page_keys *pk, const char *sha, const char *staging, bool dry)
{
    char nkeys[16];
    if (dry) {
        pk->argv[pk->first - 1] = "MGET";
        pk->lens[pk->first - 1] = 4;
        redisAppendCommandArgv(c, pk->n - pk->first + 1, pk->argv + pk->first - 1, pk->lens + pk->first - 1);
        return;
    }
    snprintf(nkeys, sizeof nkeys, "%d", pk->n - pk->first + 2);
    pk->argv[0] = "EVALSHA", pk->lens[0] = 7;
    pk->argv[1] = sha, pk->lens[1] = strlen(sha);
    pk->argv[2] = nkeys, pk->lens[2] = strlen(nkeys);
    pk->argv[3] = staging, pk->lens[3] = strlen(staging);
    pk->argv[4] = FLUSH_PENDING_SET, pk->lens[4] = sizeof FLUSH_PENDING_SET - 1;
    redisAppendCommandArgv(c, pk->n, pk->argv, pk->lens);
}

static int load_script(redisContext *c, char *sha, size_t shalen, char *err, size_t errlen)
{
    const char *argv[] = {"SCRIPT", "LOAD", move_script};
    redisReply *r = redisCommandArgv(c, 3, argv, NULL);
    if (!r || r->type != REDIS_REPLY_STRING)
        return reply_error(c, r, "SCRIPT LOAD", err, errlen);
    snprintf(sha, shalen, "%s", r->str);
    freeReplyObject(r);
    return 0;
}

/* Finishes one page: its counts go to the totals and, when there is a consumer, the sorted set to it. */
static int page_done(struct flush_set *pg, flush_page_fn fn, void *arg, struct flush_totals *tot)
{
    flush_set_seal(pg);
    tot->comic_keys += pg->comics.n;
    tot->chapter_keys += pg->chapters.n;
    tot->views += pg->comics.total + pg->chapters.total;
    tot->skipped += pg->skipped;
    return fn && (pg->comics.n || pg->chapters.n) ? fn(arg, pg) : 0;
}

/*
 * One SCAN pass over `pattern`. The next SCAN is pipelined behind each page's script, so a page costs one round
 * trip, and the page's consumer (a Postgres UPDATE) runs while Redis moves the next page. Returns 0 or -1 with
 * `err` (or the consumer's own error).
 */
static int stage_pattern(redisContext *c, const char *pattern, const struct flush_ids *ids, const char *sha,
                         const char *staging, bool dry, int page, flush_page_fn fn, void *arg, struct flush_totals *tot,
                         char *err, size_t errlen)
{
    append_scan(c, "SCAN", NULL, "0", pattern, page);
    for (;;) {
        redisReply *scan = get_reply(c);
        if (!is_scan_reply(scan))
            return reply_error(c, scan, "SCAN", err, errlen);
        bool more = strcmp(scan->element[0]->str, "0") != 0;
        struct page_keys pk = {.ids = ids};
        struct flush_set pg;
        flush_set_init(&pg);
        page_collect(scan->element[1], &pk, 5, &pg);
        int rc = 0;
        if (pk.n > pk.first)
            page_send(c, &pk, sha, staging, dry);
        if (more)
            append_scan(c, "SCAN", NULL, scan->element[0]->str, pattern, page);
        if (pk.n > pk.first) {
            redisReply *vals = get_reply(c);
            if (!vals || vals->type == REDIS_REPLY_ERROR)
                rc = reply_error(c, vals, dry ? "MGET" : "flush script", err, errlen), vals = NULL;
            else
                rc = page_absorb(vals, &pk, &pg, err, errlen);
            freeReplyObject(vals);
        }
        if (rc == 0)
            rc = page_done(&pg, fn, arg, tot);
        flush_set_finish(&pg);
        free(pk.argv);
        free(pk.lens);
        freeReplyObject(scan);
        if (rc || !more) {
            if (rc && more)
                freeReplyObject(get_reply(c)); /* the SCAN already in the pipe */
            return rc;
        }
    }
}

int flush_stage(redisContext *c, const char *staging, const struct flush_ids *ids, bool dry, int page, flush_page_fn fn,
                void *arg, struct flush_totals *tot, char *err, size_t errlen)
{
    char sha[64] = "";
    memset(tot, 0, sizeof *tot);
    if (!dry && load_script(c, sha, sizeof sha, err, errlen))
        return -1;
    /* One pass over the keyspace for both kinds ("c*:views" matches comic:… and chapter:…), not two. */
    return stage_pattern(c, "c*:views", ids, sha, staging, dry, page, fn, arg, tot, err, errlen);
}

/* Adds one staged page, "key count key count …", to `out`. */
static void absorb_staged_page(const char *p, size_t len, const struct flush_ids *ids, struct flush_set *out)
{
    const char *end = p + len;
    while (p < end) {
        const char *k = p, *ks = memchr(k, ' ', (size_t)(end - k));
        const char *v = ks ? ks + 1 : end, *vs = v < end ? memchr(v, ' ', (size_t)(end - v)) : NULL;
        const char *ve = vs ? vs : end;
        const char *id;
        size_t idlen;
        char num[24];
        int kind = ks ? flush_parse_key(k, (size_t)(ks - k), ids, &id, &idlen) : 0;
        if (!kind || ve - v >= (ptrdiff_t)sizeof num || !canonical_int(v, (size_t)(ve - v))) {
            out->skipped++;
        } else {
            memcpy(num, v, (size_t)(ve - v));
            num[ve - v] = '\0';
            set_add(out, kind, id, idlen, num);
        }
        p = vs ? vs + 1 : end;
    }
}

int flush_read_staging(redisContext *c, const char *staging, const struct flush_ids *ids, int page,
                       struct flush_set *out, char *err, size_t errlen)
{
    (void)page;
    for (long from = 0;; from += STAGED_PAGES_PER_READ) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%ld", from);
        snprintf(b, sizeof b, "%ld", from + STAGED_PAGES_PER_READ - 1);
        const char *argv[] = {"LRANGE", staging, a, b};
        redisReply *r = redisCommandArgv(c, 4, argv, NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY)
            return reply_error(c, r, "LRANGE", err, errlen);
        size_t n = r->elements;
        for (size_t i = 0; i < n; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                absorb_staged_page(r->element[i]->str, r->element[i]->len, ids, out);
        freeReplyObject(r);
        if (n < STAGED_PAGES_PER_READ)
            return 0;
    }
}

/* True for "comicbatch:flush:" followed by a canonical UUID. */
static bool is_staging_key(const char *k, size_t len)
{
    size_t pre = sizeof FLUSH_STAGING_PREFIX - 1;
    if (len != pre + 36 || memcmp(k, FLUSH_STAGING_PREFIX, pre))
        return false;
    for (size_t i = 0; i < 36; i++) {
        char ch = k[pre + i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return true;
}

/* Adds `k` to keys[0..*n) unless present or malformed. */
static void add_key(char **keys, int *n, const char *k, size_t len)
{
    if (!is_staging_key(k, len) || *n >= MAX_STAGING_KEYS)
        return;
    for (int i = 0; i < *n; i++)
        if (!strcmp(keys[i], k))
            return;
    keys[(*n)++] = xstrdup(k);
}

/* The whole keyspace, for staging lists missing from the set (only at daemon start: it walks every key). */
static int scan_staging(redisContext *c, char **keys, int *n, char *err, size_t errlen)
{
    char cursor[32] = "0";
    do {
        append_scan(c, "SCAN", NULL, cursor, FLUSH_STAGING_PREFIX "*", 1000);
        redisReply *r = get_reply(c);
        if (!is_scan_reply(r))
            return reply_error(c, r, "SCAN", err, errlen);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            if (r->element[1]->element[i]->type == REDIS_REPLY_STRING)
                add_key(keys, n, r->element[1]->element[i]->str, r->element[1]->element[i]->len);
        freeReplyObject(r);
    } while (strcmp(cursor, "0"));
    return 0;
}

int flush_list_staging(redisContext *c, bool full, char ***keys, char *err, size_t errlen)
{
    int n = 0;
    *keys = xcalloc(MAX_STAGING_KEYS, sizeof **keys);
    const char *argv[] = {"SMEMBERS", FLUSH_PENDING_SET};
    redisReply *r = redisCommandArgv(c, 2, argv, NULL);
    int rc = !r || r->type != REDIS_REPLY_ARRAY ? reply_error(c, r, "SMEMBERS", err, errlen) : 0;
    for (size_t i = 0; rc == 0 && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            add_key(*keys, &n, r->element[i]->str, r->element[i]->len);
    if (rc == 0)
        freeReplyObject(r);
    if (rc == 0 && full)
        rc = scan_staging(c, *keys, &n, err, errlen);
    if (rc) {
        flush_free_keys(*keys, n);
        *keys = NULL;
        return -1;
    }
    return n;
}

void flush_free_keys(char **keys, int n)
{
    for (int i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
}

int flush_drop_staging(redisContext *c, const char *staging, char *err, size_t errlen)
{
    const char *argv[] = {"EVAL", "redis.call('UNLINK', KEYS[1]); redis.call('SREM', KEYS[2], KEYS[1])", "2", staging,
                          FLUSH_PENDING_SET};
    redisReply *r = redisCommandArgv(c, 5, argv, NULL);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return reply_error(c, r, "UNLINK", err, errlen);
    freeReplyObject(r);
    return 0;
}
