/* idtypes — see idtypes.h. */
#include "contract/idtypes.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "util/xalloc.h"

static const char *const kind_names[ID_KINDS] = {"comic", "chapter", "group", "user"};
static const char *const kind_tables[ID_KINDS] = {"core.comic", "core.chapter", "core.scanlationgroup",
                                                  "users.account"};

void idtypes_default(struct id_types *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name[ID_COMIC], sizeof t->name[0], "bigint");
    snprintf(t->name[ID_CHAPTER], sizeof t->name[0], "bigint");
    snprintf(t->name[ID_GROUP], sizeof t->name[0], "bigint");
    snprintf(t->name[ID_USER], sizeof t->name[0], "uuid");
}

const char *idtypes_kind_name(enum id_kind k)
{
    return k < ID_KINDS ? kind_names[k] : "?";
}

bool idtypes_allowed(const char *type)
{
    return type &&
           (!strcmp(type, "uuid") || !strcmp(type, "bigint") || !strcmp(type, "integer") || !strcmp(type, "smallint"));
}

bool idtypes_same_family(const char *a, const char *b)
{
    if (!idtypes_allowed(a) || !idtypes_allowed(b))
        return false;
    return !strcmp(a, "uuid") == !strcmp(b, "uuid");
}

int idtypes_detect(PGconn *db, struct id_types *t, char *err, size_t errlen)
{
    idtypes_default(t);
    const char *p[] = {"{core.comic,core.chapter,core.scanlationgroup,users.account}"};
    PGresult *r = pg_query(db, "idtypes.detect",
                           "SELECT n.nspname || '.' || c.relname, format_type(a.atttypid, NULL)"
                           " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped"
                           " WHERE n.nspname || '.' || c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p')",
                           1, p, NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read the id types from the catalog: %s", PQerrorMessage(db));
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++)
        for (int k = 0; k < ID_KINDS; k++)
            if (!strcmp(PQgetvalue(r, i, 0), kind_tables[k]) && idtypes_allowed(PQgetvalue(r, i, 1))) {
                snprintf(t->name[k], sizeof t->name[k], "%s", PQgetvalue(r, i, 1));
                t->found[k] = true;
            }
    PQclear(r);
    return 0;
}

char *idtypes_sql(const struct id_types *t, const char *tmpl)
{
    size_t cap = strlen(tmpl) + 1;
    for (const char *s = strchr(tmpl, '{'); s; s = strchr(s + 1, '{'))
        cap += 16; /* a type name is at most 15 characters longer than its placeholder */
    char *out = xmalloc(cap);
    size_t len = 0;
    for (const char *s = tmpl; *s;) {
        int k = ID_KINDS;
        if (*s == '{')
            for (k = 0; k < ID_KINDS; k++) {
                size_t n = strlen(kind_names[k]);
                if (!strncmp(s + 1, kind_names[k], n) && s[1 + n] == '}')
                    break;
            }
        if (k < ID_KINDS) {
            len += (size_t)snprintf(out + len, cap - len, "%s", t->name[k]);
            s += strlen(kind_names[k]) + 2;
        } else {
            out[len++] = *s++;
        }
    }
    out[len] = '\0';
    return out;
}

static int normalise_uuid(const char *in, char *out, size_t outlen)
{
    if (strlen(in) != 36 || outlen < 37)
        return -1;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? in[i] != '-' : !isxdigit((unsigned char)in[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[36] = '\0';
    return 0;
}

/* A positive integer no larger than the type allows (`max`): digits only (leading zeros dropped), checked for
 * overflow by strtoll (ERANGE past 9223372036854775807, bigint's max) and then against `max`. */
static int normalise_int(const char *in, long long max, char *out, size_t outlen)
{
    while (*in == '0' && in[1])
        in++;
    size_t n = strlen(in);
    if (n == 0 || outlen <= n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)in[i]))
            return -1;
    errno = 0;
    long long v = strtoll(in, NULL, 10);
    if (errno == ERANGE || v < 1 || v > max)
        return -1;
    memcpy(out, in, n + 1);
    return 0;
}

long long idtypes_int_max(const char *type)
{
    return !strcmp(type, "smallint") ? 32767 : !strcmp(type, "integer") ? 2147483647LL : LLONG_MAX;
}

int idtypes_normalise(const struct id_types *t, enum id_kind k, const char *in, char *out, size_t outlen)
{
    if (!in || k >= ID_KINDS)
        return -1;
    const char *ty = t->name[k];
    if (!strcmp(ty, "uuid"))
        return normalise_uuid(in, out, outlen);
    return normalise_int(in, idtypes_int_max(ty), out, outlen);
}
