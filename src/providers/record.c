/* record — see record.h. Each field has one small normaliser; the first failure names the field. */
#include "providers/record.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sha256.h"
#include "util/xalloc.h"

#define MAX_TITLE 1000
#define MAX_ALT_TITLES 100
#define MAX_STATUS 32
#define MAX_URL 2048
#define MAX_DESCRIPTION 65536
#define MAX_TAGS 200
#define MAX_TAG 100
#define MAX_COUNT 1000000

static int fail(char *reason, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *reason, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* The string `s` without leading/trailing ASCII white space: a new json string, or NULL when empty. */
static json_t *trimmed(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return len ? json_stringn(s, len) : NULL;
}

/* Optional string field: null/absent → JSON null; else trimmed (empty → null), bounded. */
static int opt_string(const json_t *in, const char *name, size_t max, json_t **out, char *reason, size_t rlen)
{
    const json_t *v = json_object_get(in, name);
    *out = json_null();
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(reason, rlen, "%s: expected a string or null", name);
    json_t *t = trimmed(json_string_value(v), json_string_length(v));
    if (t && json_string_length(t) > max) {
        json_decref(t);
        return fail(reason, rlen, "%s: longer than %zu bytes", name, max);
    }
    if (t)
        *out = t;
    return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static bool array_has(const json_t *a, const json_t *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (json_equal(v, s))
            return true;
    }
    return false;
}

/* Sorts the strings of `a` in place (byte order). */
static void sort_strings(json_t *a)
{
    size_t n = json_array_size(a);
    if (n < 2)
        return;
    json_t **items = xmalloc(n * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(a, i));
    qsort(items, n, sizeof *items, cmp_json_str);
    json_array_clear(a);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, items[i]);
    free(items);
}

/* Array of strings: null/absent → []; trimmed, empties and duplicates dropped, bounded; sorted when asked. */
static int string_array(const json_t *in, const char *name, size_t maxn, size_t maxlen, bool sort, json_t **out,
                        char *reason, size_t rlen)
{
    const json_t *v = json_object_get(in, name);
    *out = json_array();
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return fail(reason, rlen, "%s: expected an array of strings", name);
    if (json_array_size(v) > maxn)
        return fail(reason, rlen, "%s: more than %zu entries", name, maxn);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return fail(reason, rlen, "%s[%zu]: expected a string", name, i);
        json_t *t = trimmed(json_string_value(e), json_string_length(e));
        if (t && json_string_length(t) > maxlen) {
            json_decref(t);
            return fail(reason, rlen, "%s[%zu]: longer than %zu bytes", name, i, maxlen);
        }
        if (t && !array_has(*out, t))
            json_array_append(*out, t);
        json_decref(t);
    }
    if (sort)
        sort_strings(*out);
    return 0;
}

/* Integer field within [lo, hi], or null; `digits_ok` also accepts a string of digits. */
static int opt_int(const json_t *in, const char *name, json_int_t lo, json_int_t hi, bool digits_ok, json_t **out,
                   char *reason, size_t rlen)
{
    const json_t *v = json_object_get(in, name);
    *out = json_null();
    if (!v || json_is_null(v))
        return 0;
    json_int_t n = lo - 1;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (digits_ok && json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len && len <= 9 && strspn(s, "0123456789") == len)
            n = strtoll(s, NULL, 10);
    }
    if (n < lo || n > hi)
        return fail(reason, rlen, "%s: expected an integer from %lld to %lld or null", name, (long long)lo,
                    (long long)hi);
    *out = json_integer(n);
    return 0;
}

/* True for "12", "10.5", "0.25": digits, optionally one dot followed by digits. */
static bool decimal_text(const char *s, size_t len)
{
    size_t d = strspn(s, "0123456789");
    if (d == 0 || d > 12)
        return false;
    if (d == len)
        return true;
    if (s[d] != '.')
        return false;
    size_t f = strspn(s + d + 1, "0123456789");
    return f > 0 && f <= 6 && d + 1 + f == len;
}

/* totalChapters: a non-negative number or decimal text, kept as text. */
static int chapters(const json_t *in, json_t **out, char *reason, size_t rlen)
{
    const json_t *v = json_object_get(in, "totalChapters");
    *out = json_null();
    if (!v || json_is_null(v))
        return 0;
    char buf[64];
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= MAX_COUNT) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v) && isfinite(json_real_value(v)) && json_real_value(v) >= 0 &&
               json_real_value(v) <= MAX_COUNT) {
        snprintf(buf, sizeof buf, "%.6f", json_real_value(v));
        char *end = buf + strlen(buf) - 1;
        while (*end == '0')
            *end-- = '\0';
        if (*end == '.')
            *end = '\0';
    } else if (json_is_string(v)) {
        json_t *t = trimmed(json_string_value(v), json_string_length(v));
        if (t && decimal_text(json_string_value(t), json_string_length(t))) {
            *out = t;
            return 0;
        }
        json_decref(t);
        return fail(reason, rlen, "totalChapters: expected a number like 12 or \"10.5\", or null");
    } else {
        return fail(reason, rlen, "totalChapters: expected a number like 12 or \"10.5\", or null");
    }
    *out = json_string(buf);
    return 0;
}

static int cover_url(const json_t *in, json_t **out, char *reason, size_t rlen)
{
    if (opt_string(in, "coverUrl", MAX_URL, out, reason, rlen))
        return -1;
    const char *s = json_string_value(*out);
    if (s && strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
        return fail(reason, rlen, "coverUrl: expected an http(s) URL");
    if (s && strpbrk(s, " \t\r\n"))
        return fail(reason, rlen, "coverUrl: contains white space");
    return 0;
}

/* The id: a string or an integer, trimmed, 1..RECORD_MAX_ID bytes. */
static int record_id(const json_t *in, struct record *out, char *reason, size_t rlen)
{
    const json_t *v = json_object_get(in, "id");
    if (!v || json_is_null(v))
        return fail(reason, rlen, "missing id");
    if (json_is_integer(v)) {
        snprintf(out->id, sizeof out->id, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v))
        return fail(reason, rlen, "id: expected a string or an integer");
    json_t *t = trimmed(json_string_value(v), json_string_length(v));
    size_t n = t ? json_string_length(t) : 0;
    if (n == 0 || n > RECORD_MAX_ID) {
        json_decref(t);
        return n ? fail(reason, rlen, "id: longer than %d bytes", RECORD_MAX_ID) : fail(reason, rlen, "missing id");
    }
    memcpy(out->id, json_string_value(t), n + 1);
    json_decref(t);
    return 0;
}

static const struct {
    const char *word, *status;
} status_words[] = {
    {"ongoing", "ongoing"},     {"publishing", "ongoing"}, {"releasing", "ongoing"},      {"completed", "completed"},
    {"complete", "completed"},  {"finished", "completed"}, {"hiatus", "hiatus"},          {"on hiatus", "hiatus"},
    {"cancelled", "cancelled"}, {"canceled", "cancelled"}, {"discontinued", "cancelled"},
};

/* status: null, or one of the four core.comic statuses (synonyms mapped, case-insensitive). */
static int status_field(const json_t *in, json_t **out, char *reason, size_t rlen)
{
    if (opt_string(in, "status", MAX_STATUS, out, reason, rlen))
        return -1;
    const char *s = json_string_value(*out);
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof status_words / sizeof status_words[0]; i++) {
        if (!strcasecmp(s, status_words[i].word)) {
            json_decref(*out);
            *out = json_string(status_words[i].status);
            return 0;
        }
    }
    return fail(reason, rlen, "status: expected ongoing, completed, hiatus or cancelled");
}

/* Sets key `k` of `o` to `v` (stolen; a partly built value is freed with `o`) and passes `rc` on. */
static int put(json_t *o, const char *k, json_t *v, int rc)
{
    json_object_set_new(o, k, v ? v : json_null());
    return rc;
}

static int build(const json_t *in, struct record *out, json_t *o, char *reason, size_t rlen)
{
    json_t *v = NULL;
    if (record_id(in, out, reason, rlen))
        return -1;
    json_object_set_new(o, "id", json_string(out->id));
    if (opt_string(in, "title", MAX_TITLE, &v, reason, rlen))
        return -1;
    if (json_is_null(v))
        return fail(reason, rlen, "missing title");
    json_object_set_new(o, "title", v);
    int rc = string_array(in, "altTitles", MAX_ALT_TITLES, MAX_TITLE, false, &v, reason, rlen);
    if (put(o, "altTitles", v, rc))
        return -1;
    rc = status_field(in, &v, reason, rlen);
    if (put(o, "status", v, rc))
        return -1;
    rc = opt_int(in, "year", 1000, 9999, false, &v, reason, rlen);
    if (put(o, "year", v, rc))
        return -1;
    rc = opt_int(in, "totalVolumes", 0, MAX_COUNT, true, &v, reason, rlen);
    if (put(o, "totalVolumes", v, rc))
        return -1;
    rc = chapters(in, &v, reason, rlen);
    if (put(o, "totalChapters", v, rc))
        return -1;
    rc = cover_url(in, &v, reason, rlen);
    if (put(o, "coverUrl", v, rc))
        return -1;
    rc = opt_string(in, "description", MAX_DESCRIPTION, &v, reason, rlen);
    if (put(o, "description", v, rc))
        return -1;
    rc = string_array(in, "tags", MAX_TAGS, MAX_TAG, true, &v, reason, rlen);
    return put(o, "tags", v, rc);
}

int record_from_json(const json_t *in, struct record *out, char *reason, size_t reasonlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(in))
        return fail(reason, reasonlen, "not a JSON object");
    json_t *o = json_object();
    if (build(in, out, o, reason, reasonlen)) {
        json_decref(o);
        return -1;
    }
    out->json = o;
    out->text = xcheck(json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS));
    sha256_hex(out->text, strlen(out->text), out->hash);
    return 0;
}

int record_parse(const char *line, size_t len, struct record *out, char *reason, size_t reasonlen)
{
    json_error_t je;
    memset(out, 0, sizeof *out);
    json_t *in = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!in)
        return fail(reason, reasonlen, "invalid JSON: %s (column %d)", je.text, je.column);
    int rc = record_from_json(in, out, reason, reasonlen);
    json_decref(in);
    return rc;
}

void record_finish(struct record *r)
{
    json_decref(r->json);
    free(r->text);
    r->json = NULL;
    r->text = NULL;
}
