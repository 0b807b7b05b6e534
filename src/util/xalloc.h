/*
 * xalloc — the one out-of-memory policy of the daemon: an allocation that fails aborts the process (STYLE: "either
 * abort on allocation failure everywhere, wrapped once, or check every path"). Every heap allocation goes through
 * these, so no caller writes `if (!p) abort();` itself. Memory is released with plain free().
 */
#ifndef COMICBATCH_XALLOC_H
#define COMICBATCH_XALLOC_H

#include <stdlib.h>
#include <string.h>

/** Returns `p`, or aborts when it is NULL: for allocators we do not wrap (jansson's json_dumps, zlib, …). */
static inline void *xcheck(void *p)
{
    if (!p)
        abort();
    return p;
}

/** malloc that never returns NULL (a zero size still returns a unique pointer). */
static inline void *xmalloc(size_t n)
{
    return xcheck(malloc(n ? n : 1));
}

/** calloc that never returns NULL. */
static inline void *xcalloc(size_t n, size_t size)
{
    return xcheck(calloc(n ? n : 1, size ? size : 1));
}

/** realloc that never returns NULL; on success the old block is gone, as with realloc. */
static inline void *xrealloc(void *p, size_t n)
{
    return xcheck(realloc(p, n ? n : 1));
}

/** strdup that never returns NULL; NULL in gives "" out (a fresh copy either way). */
static inline char *xstrdup(const char *s)
{
    return xcheck(strdup(s ? s : ""));
}

#endif
