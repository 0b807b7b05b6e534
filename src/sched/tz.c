/*
 * tz — see tz.h.
 *
 * A zone is one allocation: the local time types, their abbreviations, the transition table and the footer rule.
 * Queries split time in two: before the last transition the table decides (binary search), from it on the footer
 * rule does (when there is one). Transitions are found by walking "events" (table entries and rule switches) and
 * keeping only those where the UTC offset really changes: an isdst or abbreviation change alone is not one.
 */
#include "sched/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sched/tz_rule.h"
#include "util/errbuf.h"

#define TZ_TYPES_MAX 256        /* a transition's type index is one byte */
#define TZ_CHARS_MAX 256        /* abbreviation bytes (tzcode allows 50 per zone in practice) */
#define TZ_TRANSITIONS_MAX 4096 /* tzcode's TZ_MAX_TIMES is 2000 */
#define TZ_UTOFF_MAX 93599      /* RFC 9636: |utoff| <= 25:59:59 */
#define TZ_SCAN_MAX 512         /* events looked at to find one that changes the offset */
#define TZ_QUOTE_MAX 40
#define TZ_WALL_CLAMP (INT64_C(1) << 60)

struct tz_type {
    int32_t utoff;
    bool isdst;
    uint16_t abbr; /* index into abbrs */
};

struct tz_trans {
    int64_t at;
    uint8_t type;
};

struct tz {
    char name[TZ_NAME_MAX + 1];
    size_t ntypes;
    struct tz_type types[TZ_TYPES_MAX];
    char abbrs[TZ_CHARS_MAX + 1];
    bool has_rule;
    struct tz_rule rule;
    size_t ntrans;
    struct tz_trans trans[];
};

/* ---- names and files --------------------------------------------------------------------------------------- */

/* User text for an error message: printable ASCII only, at most TZ_QUOTE_MAX characters. */
static const char *quote(const char *s, char out[TZ_QUOTE_MAX + 4])
{
    size_t n = strnlen(s, TZ_QUOTE_MAX + 1), k = n > TZ_QUOTE_MAX ? TZ_QUOTE_MAX : n;
    for (size_t i = 0; i < k; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    strcpy(out + k, n > k ? "..." : "");
    return out;
}

static bool name_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '+' || c == '-' || c == '.';
}

static int check_name(const char *name, struct errbuf *e)
{
    char q[TZ_QUOTE_MAX + 4];
    if (!name || !*name)
        return errbuf_fail(e, "time zone name is empty");
    if (strnlen(name, TZ_NAME_MAX + 1) > TZ_NAME_MAX)
        return errbuf_fail(e, "time zone name is longer than %d characters", TZ_NAME_MAX);
    if (name[0] == '/')
        return errbuf_fail(e, "time zone \"%s\" is a path; give a name like Europe/Berlin", quote(name, q));
    if (strstr(name, ".."))
        return errbuf_fail(e, "time zone name \"%s\" must not contain \"..\"", quote(name, q));
    for (const char *p = name; *p; p++) {
        if (!name_char_ok(*p))
            return errbuf_fail(e, "time zone name \"%s\" has a character outside A-Z a-z 0-9 / _ + - .",
                               quote(name, q));
        if ((p == name || p[-1] == '/') && (*p == '/' || *p == '.'))
            return errbuf_fail(e, "time zone name \"%s\" has an empty or hidden path component", quote(name, q));
    }
    if (name[strlen(name) - 1] == '/')
        return errbuf_fail(e, "time zone name \"%s\" has an empty or hidden path component", quote(name, q));
    return 0;
}

static int read_fd(int fd, const char *name, uint8_t **buf, size_t *len, struct errbuf *e)
{
    struct stat st;
    char q[TZ_QUOTE_MAX + 4];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return errbuf_fail(e, "unknown time zone \"%s\"", quote(name, q));
    if (st.st_size > TZ_FILE_MAX)
        return errbuf_fail(e, "time zone \"%s\": file larger than %d bytes", quote(name, q), TZ_FILE_MAX);
    *buf = malloc((size_t)st.st_size + 1);
    if (!*buf)
        abort();
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *len = got;
    return 0;
}

/* Reads the zone file into a new buffer the caller frees. */
static int read_zone_file(const char *dir, const char *name, uint8_t **buf, size_t *len, struct errbuf *e)
{
    char path[4096], q[TZ_QUOTE_MAX + 4];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return errbuf_fail(e, "time zone \"%s\": path too long", quote(name, q));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return errbuf_fail(e, "unknown time zone \"%s\"", quote(name, q));
        return errbuf_fail(e, "time zone \"%s\": cannot read %s: %s", quote(name, q), path, strerror(errno));
    }
    *buf = NULL;
    int rc = read_fd(fd, name, buf, len, e);
    close(fd);
    if (rc)
        free(*buf);
    return rc;
}

/* ---- TZif parsing ------------------------------------------------------------------------------------------ */

struct reader {
    const uint8_t *p;
    size_t left;
};

struct tzif_header {
    int version; /* 0 for version 1, else '2', '3', '4' */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_time(const uint8_t *p, int size)
{
    if (size == 4)
        return (int32_t)be32(p);
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static const uint8_t *take(struct reader *r, size_t n)
{
    if (r->left < n)
        return NULL;
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static int read_header(struct reader *r, struct tzif_header *h, struct errbuf *e)
{
    const uint8_t *p = take(r, 44);
    if (!p || memcmp(p, "TZif", 4) != 0)
        return errbuf_fail(e, "not a TZif file");
    h->version = p[4];
    if (h->version != 0 && (h->version < '2' || h->version > '9'))
        return errbuf_fail(e, "unknown TZif version 0x%02x", p[4]);
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    if (h->typecnt < 1 || h->typecnt > TZ_TYPES_MAX || h->charcnt < 1 || h->charcnt > TZ_CHARS_MAX ||
        h->timecnt > TZ_TRANSITIONS_MAX || (h->isutcnt && h->isutcnt != h->typecnt) ||
        (h->isstdcnt && h->isstdcnt != h->typecnt) || h->leapcnt > TZ_TRANSITIONS_MAX)
        return errbuf_fail(e, "corrupt TZif header");
    return 0;
}

static size_t block_size(const struct tzif_header *h, int tsize)
{
    return (size_t)h->timecnt * (size_t)(tsize + 1) + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (size_t)(tsize + 4) + h->isstdcnt + h->isutcnt;
}

static int read_types(struct tz *z, const uint8_t *p, const struct tzif_header *h, struct errbuf *e)
{
    z->ntypes = h->typecnt;
    for (size_t i = 0; i < h->typecnt; i++, p += 6) {
        int32_t utoff = (int32_t)be32(p);
        if (utoff < -TZ_UTOFF_MAX || utoff > TZ_UTOFF_MAX || p[4] > 1 || p[5] >= h->charcnt)
            return errbuf_fail(e, "corrupt TZif local time type %zu", i);
        z->types[i] = (struct tz_type){utoff, p[4] == 1, p[5]};
    }
    memcpy(z->abbrs, p, h->charcnt);
    z->abbrs[h->charcnt] = '\0';
    return 0;
}

/* The zone's allocation; out of memory aborts, as everywhere in the daemon. */
static struct tz *tz_alloc(size_t ntrans)
{
    struct tz *z = calloc(1, sizeof *z + ntrans * sizeof z->trans[0]);
    if (!z)
        abort();
    z->ntrans = ntrans;
    return z;
}

/* Reads one data block (times `tsize` bytes wide) into a new zone in *out. */
static int read_block(struct reader *r, const struct tzif_header *h, int tsize, struct tz **out, struct errbuf *e)
{
    const uint8_t *p = take(r, block_size(h, tsize));
    if (!p)
        return errbuf_fail(e, "truncated TZif data");
    if (h->leapcnt > 0)
        return errbuf_fail(e, "leap-second zones (\"right/...\") are not supported");
    struct tz *z = tz_alloc(h->timecnt);
    const uint8_t *idx = p + (size_t)h->timecnt * (size_t)tsize;
    for (size_t i = 0; i < h->timecnt; i++) {
        z->trans[i] = (struct tz_trans){be_time(p + i * (size_t)tsize, tsize), idx[i]};
        if (idx[i] >= h->typecnt || (i > 0 && z->trans[i].at <= z->trans[i - 1].at)) {
            free(z);
            return errbuf_fail(e, "corrupt TZif transition %zu", i);
        }
    }
    if (read_types(z, idx + h->timecnt, h, e)) {
        free(z);
        return -1;
    }
    *out = z;
    return 0;
}

/* The footer: "\n" TZ-string "\n" at the very end of a version 2+ file. */
static int read_footer(struct reader *r, struct tz *z, struct errbuf *e)
{
    const uint8_t *nl;
    if (r->left < 2 || r->p[0] != '\n' || !(nl = memchr(r->p + 1, '\n', r->left - 1)))
        return errbuf_fail(e, "TZif footer missing");
    size_t len = (size_t)(nl - r->p - 1);
    if (len == 0)
        return 0; /* empty: the last transition's type stays in effect */
    if (tz_rule_parse((const char *)r->p + 1, len, &z->rule, e))
        return -1;
    z->has_rule = true;
    return 0;
}

/* Version 1: the 32-bit block. Version 2+: skip it, then the 64-bit block and the footer. */
static int parse_tzif(const uint8_t *buf, size_t len, struct tz **out, struct errbuf *e)
{
    struct reader r = {buf, len};
    struct tzif_header h;
    if (read_header(&r, &h, e))
        return -1;
    if (h.version == 0)
        return read_block(&r, &h, 4, out, e);
    if (!take(&r, block_size(&h, 4)))
        return errbuf_fail(e, "truncated TZif data");
    if (read_header(&r, &h, e) || read_block(&r, &h, 8, out, e))
        return -1;
    if (read_footer(&r, *out, e)) {
        free(*out);
        return -1;
    }
    return 0;
}

static struct tz *make_utc(const char *name)
{
    struct tz *z = tz_alloc(0);
    snprintf(z->name, sizeof z->name, "%s", name);
    z->ntypes = 1;
    z->types[0] = (struct tz_type){0, false, 0};
    strcpy(z->abbrs, "UTC");
    return z;
}

struct tz *tz_load_from(const char *dir, const char *name, char *err, size_t errlen)
{
    struct errbuf e = errbuf_init(err, errlen);
    char q[TZ_QUOTE_MAX + 4], why[160];
    if (check_name(name, &e))
        return NULL;
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return make_utc(name);
    uint8_t *buf;
    size_t len;
    if (read_zone_file(dir, name, &buf, &len, &e))
        return NULL;
    struct errbuf pe = errbuf_init(why, sizeof why);
    struct tz *z = NULL;
    int rc = parse_tzif(buf, len, &z, &pe);
    free(buf);
    if (rc) {
        errbuf_fail(&e, "time zone \"%s\": %s", quote(name, q), why);
        return NULL;
    }
    snprintf(z->name, sizeof z->name, "%s", name);
    return z;
}

struct tz *tz_load(const char *name, char *err, size_t errlen)
{
    return tz_load_from(TZ_DIR, name, err, errlen);
}

struct tz *tz_from_posix(const char *tzstring, char *err, size_t errlen)
{
    struct errbuf e = errbuf_init(err, errlen);
    struct tz_rule rule;
    if (!tzstring || strnlen(tzstring, TZ_NAME_MAX + 1) > TZ_NAME_MAX) {
        errbuf_fail(&e, "TZ string is empty or longer than %d characters", TZ_NAME_MAX);
        return NULL;
    }
    if (tz_rule_parse(tzstring, strlen(tzstring), &rule, &e))
        return NULL;
    struct tz *z = make_utc(tzstring);
    z->rule = rule;
    z->has_rule = true;
    return z;
}

void tz_destroy(struct tz *z)
{
    free(z);
}

const char *tz_name(const struct tz *z)
{
    return z->name;
}

/* ---- queries ----------------------------------------------------------------------------------------------- */

static struct tz_offset type_offset(const struct tz *z, size_t i)
{
    struct tz_offset o = {z->types[i].utoff, z->types[i].isdst, ""};
    snprintf(o.abbr, sizeof o.abbr, "%s", z->abbrs + z->types[i].abbr);
    return o;
}

/* Whether the footer rule decides at `t`: from the last transition on, or always when there is none. */
static bool rule_applies(const struct tz *z, int64_t t)
{
    return z->has_rule && (z->ntrans == 0 || t >= z->trans[z->ntrans - 1].at);
}

/* Index of the last transition at or before `t`, or -1. */
static long last_at_or_before(const struct tz *z, int64_t t)
{
    long lo = 0, hi = (long)z->ntrans - 1, found = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (z->trans[mid].at <= t) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

struct tz_offset tz_offset_at(const struct tz *z, time_t t)
{
    if (rule_applies(z, (int64_t)t))
        return tz_rule_offset_at(&z->rule, t);
    long i = last_at_or_before(z, (int64_t)t);
    return type_offset(z, i < 0 ? 0 : z->trans[i].type);
}

/* The first event (table entry or rule switch) strictly after `t`. */
static bool next_event(const struct tz *z, int64_t t, int64_t *ev)
{
    long i = last_at_or_before(z, t) + 1;
    int64_t best = (size_t)i < z->ntrans ? z->trans[i].at : INT64_MAX;
    int64_t from = z->ntrans && t < z->trans[z->ntrans - 1].at ? z->trans[z->ntrans - 1].at : t;
    time_t r;
    if (z->has_rule && tz_rule_next_event(&z->rule, (time_t)from, &r) && (int64_t)r < best)
        best = (int64_t)r;
    *ev = best;
    return best != INT64_MAX;
}

/* The last event at or before `t`. */
static bool prev_event(const struct tz *z, int64_t t, int64_t *ev)
{
    long i = last_at_or_before(z, t);
    int64_t best = i >= 0 ? z->trans[i].at : INT64_MIN;
    time_t r;
    if (rule_applies(z, t) && tz_rule_prev_event(&z->rule, (time_t)t, &r) && rule_applies(z, (int64_t)r) &&
        (int64_t)r > best)
        best = (int64_t)r;
    *ev = best;
    return best != INT64_MIN;
}

/* Fills `out` when the offset changes at event `ev`. */
static bool changes_at(const struct tz *z, int64_t ev, struct tz_transition *out)
{
    if (ev <= INT64_MIN + 1)
        return false;
    struct tz_offset before = tz_offset_at(z, (time_t)(ev - 1)), after = tz_offset_at(z, (time_t)ev);
    if (before.utoff == after.utoff)
        return false;
    *out = (struct tz_transition){(time_t)ev, before, after};
    return true;
}

bool tz_next_transition(const struct tz *z, time_t after, struct tz_transition *out)
{
    int64_t t = (int64_t)after, ev;
    for (int i = 0; i < TZ_SCAN_MAX && next_event(z, t, &ev); i++) {
        if (changes_at(z, ev, out))
            return true;
        t = ev;
    }
    return false;
}

bool tz_prev_transition(const struct tz *z, time_t at, struct tz_transition *out)
{
    int64_t t = (int64_t)at, ev;
    for (int i = 0; i < TZ_SCAN_MAX && prev_event(z, t, &ev); i++) {
        if (changes_at(z, ev, out))
            return true;
        if (ev <= INT64_MIN + 1)
            return false;
        t = ev - 1;
    }
    return false;
}

static void set_local(struct tz_local *out, enum tz_local_kind kind, time_t first, struct tz_offset fo, time_t second,
                      struct tz_offset so)
{
    *out = (struct tz_local){kind, first, second, fo, so};
}

/*
 * Every instant whose wall time is `wall` lies within TZ_UTOFF_MAX of it, so the segments (stretches of constant
 * offset) overlapping [wall - TZ_UTOFF_MAX - 1, wall + TZ_UTOFF_MAX + 1] hold all solutions and any gap.
 */
void tz_local_to_utc(const struct tz *z, int64_t wall, struct tz_local *out)
{
    wall = wall < -TZ_WALL_CLAMP ? -TZ_WALL_CLAMP : wall > TZ_WALL_CLAMP ? TZ_WALL_CLAMP : wall;
    int64_t s = wall - TZ_UTOFF_MAX - 1, hi = wall + TZ_UTOFF_MAX + 1;
    struct tz_offset o = tz_offset_at(z, (time_t)s);
    int nsol = 0;
    struct tz_transition tr, gap = {0};
    bool have_gap = false;
    for (;;) {
        bool more = tz_next_transition(z, (time_t)s, &tr) && tr.at <= hi;
        int64_t t = wall - o.utoff;
        if (t >= s && (!more || t < tr.at)) {
            if (nsol++ == 0)
                set_local(out, TZ_LOCAL_NORMAL, (time_t)t, o, (time_t)t, o);
            else
                set_local(out, TZ_LOCAL_AMBIGUOUS, out->first, out->first_offset, (time_t)t, o);
        }
        if (!more)
            break;
        if (wall >= tr.at + tr.before.utoff && wall < tr.at + tr.after.utoff) {
            gap = tr;
            have_gap = true;
        }
        s = tr.at;
        o = tr.after;
    }
    if (nsol == 0 && have_gap)
        set_local(out, TZ_LOCAL_GAP, gap.at, gap.before, gap.at, gap.after);
    else if (nsol == 0) /* unreachable with consistent data; answer something sane */
        set_local(out, TZ_LOCAL_NORMAL, (time_t)(wall - o.utoff), o, (time_t)(wall - o.utoff), o);
}
