/*
 * libFuzzer target for covers/url_policy.c. The input is split at the first NUL-free newline into an allowlist
 * setting and a URL. A URL that normalises must normalise again to itself (idempotent), must be https with no
 * userinfo, no whitespace and no fragment, and must stay within URLPOL_MAX_URL; the allowlist check must give
 * one of its three answers. The input's bytes are also read as a socket address, which must classify without
 * reading past it, and as v4/v6 addresses whose connect rule must agree with their class.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "covers/url_policy.h"

#define FUZZ_MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_url(const char *url, const char *list)
{
    struct url_parts u, again;
    enum urlpol_err e = urlpol_normalize(url, &u);
    if (urlpol_strerror(e) == NULL || urlpol_reason(e) == NULL)
        abort();
    if (e != URLPOL_OK)
        return;
    size_t n = strlen(u.normalized);
    if (n > URLPOL_MAX_URL || strncmp(u.normalized, "https://", 8) || strpbrk(u.normalized, " #\\\r\n\t"))
        abort();
    const char *auth = u.normalized + 8;
    if (memchr(auth, '@', strcspn(auth, "/?")))
        abort();
    if (u.port < 1 || u.port > 65535 || !u.host[0])
        abort();
    if (urlpol_normalize(u.normalized, &again) != URLPOL_OK || strcmp(again.normalized, u.normalized) ||
        strcmp(again.host, u.host) || again.port != u.port)
        abort();
    struct urlpol_allowlist al;
    char err[256];
    if (urlpol_allowlist_parse(list, &al, err, sizeof err) == 0) {
        enum urlpol_err a = urlpol_check_allowed(&al, &u);
        if (a != URLPOL_OK && a != URLPOL_NOT_ALLOWED && a != URLPOL_PORT_NOT_ALLOWED)
            abort();
    } else if (!memchr(err, '\0', sizeof err)) {
        abort();
    }
}

static void check_addrs(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan catches any read past it */
    if (!copy)
        return;
    memcpy(copy, data, size);
    urlpol_classify((const struct sockaddr *)copy, size);
    free(copy);
    if (size >= 16) {
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
        memcpy(s6.sin6_addr.s6_addr, data, 16);
        enum addr_class c = urlpol_classify_v6(data);
        if (urlpol_addr_allowed((struct sockaddr *)&s6, sizeof s6, false) != (c == ADDR_PUBLIC))
            abort();
        if (urlpol_addr_allowed((struct sockaddr *)&s6, sizeof s6, true) && c != ADDR_PUBLIC && c != ADDR_LOOPBACK)
            abort();
    }
    if (size >= 4) {
        uint32_t v = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
        struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(v)};
        enum addr_class c = urlpol_classify_v4(v);
        if (urlpol_addr_allowed((struct sockaddr *)&s4, sizeof s4, false) != (c == ADDR_PUBLIC))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[FUZZ_MAX_INPUT + 1];
    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    const char *list = "";
    const char *url = text;
    if (nl) {
        *nl = '\0';
        list = text;
        url = nl + 1;
    }
    check_url(url, list);
    check_addrs(data, size);
    return 0;
}
