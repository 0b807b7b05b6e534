/*
 * errbuf — see errbuf.h.
 */
#include "util/errbuf.h"

#include <stdarg.h>
#include <stdio.h>

struct errbuf errbuf_init(char *buf, size_t len)
{
    if (len > 0)
        buf[0] = '\0';
    return (struct errbuf){buf, len, false};
}

int errbuf_fail(struct errbuf *e, const char *fmt, ...)
{
    if (e->len == 0 || e->written)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->buf, e->len, fmt, ap);
    va_end(ap);
    e->written = true;
    return -1;
}
