/*
 * url_policy — see url_policy.h. Parsing is a single left-to-right pass over a bounded string: the authority is
 * split into host and port, the path has its dot segments removed, path and query have their escapes checked and
 * upper-cased and stray delimiters percent-encoded, and the result is written through a bounded writer that turns
 * overflow into URLPOL_TOO_LONG. Address ranges are tables of (prefix, length, class), most specific first.
 */
#include "covers/url_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"

/* A bounded output buffer: writes past the end set `overflow` and are dropped. */
struct wbuf {
    char *p;
    size_t len, cap; /* cap includes the NUL */
    bool overflow;
};

static void wb_putc(struct wbuf *w, char c)
{
    if (w->len + 1 >= w->cap) {
        w->overflow = true;
        return;
    }
    w->p[w->len++] = c;
    w->p[w->len] = '\0';
}

static void wb_put(struct wbuf *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wb_putc(w, s[i]);
}

static bool is_unreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c);
}

/* Characters left as they are in a path or query (RFC 3986 pchar + '/' + '?'); the rest is percent-encoded. */
static bool is_plain(char c)
{
    return is_unreserved(c) || (c && strchr("!$&'()*+,;=:@/?", c));
}

/* Copies s[0..n) with escapes validated and upper-cased and other characters encoded. -1 on a bad escape. */
static int put_escaped(struct wbuf *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int a = hex_value(s[i + 1]), b = hex_value(s[i + 2]);
            if (a < 0 || b < 0)
                return -1;
            char e[3] = {'%', hex[a], hex[b]};
            wb_put(w, e, 3);
            i += 2;
        } else if (is_plain(c)) {
            wb_putc(w, c);
        } else {
            char e[3] = {'%', hex[(unsigned char)c >> 4], hex[(unsigned char)c & 15]};
            wb_put(w, e, 3);
        }
    }
    return 0;
}

/* Writes path p[0..n) (starting with '/', or empty) with dot segments removed (RFC 3986 §5.2.4). */
static int put_path(struct wbuf *w, const char *p, size_t n)
{
    size_t start = w->len;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && p[j] != '/')
            j++;
        const char *seg = p + i + 1;
        size_t slen = j - i - 1;
        bool dot = slen == 1 && seg[0] == '.', dotdot = slen == 2 && seg[0] == '.' && seg[1] == '.';
        if (dotdot) {
            while (w->len > start && w->p[w->len - 1] != '/')
                w->len--;
            if (w->len > start)
                w->len--;
            w->p[w->len] = '\0';
        }
        if (dot || dotdot) {
            if (j == n)
                wb_putc(w, '/');
        } else {
            wb_putc(w, '/');
            if (put_escaped(w, seg, slen))
                return -1;
        }
        i = j;
    }
    if (w->len == start)
        wb_putc(w, '/');
    return 0;
}

/* Parses a port: 1-5 digits, 1..65535. */
static enum urlpol_err parse_port(const char *s, size_t n, int *port)
{
    if (n == 0 || n > 5)
        return URLPOL_PORT;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return URLPOL_PORT;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return URLPOL_PORT;
    *port = v;
    return URLPOL_OK;
}

/* Whether label l[0..n) looks numeric (all digits, or a 0x hex form): then the host must be a dotted quad. */
static bool numeric_label(const char *l, size_t n)
{
    if (n >= 2 && l[0] == '0' && (l[1] == 'x'))
        return true;
    for (size_t i = 0; i < n; i++)
        if (l[i] < '0' || l[i] > '9')
            return false;
    return n > 0;
}

/* A canonical dotted quad: four decimal labels 0..255 without leading zeros. */
static bool dotted_quad(const char *h)
{
    int parts = 0;
    const char *p = h;
    for (;;) {
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
            return false;
        int v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (p[i] - '0');
        if (v > 255)
            return false;
        parts++;
        p += n;
        if (!*p)
            return parts == 4;
        if (*p != '.' || parts == 4)
            return false;
        p++;
    }
}

/* Validates and lowercases a host name h[0..n) into out. */
static enum urlpol_err parse_hostname(const char *h, size_t n, char *out)
{
    if (n && h[n - 1] == '.')
        n--;
    if (n == 0 || n > URLPOL_MAX_HOST)
        return URLPOL_HOST;
    size_t label = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == '.') {
            if (label == 0)
                return URLPOL_HOST;
            label = 0;
            last = i + 1;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63)
                return URLPOL_HOST;
        } else {
            return URLPOL_HOST;
        }
        out[i] = c;
    }
    out[n] = '\0';
    if (label == 0)
        return URLPOL_HOST;
    if (numeric_label(out + last, n - last) && !dotted_quad(out))
        return URLPOL_HOST;
    return URLPOL_OK;
}

/* Parses "[v6]" from a[0..n) into out (canonical form); `*used` gets the bytes consumed. */
static enum urlpol_err parse_v6_literal(const char *a, size_t n, struct url_parts *out, size_t *used)
{
    const char *close = memchr(a, ']', n);
    if (!close)
        return URLPOL_HOST;
    size_t inner = (size_t)(close - a) - 1;
    char buf[64];
    if (inner == 0 || inner >= sizeof buf || memchr(a + 1, '%', inner))
        return URLPOL_HOST;
    memcpy(buf, a + 1, inner);
    buf[inner] = '\0';
    struct in6_addr in6;
    if (inet_pton(AF_INET6, buf, &in6) != 1 || !inet_ntop(AF_INET6, &in6, out->host, sizeof out->host))
        return URLPOL_HOST;
    out->ipv6_literal = true;
    *used = (size_t)(close - a) + 1;
    return URLPOL_OK;
}

/* Parses the authority a[0..n) (no userinfo) into host and port. */
static enum urlpol_err parse_authority(const char *a, size_t n, struct url_parts *out)
{
    size_t hostend;
    enum urlpol_err e;
    out->port = 443;
    out->ipv6_literal = false;
    if (n && a[0] == '[') {
        if ((e = parse_v6_literal(a, n, out, &hostend)))
            return e;
        if (hostend < n && a[hostend] != ':')
            return URLPOL_HOST;
    } else {
        const char *colon = memchr(a, ':', n);
        hostend = colon ? (size_t)(colon - a) : n;
        if ((e = parse_hostname(a, hostend, out->host)))
            return e;
    }
    if (hostend < n)
        return parse_port(a + hostend + 1, n - hostend - 1, &out->port);
    return URLPOL_OK;
}

static enum urlpol_err write_normalized(struct url_parts *out, const char *path, size_t plen, const char *query,
                                        size_t qlen)
{
    struct wbuf w = {out->normalized, 0, sizeof out->normalized, false};
    out->normalized[0] = '\0';
    wb_put(&w, "https://", 8);
    if (out->ipv6_literal)
        wb_putc(&w, '[');
    wb_put(&w, out->host, strlen(out->host));
    if (out->ipv6_literal)
        wb_putc(&w, ']');
    if (out->port != 443) {
        char p[8];
        int k = snprintf(p, sizeof p, ":%d", out->port);
        wb_put(&w, p, (size_t)k);
    }
    if (put_path(&w, path, plen))
        return URLPOL_CHARS;
    if (qlen) {
        wb_putc(&w, '?');
        if (put_escaped(&w, query, qlen))
            return URLPOL_CHARS;
    }
    return w.overflow ? URLPOL_TOO_LONG : URLPOL_OK;
}

enum urlpol_err urlpol_normalize(const char *url, struct url_parts *out)
{
    if (!url || !*url)
        return URLPOL_EMPTY;
    size_t len = strnlen(url, URLPOL_MAX_URL + 1);
    if (len > URLPOL_MAX_URL)
        return URLPOL_TOO_LONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            return URLPOL_CHARS;
    }
    if (len < 8 || strncasecmp(url, "https://", 8))
        return URLPOL_SCHEME;
    const char *auth = url + 8;
    size_t alen = strcspn(auth, "/?#");
    if (memchr(auth, '@', alen))
        return URLPOL_USERINFO;
    enum urlpol_err e = parse_authority(auth, alen, out);
    if (e)
        return e;
    const char *path = auth + alen;
    size_t plen = strcspn(path, "?#");
    const char *query = path + plen;
    size_t qlen = 0;
    if (*query == '?') {
        query++;
        qlen = strcspn(query, "#");
    }
    return write_normalized(out, path, plen, query, qlen);
}

const char *urlpol_strerror(enum urlpol_err e)
{
    switch (e) {
    case URLPOL_OK: return "ok";
    case URLPOL_EMPTY: return "no URL given";
    case URLPOL_TOO_LONG: return "the URL is too long";
    case URLPOL_CHARS: return "the URL contains characters that are not allowed or a malformed percent escape";
    case URLPOL_SCHEME: return "only https:// URLs are allowed";
    case URLPOL_USERINFO: return "credentials (user@) in the URL are not allowed";
    case URLPOL_HOST: return "the URL's host is malformed";
    case URLPOL_PORT: return "the URL's port is malformed";
    case URLPOL_NOT_ALLOWED: return "the URL's host is not in storage.cover_allowed_hosts";
    case URLPOL_PORT_NOT_ALLOWED: return "the URL's port is not allowed for this host by storage.cover_allowed_hosts";
    }
    return "invalid URL";
}

const char *urlpol_reason(enum urlpol_err e)
{
    static const char *const words[] = {"ok",   "empty", "too_long",         "chars",           "scheme", "userinfo",
                                        "host", "port",  "host_not_allowed", "port_not_allowed"};
    return (unsigned)e < sizeof words / sizeof words[0] ? words[e] : "invalid";
}

/* Parses one trimmed allowlist entry e[0..n). */
static int parse_allow_entry(const char *e, size_t n, struct urlpol_allow_entry *out)
{
    struct url_parts p;
    out->wildcard = n > 2 && e[0] == '*' && e[1] == '.';
    if (out->wildcard) {
        e += 2;
        n -= 2;
    }
    if (n == 0 || memchr(e, '*', n) || memchr(e, '/', n) || memchr(e, '@', n))
        return -1;
    if (parse_authority(e, n, &p) || (out->wildcard && p.ipv6_literal))
        return -1;
    memcpy(out->host, p.host, sizeof out->host);
    out->port = p.port;
    return 0;
}

int urlpol_allowlist_parse(const char *list, struct urlpol_allowlist *out, char *err, size_t errlen)
{
    out->n = 0;
    const char *p = list ? list : "";
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *e = p;
        size_t k = n;
        while (k && (*e == ' ' || *e == '\t'))
            e++, k--;
        while (k && (e[k - 1] == ' ' || e[k - 1] == '\t'))
            k--;
        if (k) {
            if (out->n == URLPOL_MAX_ALLOW) {
                snprintf(err, errlen, "storage.cover_allowed_hosts: more than %d entries", URLPOL_MAX_ALLOW);
                return -1;
            }
            if (parse_allow_entry(e, k, &out->entries[out->n])) {
                snprintf(err, errlen, "storage.cover_allowed_hosts: \"%.*s\" is not a host, *.suffix or host:port",
                         (int)(k > 200 ? 200 : k), e);
                return -1;
            }
            out->n++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static bool host_matches(const struct urlpol_allow_entry *a, const struct url_parts *u)
{
    if (!a->wildcard)
        return !strcmp(a->host, u->host);
    size_t hl = strlen(u->host), sl = strlen(a->host);
    return !u->ipv6_literal && hl > sl + 1 && u->host[hl - sl - 1] == '.' && !strcmp(u->host + hl - sl, a->host);
}

enum urlpol_err urlpol_check_allowed(const struct urlpol_allowlist *al, const struct url_parts *u)
{
    enum urlpol_err res = URLPOL_NOT_ALLOWED;
    for (int i = 0; i < al->n; i++) {
        if (!host_matches(&al->entries[i], u))
            continue;
        if (al->entries[i].port == u->port)
            return URLPOL_OK;
        res = URLPOL_PORT_NOT_ALLOWED;
    }
    return res;
}

/* ---- address classification ---- */

struct v4_range {
    uint32_t net;
    int bits;
    enum addr_class cls;
};

static const struct v4_range v4_ranges[] = {
    {0x00000000, 8, ADDR_UNSPECIFIED}, /* 0.0.0.0/8 "this network" */
    {0x0A000000, 8, ADDR_PRIVATE},     /* 10/8 */
    {0x64400000, 10, ADDR_CGNAT},      /* 100.64/10 */
    {0x7F000000, 8, ADDR_LOOPBACK},    /* 127/8 */
    {0xA9FE0000, 16, ADDR_LINK_LOCAL}, /* 169.254/16, incl. 169.254.169.254 metadata */
    {0xAC100000, 12, ADDR_PRIVATE},    /* 172.16/12 */
    {0xC0000000, 24, ADDR_RESERVED},   /* 192.0.0/24 IETF protocol assignments */
    {0xC0000200, 24, ADDR_RESERVED},   /* 192.0.2/24 TEST-NET-1 */
    {0xC0586300, 24, ADDR_RESERVED},   /* 192.88.99/24 6to4 relay anycast */
    {0xC0A80000, 16, ADDR_PRIVATE},    /* 192.168/16 */
    {0xC6120000, 15, ADDR_RESERVED},   /* 198.18/15 benchmarking */
    {0xC6336400, 24, ADDR_RESERVED},   /* 198.51.100/24 TEST-NET-2 */
    {0xCB007100, 24, ADDR_RESERVED},   /* 203.0.113/24 TEST-NET-3 */
    {0xE0000000, 4, ADDR_MULTICAST},   /* 224/4 */
    {0xF0000000, 4, ADDR_RESERVED},    /* 240/4 incl. 255.255.255.255 */
};

enum addr_class urlpol_classify_v4(uint32_t addr)
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
        uint32_t mask = v4_ranges[i].bits ? 0xFFFFFFFFu << (32 - v4_ranges[i].bits) : 0;
        if ((addr & mask) == v4_ranges[i].net)
            return v4_ranges[i].cls;
    }
    return ADDR_PUBLIC;
}

struct v6_range {
    uint8_t prefix[16];
    int bits;
    enum addr_class cls;
};

static const struct v6_range v6_ranges[] = {
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, ADDR_RESERVED}, /* 64:ff9b:1::/48 local NAT64 */
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, ADDR_RESERVED},       /* 100::/64 discard */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, ADDR_RESERVED},             /* 2001:db8::/32 documentation */
    {{0x20, 0x01, 0x00, 0x00}, 23, ADDR_RESERVED},             /* 2001::/23 IETF, Teredo, ORCHID */
    {{0x3f, 0xff, 0x00}, 20, ADDR_RESERVED},                   /* 3fff::/20 documentation */
    {{0xfc}, 7, ADDR_UNIQUE_LOCAL},                            /* fc00::/7 */
    {{0xfe, 0x80}, 10, ADDR_LINK_LOCAL},                       /* fe80::/10 */
    {{0xfe, 0xc0}, 10, ADDR_PRIVATE},                          /* fec0::/10 site-local */
    {{0xff}, 8, ADDR_MULTICAST},                               /* ff00::/8 */
};

static bool v6_prefix(const uint8_t *a, const uint8_t *prefix, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, prefix, (size_t)full))
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[full] & mask) == (prefix[full] & mask);
}

static uint32_t v4_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* If `a` embeds an IPv4 address (mapped, compatible, NAT64, 6to4), stores it in *v4 and returns true. */
static bool v6_embedded_v4(const uint8_t a[16], uint32_t *v4)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t zero[12] = {0};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12)) {
        *v4 = v4_at(a + 12);
        return true;
    }
    if (!memcmp(a, zero, 12) && v4_at(a + 12) > 1) { /* ::a.b.c.d, but not :: or ::1 */
        *v4 = v4_at(a + 12);
        return true;
    }
    if (a[0] == 0x20 && a[1] == 0x02) { /* 2002:aabb:ccdd::/48 */
        *v4 = v4_at(a + 2);
        return true;
    }
    return false;
}

enum addr_class urlpol_classify_v6(const uint8_t addr[16])
{
    static const uint8_t zero[16] = {0};
    uint32_t v4;
    if (!memcmp(addr, zero, 15))
        return addr[15] == 0 ? ADDR_UNSPECIFIED : addr[15] == 1 ? ADDR_LOOPBACK : urlpol_classify_v4(addr[15]);
    if (v6_embedded_v4(addr, &v4))
        return urlpol_classify_v4(v4);
    for (size_t i = 0; i < sizeof v6_ranges / sizeof v6_ranges[0]; i++)
        if (v6_prefix(addr, v6_ranges[i].prefix, v6_ranges[i].bits))
            return v6_ranges[i].cls;
    return ADDR_PUBLIC;
}

enum addr_class urlpol_classify(const struct sockaddr *sa, size_t len)
{
    if (!sa || len < sizeof(sa_family_t))
        return ADDR_UNKNOWN;
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return urlpol_classify_v4(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return urlpol_classify_v6(in6->sin6_addr.s6_addr);
    }
    return ADDR_UNKNOWN;
}

const char *urlpol_class_name(enum addr_class c)
{
    static const char *const names[] = {"public", "loopback",  "private",     "link_local", "unique_local",
                                        "cgnat",  "multicast", "unspecified", "reserved",   "unknown"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

/* Whether `sa` is exactly 127.0.0.1 or ::1, directly or embedded in an IPv6 form. */
static bool exact_loopback(const struct sockaddr *sa)
{
    static const uint8_t one[16] = {[15] = 1};
    uint32_t v4;
    if (sa->sa_family == AF_INET)
        return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) == 0x7F000001;
    const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    return !memcmp(a, one, 16) || (v6_embedded_v4(a, &v4) && v4 == 0x7F000001);
}

bool urlpol_addr_allowed(const struct sockaddr *sa, size_t len, bool allow_loopback)
{
    enum addr_class c = urlpol_classify(sa, len);
    if (c == ADDR_PUBLIC)
        return true;
    return allow_loopback && c == ADDR_LOOPBACK && exact_loopback(sa);
}
