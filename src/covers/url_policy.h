/*
 * url_policy — the pure half of the cover proxy's SSRF defence (DESIGN §5): parsing and normalising an image URL,
 * matching its host against the allowlist, and classifying the addresses a connection is about to be made to.
 * No I/O, no allocation: unit-tested and fuzzed on its own. fetch.c applies it to the first URL, to every redirect
 * hop, and (through the address classifier) to every address libcurl connects to.
 *
 * Words: a *normalised URL* is `https://host[:port]/path[?query]` — scheme and host lowercased, a trailing dot on
 * the host dropped, the default port 443 omitted, dot segments removed, percent escapes upper-cased, the fragment
 * dropped. It is both what is fetched and (hashed) the cache key. An *allowlist* is the comma-separated setting
 * `storage.cover_allowed_hosts`: entries `host` (exact) or `*.suffix` (any name strictly under `suffix`, not
 * `suffix` itself), each optionally `:port`. An entry without a port admits only 443; a non-default port is
 * admitted only where an entry names it.
 */
#ifndef COMICBATCH_URL_POLICY_H
#define COMICBATCH_URL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define URLPOL_MAX_URL 2048
#define URLPOL_MAX_HOST 253
#define URLPOL_MAX_ALLOW 64

/** Why a URL was refused. Numbered once, never renumbered. */
enum urlpol_err {
    URLPOL_OK = 0,
    URLPOL_EMPTY = 1,            /* no URL at all */
    URLPOL_TOO_LONG = 2,         /* longer than URLPOL_MAX_URL (before or after normalising) */
    URLPOL_CHARS = 3,            /* control, space, non-ASCII, backslash, or a malformed percent escape */
    URLPOL_SCHEME = 4,           /* not https:// */
    URLPOL_USERINFO = 5,         /* user[:password]@ in the authority */
    URLPOL_HOST = 6,             /* empty or malformed host, odd numeric form, zone id */
    URLPOL_PORT = 7,             /* malformed or out-of-range port */
    URLPOL_NOT_ALLOWED = 8,      /* host not in the allowlist */
    URLPOL_PORT_NOT_ALLOWED = 9, /* host allowed, but not on this port */
};

/** A parsed, normalised URL. */
struct url_parts {
    char host[URLPOL_MAX_HOST + 1]; /* lowercase; IPv6 literals without brackets, in canonical form */
    int port;                       /* 443 when absent */
    bool ipv6_literal;
    char normalized[URLPOL_MAX_URL + 1];
};

/** Parses and normalises `url` into `out`. Returns URLPOL_OK or the reason (then `out` is unspecified). */
enum urlpol_err urlpol_normalize(const char *url, struct url_parts *out);

/** A short English sentence for `e` (static storage). */
const char *urlpol_strerror(enum urlpol_err e);

/** A stable machine word for `e` ("scheme", "userinfo", …), used as details.reason in error replies. */
const char *urlpol_reason(enum urlpol_err e);

struct urlpol_allow_entry {
    char host[URLPOL_MAX_HOST + 1]; /* for wildcards, the suffix without "*." */
    bool wildcard;
    int port; /* 443 unless the entry named one */
};

struct urlpol_allowlist {
    struct urlpol_allow_entry entries[URLPOL_MAX_ALLOW];
    int n;
};

/**
 * Parses the allowlist setting (may be empty: nothing is allowed). Returns 0, or -1 with a sentence naming the bad
 * entry in `err`. A bare `*`, an entry with a scheme, path or userinfo, and more than URLPOL_MAX_ALLOW entries are
 * errors.
 */
int urlpol_allowlist_parse(const char *list, struct urlpol_allowlist *out, char *err, size_t errlen);

/** Whether `u` is admitted by `al`: URLPOL_OK, URLPOL_NOT_ALLOWED or URLPOL_PORT_NOT_ALLOWED. */
enum urlpol_err urlpol_check_allowed(const struct urlpol_allowlist *al, const struct url_parts *u);

/** Address classes, most to least common. Only ADDR_PUBLIC is fetched from by default. */
enum addr_class {
    ADDR_PUBLIC = 0,
    ADDR_LOOPBACK,     /* 127/8, ::1 */
    ADDR_PRIVATE,      /* 10/8, 172.16/12, 192.168/16, fec0::/10 */
    ADDR_LINK_LOCAL,   /* 169.254/16 (cloud metadata lives here), fe80::/10 */
    ADDR_UNIQUE_LOCAL, /* fc00::/7 */
    ADDR_CGNAT,        /* 100.64/10 */
    ADDR_MULTICAST,    /* 224/4, ff00::/8 */
    ADDR_UNSPECIFIED,  /* 0/8, :: */
    ADDR_RESERVED,     /* 240/4 and broadcast, documentation, benchmarking, IETF, Teredo, discard, NAT64 local */
    ADDR_UNKNOWN,      /* not AF_INET / AF_INET6, or truncated */
};

/** Classifies an IPv4 address given in host byte order. */
enum addr_class urlpol_classify_v4(uint32_t addr);

/**
 * Classifies an IPv6 address. Forms that embed an IPv4 address — mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d,
 * NAT64 64:ff9b::/96, 6to4 2002::/16 — are classified by the embedded IPv4 address.
 */
enum addr_class urlpol_classify_v6(const uint8_t addr[16]);

/** Classifies a socket address (`len` bytes). */
enum addr_class urlpol_classify(const struct sockaddr *sa, size_t len);

/** A stable machine word for `c` ("loopback", "private", …). */
const char *urlpol_class_name(enum addr_class c);

/**
 * The connect-time rule: true for a public address; with `allow_loopback` (a test-only switch) also for exactly
 * 127.0.0.1 or ::1 (an embedded 127.0.0.1 counts) — never for the rest of 127/8 or any private range.
 */
bool urlpol_addr_allowed(const struct sockaddr *sa, size_t len, bool allow_loopback);

#endif
