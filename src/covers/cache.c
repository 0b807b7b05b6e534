/*
 * cache — see cache.h. Paths are built into fixed buffers (the cache dir is bounded to PATH_MAX-ish by config
 * checks here); every directory walk uses *at() calls relative to an open folder so names are never re-joined.
 */
#include "covers/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sha256.h"
#include "util/xalloc.h"

#define CACHE_MAGIC "CBCOVER1"
#define STALE_TEMP_SECONDS 3600
#define MAX_DIR 3800

static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char save = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            return -1;
        buf[i] = save;
    }
    return 0;
}

static void sweep_stale_temps(const char *tmpdir)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
            continue;
        if (now - st.st_mtime > STALE_TEMP_SECONDS && unlinkat(dirfd(d), e->d_name, 0) == 0)
            log_info("msg=\"cover cache: removed a stale temp file\" file=%s", e->d_name);
    }
    closedir(d);
}

int cover_cache_init(struct cover_cache *c, const char *dir, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 || n > MAX_DIR) {
        snprintf(err, errlen, "storage.cover_cache_dir: empty or longer than %d bytes", MAX_DIR);
        return -1;
    }
    c->dir = xcheck(strndup(dir, n));
    c->tmpdir = xmalloc(n + 5);
    snprintf(c->tmpdir, n + 5, "%s/tmp", c->dir);
    if (mkdir_p(c->tmpdir)) {
        snprintf(err, errlen, "storage.cover_cache_dir: cannot create %s: %s", c->tmpdir, strerror(errno));
        cover_cache_finish(c);
        return -1;
    }
    sweep_stale_temps(c->tmpdir);
    return 0;
}

void cover_cache_finish(struct cover_cache *c)
{
    free(c->dir);
    free(c->tmpdir);
    c->dir = c->tmpdir = NULL;
}

void cover_cache_key(const char *url, char key[COVER_KEY_LEN + 1])
{
    sha256_hex(url, strlen(url), key);
}

/* `<dir>/ab/cd/<key>` into buf (len ≥ MAX_DIR + 72). Built by hand: it runs on every cache hit. */
static void key_path(const struct cover_cache *c, const char *key, char *buf, size_t len)
{
    size_t n = strlen(c->dir);
    if (n + COVER_KEY_LEN + 8 > len) {
        buf[0] = '\0';
        return;
    }
    memcpy(buf, c->dir, n);
    char *p = buf + n;
    *p++ = '/', *p++ = key[0], *p++ = key[1], *p++ = '/', *p++ = key[2], *p++ = key[3], *p++ = '/';
    memcpy(p, key, COVER_KEY_LEN + 1);
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

/* Parses "CBCOVER1 <type> <sha256>" from a header (by hand: this runs on every cache hit, sscanf cost 1-2%). */
static int parse_header(const char *h, struct cover_file *f)
{
    if (memcmp(h, CACHE_MAGIC " ", 9))
        return -1;
    const char *w = h + 9;
    size_t wn = strcspn(w, " \n");
    char word[8];
    if (wn == 0 || wn >= sizeof word || w[wn] != ' ')
        return -1;
    memcpy(word, w, wn);
    word[wn] = '\0';
    const char *etag = w + wn + 1;
    f->type = image_from_word(word);
    if (!image_mime(f->type) || strspn(etag, "0123456789abcdef") != COVER_KEY_LEN ||
        (etag[COVER_KEY_LEN] != ' ' && etag[COVER_KEY_LEN] != '\n'))
        return -1;
    memcpy(f->etag, etag, COVER_KEY_LEN);
    f->etag[COVER_KEY_LEN] = '\0';
    return 0;
}

int cover_cache_open(const struct cover_cache *c, const char *key, struct cover_file *f)
{
    char path[4096], hdr[COVER_HDR_BYTES + 1];
    key_path(c, key, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    ssize_t n = pread(fd, hdr, COVER_HDR_BYTES, 0);
    if (n != COVER_HDR_BYTES || fstat(fd, &st) || st.st_size <= COVER_HDR_BYTES) {
        close(fd);
        return -1;
    }
    hdr[COVER_HDR_BYTES] = '\0';
    if (parse_header(hdr, f)) {
        log_warn("msg=\"cover cache: ignoring a file with a bad header\" path=%s", path);
        close(fd);
        return -1;
    }
    f->fd = fd;
    f->size = (int64_t)st.st_size - COVER_HDR_BYTES;
    return 0;
}

int cover_cache_create_temp(const struct cover_cache *c, const char *key, char *tmppath, size_t len)
{
    snprintf(tmppath, len, "%s/%s.XXXXXX", c->tmpdir, key);
    int fd = mkostemp(tmppath, O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && mkdir_p(c->tmpdir) == 0) { /* someone removed the folder */
        snprintf(tmppath, len, "%s/%s.XXXXXX", c->tmpdir, key);
        fd = mkostemp(tmppath, O_CLOEXEC);
    }
    if (fd < 0) {
        log_error("msg=\"cover cache: cannot create a temp file\" dir=%s err=\"%s\"", c->tmpdir, strerror(errno));
        return -1;
    }
    if (lseek(fd, COVER_HDR_BYTES, SEEK_SET) != COVER_HDR_BYTES) {
        cover_cache_discard(fd, tmppath);
        return -1;
    }
    return fd;
}

int cover_cache_commit(const struct cover_cache *c, const char *key, int fd, const char *tmppath, enum image_type type,
                       const char *sha256)
{
    char hdr[COVER_HDR_BYTES], path[4096], shard[4096];
    memset(hdr, ' ', sizeof hdr);
    int n = snprintf(hdr, sizeof hdr, CACHE_MAGIC " %s %s\n", image_word(type), sha256);
    hdr[n] = ' '; /* overwrite snprintf's NUL: the header is space-padded text */
    hdr[COVER_HDR_BYTES - 1] = '\n';
    key_path(c, key, path, sizeof path);
    snprintf(shard, sizeof shard, "%s/%.2s/%.2s", c->dir, key, key + 2);
    const char *what = "write header";
    if (pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
        goto fail;
    what = "fsync";
    if (fsync(fd))
        goto fail;
    what = "create shard folder";
    if (mkdir_p(shard))
        goto fail;
    what = "rename";
    if (rename(tmppath, path))
        goto fail;
    return 0;
fail:
    log_error("msg=\"cover cache: cannot commit\" step=\"%s\" path=%s err=\"%s\"", what, path, strerror(errno));
    unlink(tmppath);
    return -1;
}

void cover_cache_discard(int fd, const char *tmppath)
{
    if (fd >= 0)
        close(fd);
    unlink(tmppath);
}

/* Unlinks the keyed files in one shard folder (opened as `dfd`, consumed). */
static void invalidate_shard(int dfd, int64_t *files, int64_t *bytes)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (!is_hex(e->d_name, COVER_KEY_LEN) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
            !S_ISREG(st.st_mode))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
            (*files)++;
            *bytes += st.st_size;
        }
    }
    closedir(d);
}

/* Walks the two-hex-character folders under `dfd` (consumed); `depth` 1 = top, 2 = shard. */
static void invalidate_level(int dfd, int depth, int64_t *files, int64_t *bytes)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_hex(e->d_name, 2))
            continue;
        int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            continue;
        if (depth == 1)
            invalidate_level(sub, 2, files, bytes);
        else
            invalidate_shard(sub, files, bytes);
    }
    closedir(d);
}

int cover_cache_invalidate(const struct cover_cache *c, int64_t *files, int64_t *bytes)
{
    *files = 0;
    *bytes = 0;
    int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        log_error("msg=\"cover cache: cannot open\" dir=%s err=\"%s\"", c->dir, strerror(errno));
        return -1;
    }
    invalidate_level(fd, 1, files, bytes);
    return 0;
}
