/*
 * libFuzzer target for http/router.c. The first input byte picks a method, the rest (NUL-terminated, cut at the
 * first NUL) is the path. Whatever the input: no read or write outside the buffers (ASan), paths over the maximum
 * are BAD_PATH, a match names a real route, every param is shorter than its bound, contains no '/' and no NUL
 * inside, is found again by router_param under its name, and matching the same input twice gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

#define FUZZ_MAX_INPUT (ROUTER_MAX_PATH + 64)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct route table[] = {
    {"GET", "/healthz", NULL, NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/admin/batch/jobs", NULL, NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/admin/batch/jobs/:jobKey", NULL, NULL, ROUTE_PUBLIC, 0},
    {"POST", "/api/v1/admin/batch/jobs/:jobKey/run", NULL, NULL, ROUTE_PUBLIC, 0},
    {"POST", "/api/v1/admin/batch/jobs/:jobKey/cancel", NULL, NULL, ROUTE_PUBLIC, 0},
    {"PATCH", "/api/v1/admin/batch/schedule/:jobKey", NULL, NULL, ROUTE_PUBLIC, 0},
    {"POST", "/api/v1/admin/batch/library/hasnew/:comicId", NULL, NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/a/:b/:c/:d/:e", NULL, NULL, ROUTE_PUBLIC, 0},
    {"GET", "/api/v1/a/:b/:c/:d/:e/:f", NULL, NULL, ROUTE_PUBLIC,
     0}, /* more params than ROUTER_MAX_PARAMS: never matches */
    {"GET", "/:only", NULL, NULL, ROUTE_PUBLIC, 0},
};
#define NROUTES (sizeof table / sizeof table[0])

static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "HEAD", "get", ""};

static void check_match(const struct route_match *m, size_t idx)
{
    if (idx >= NROUTES || m->nparams < 0 || m->nparams > ROUTER_MAX_PARAMS)
        abort();
    for (int i = 0; i < m->nparams; i++) {
        size_t len = strnlen(m->values[i], ROUTER_MAX_PARAM_LEN);
        if (len == 0 || len >= ROUTER_MAX_PARAM_LEN || memchr(m->values[i], '/', len))
            abort();
        if (m->names[i][-1] != ':' || m->namelens[i] == 0)
            abort();
        char name[64];
        if (m->namelens[i] >= sizeof name)
            abort();
        memcpy(name, m->names[i], m->namelens[i]);
        name[m->namelens[i]] = '\0';
        const char *v = router_param(m, name);
        /* Names are unique within a pattern, so the lookup finds this very value. */
        if (v != m->values[i])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[FUZZ_MAX_INPUT + 1];
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';

    struct route_match m, m2;
    size_t idx = (size_t)-1, idx2 = (size_t)-1;
    enum router_result r = router_match(table, NROUTES, method, path, &idx, &m);
    enum router_result r2 = router_match(table, NROUTES, method, path, &idx2, &m2);
    if (r != r2)
        abort();
    if (strlen(path) > ROUTER_MAX_PATH && r != ROUTER_BAD_PATH)
        abort();
    if (path[0] != '/' && r != ROUTER_BAD_PATH)
        abort();
    switch (r) {
    case ROUTER_FOUND:
        if (idx != idx2 || strcmp(table[idx].method, method))
            abort();
        check_match(&m, idx);
        for (int i = 0; i < m.nparams; i++)
            if (strcmp(m.values[i], m2.values[i]))
                abort();
        break;
    case ROUTER_NOT_FOUND:
    case ROUTER_METHOD_NOT_ALLOWED:
    case ROUTER_BAD_PATH: break;
    default: abort();
    }
    return 0;
}
