/*
 * static — see static.h. Pages are plain HTML/CSS/ES modules embedded at build time. Page URLs are extensionless
 * (/admin/jobs → jobs.html); /admin and /admin/ go to the maintenance page.
 */
#include "http/static.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "util/embed.h"

#define CSP                                                                                               \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

bool static_owns(const char *path)
{
    return !strcmp(path, "/admin") || !strncmp(path, "/admin/", 7);
}

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (!strcmp(dot, ".html"))
        return "text/html; charset=utf-8";
    if (!strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    if (!strcmp(dot, ".js") || !strcmp(dot, ".mjs"))
        return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".svg"))
        return "image/svg+xml";
    if (!strcmp(dot, ".png"))
        return "image/png";
    if (!strcmp(dot, ".ico"))
        return "image/x-icon";
    return "application/octet-stream";
}

static const struct embedded_file *find(const char *name)
{
    for (const struct embedded_file *f = web_files; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

void static_serve(struct http_req *r)
{
    const char *rel = r->path + strlen("/admin");
    while (*rel == '/')
        rel++;
    char name[256];
    if (!*rel)
        snprintf(name, sizeof name, "maintenance.html");
    else if (!strchr(rel, '.'))
        snprintf(name, sizeof name, "%s.html", rel);
    else
        snprintf(name, sizeof name, "%s", rel);
    const struct embedded_file *f = find(name);
    if (!f && !*rel)
        f = find("index.html");
    if (!f || strstr(name, "..")) {
        reply_error(r, 404, ERR_NOT_FOUND, NULL, "No such page");
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", content_type(f->name));
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    reply_response(r, 200, resp);
}
