/*
 * objstore_impl — what a backend provides to objstore.c (internal to src/store/). A backend fills `struct
 * objstore_ops`; objstore.c checks every key with objstore_key_valid before a backend sees it.
 */
#ifndef COMICBATCH_OBJSTORE_IMPL_H
#define COMICBATCH_OBJSTORE_IMPL_H

#include "store/objstore.h"

struct objstore_ops {
    const char *name;
    int (*del)(void *impl, const char *key, char *err, size_t errlen);
    int (*put)(void *impl, const char *key, const void *data, size_t len, char *err, size_t errlen);
    int (*head)(void *impl, const char *key, int64_t *size, char *err, size_t errlen);
    void (*destroy)(void *impl);
};

/** Wraps a backend's state; takes ownership of `impl` (freed through ops->destroy). */
struct objstore *objstore__wrap(const struct objstore_ops *ops, void *impl);

#endif
