/* objstore — see objstore.h. The front: key checks and backend dispatch; the backends live in objstore_fs.c and
 * objstore_s3.c, and objstore_open.c picks one from the configuration. */
#include "store/objstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/objstore_impl.h"
#include "util/xalloc.h"

struct objstore {
    const struct objstore_ops *ops;
    void *impl;
};

bool objstore_key_valid(const char *key)
{
    size_t len = key ? strlen(key) : 0;
    if (len == 0 || len > OBJSTORE_MAX_KEY || key[0] == '/')
        return false;
    for (const char *seg = key; seg;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        seg = slash ? slash + 1 : NULL;
    }
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    return true;
}

struct objstore *objstore__wrap(const struct objstore_ops *ops, void *impl)
{
    struct objstore *s = xcalloc(1, sizeof *s);
    s->ops = ops;
    s->impl = impl;
    return s;
}

void objstore_destroy(struct objstore *s)
{
    if (!s)
        return;
    s->ops->destroy(s->impl);
    free(s);
}

const char *objstore_backend(const struct objstore *s)
{
    return s->ops->name;
}

static int refuse(const char *key, char *err, size_t errlen)
{
    snprintf(err, errlen, "invalid storage key \"%.200s\" (must be relative, without empty, . or .. segments)",
             key ? key : "");
    return OBJSTORE_ERROR;
}

int objstore_delete(struct objstore *s, const char *key, char *err, size_t errlen)
{
    if (!objstore_key_valid(key))
        return refuse(key, err, errlen);
    return s->ops->del(s->impl, key, err, errlen);
}

int objstore_put(struct objstore *s, const char *key, const void *data, size_t len, char *err, size_t errlen)
{
    if (!objstore_key_valid(key))
        return refuse(key, err, errlen);
    return s->ops->put(s->impl, key, data, len, err, errlen);
}

int objstore_head(struct objstore *s, const char *key, int64_t *size, char *err, size_t errlen)
{
    if (!objstore_key_valid(key))
        return refuse(key, err, errlen);
    return s->ops->head(s->impl, key, size, err, errlen);
}
