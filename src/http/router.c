/* router — see router.h. Matching walks pattern and path segments in step; no allocation. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "util/hex.h"
#include "util/utf8.h"

long router_decode(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 3 > len)
                return -1;
            int a = hex_value(in[i + 1]), b = hex_value(in[i + 2]);
            if (a < 0 || b < 0)
                return -1;
            c = a * 16 + b;
            i += 2;
        }
        if (c == 0)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return utf8_valid(out, o) ? (long)o : -1;
}

/* Decodes seg[0..len) into out (cap bytes incl. NUL). Returns 0 or -1 (see router_decode; also '/' or too long). */
static int decode_segment(const char *seg, size_t len, char *out, size_t cap)
{
    char buf[ROUTER_MAX_PATH + 1];
    if (len > ROUTER_MAX_PATH)
        return -1;
    long n = router_decode(seg, len, buf);
    if (n < 0 || (size_t)n + 1 > cap || memchr(buf, '/', (size_t)n))
        return -1;
    memcpy(out, buf, (size_t)n + 1);
    return 0;
}

/* Next segment of s starting at *pos (skipping one '/'); returns its start and sets *len; NULL at the end. */
static const char *next_segment(const char *s, size_t *pos, size_t *len)
{
    while (s[*pos] == '/')
        (*pos)++;
    if (!s[*pos])
        return NULL;
    const char *start = s + *pos;
    size_t n = strcspn(start, "/");
    *pos += n;
    *len = n;
    return start;
}

static int match_one(const char *pattern, const char *path, struct route_match *m)
{
    size_t pp = 0, sp = 0, plen = 0, slen = 0;
    m->nparams = 0;
    for (;;) {
        const char *pseg = next_segment(pattern, &pp, &plen);
        const char *sseg = next_segment(path, &sp, &slen);
        if (!pseg || !sseg)
            return (!pseg && !sseg) ? 1 : 0;
        if (pseg[0] == ':') {
            if (m->nparams == ROUTER_MAX_PARAMS)
                return 0;
            int i = m->nparams++;
            m->names[i] = pseg + 1;
            m->namelens[i] = plen - 1;
            if (decode_segment(sseg, slen, m->values[i], sizeof m->values[i]))
                return -1;
        } else if (plen != slen || memcmp(pseg, sseg, plen)) {
            return 0;
        }
    }
}

enum router_result router_match(const struct route *routes, size_t n, const char *method, const char *path,
                                size_t *index, struct route_match *m)
{
    char decoded[ROUTER_MAX_PATH + 1];
    if (!path || path[0] != '/' || strlen(path) > ROUTER_MAX_PATH || router_decode(path, strlen(path), decoded) < 0)
        return ROUTER_BAD_PATH;
    enum router_result res = ROUTER_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        int r = match_one(routes[i].pattern, path, m);
        if (r < 0)
            return ROUTER_BAD_PATH;
        if (!r)
            continue;
        if (!strcmp(routes[i].method, method)) {
            *index = i;
            return ROUTER_FOUND;
        }
        res = ROUTER_METHOD_NOT_ALLOWED;
    }
    return res;
}

size_t router_allowed(const struct route *routes, size_t n, const char *path, char *buf, size_t len)
{
    struct route_match m;
    size_t used = 0, count = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (match_one(routes[i].pattern, path, &m) != 1)
            continue;
        const char *meth = routes[i].method;
        int times = strcmp(meth, "GET") ? 1 : 2;
        /* each method once, and HEAD wherever GET is (the server answers HEAD as GET) */
        for (int k = 0; k < times; k++, meth = "HEAD") {
            size_t ml = strlen(meth);
            const char *at = strstr(buf, meth);
            if (at && (at == buf || at[-1] == ' ') && (at[ml] == ',' || at[ml] == '\0'))
                continue;
            if (used + ml + 3 > len)
                return count;
            used += (size_t)snprintf(buf + used, len - used, "%s%s", count ? ", " : "", meth);
            count++;
        }
    }
    return count;
}

const char *router_param(const struct route_match *m, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < m->nparams; i++)
        if (m->namelens[i] == len && !memcmp(m->names[i], name, len))
            return m->values[i];
    return NULL;
}
