/* runjson — see runjson.h. */
#include "store/runjson.h"

#include <string.h>

struct field {
    const char *key; /* with its quotes and colon: "\"jobkey\":" */
    enum runjson_kind kind;
};

#define RUNJSON_C_FIELD(key, expr, kind) {"\"" key "\":", kind},
static const struct field fields[] = {{"\"id\":", RJ_STR}, RUN_FIELDS_AFTER_ID(RUNJSON_C_FIELD)};

_Static_assert(sizeof fields / sizeof fields[0] == RUNJSON_NCOLS, "RUNJSON_NCOLS must count RUN_COLS_SQL's columns");

static void append_value(struct jsontext *out, const PGresult *r, int row, int col, enum runjson_kind kind)
{
    if (PQgetisnull(r, row, col)) {
        jsontext_raw(out, "null", 4);
        return;
    }
    const char *v = PQgetvalue(r, row, col);
    size_t n = (size_t)PQgetlength(r, row, col);
    if (kind == RJ_STR)
        jsontext_str(out, v, n);
    else if (kind == RJ_BOOL)
        jsontext_lit(out, v[0] == 't' ? "true" : "false");
    else
        jsontext_raw(out, v, n);
}

void runjson_append(struct jsontext *out, const PGresult *r, int row, int col0)
{
    for (int i = 0; i < RUNJSON_NCOLS; i++) {
        jsontext_raw(out, i ? "," : "{", 1);
        jsontext_lit(out, fields[i].key);
        append_value(out, r, row, col0 + i, fields[i].kind);
    }
    jsontext_raw(out, "}", 1);
}
