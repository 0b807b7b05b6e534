/*
 * objstore_fs — the local-folder backend: key "a/b/c.webp" is the file <dir>/a/b/c.webp. Every path is walked one
 * directory at a time with O_NOFOLLOW from the root, so neither a key nor a symlink planted inside the folder can
 * reach outside it. Writes go to a temporary file renamed into place (never a half object).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/objstore_impl.h"
#include "util/xalloc.h"

struct fs_store {
    char *dir;
};

static int fail(int e, const char *what, const char *key, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s %.300s: %s", what, key, strerror(e));
    return OBJSTORE_ERROR;
}

/* mkdir -p for the root itself. */
static int make_dirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

/*
 * Opens the directory holding `key`'s last segment (returned in *leaf, pointing into `key`). With `create`, missing
 * directories are made. Returns the fd or -1 with errno.
 */
static int open_parent(struct fs_store *st, const char *key, bool create, const char **leaf)
{
    if (create && make_dirs(st->dir))
        return -1;
    int fd = open(st->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    const char *seg = key;
    for (const char *slash; fd >= 0 && (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
        char name[OBJSTORE_MAX_KEY + 1];
        size_t n = (size_t)(slash - seg);
        memcpy(name, seg, n);
        name[n] = '\0';
        if (create && mkdirat(fd, name, 0755) && errno != EEXIST) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        int next = openat(fd, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        struct stat sb;
        if (next < 0 && e == ENOTDIR && !fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) && S_ISLNK(sb.st_mode))
            e = ELOOP; /* a symlink on the way: refuse, never "absent" */
        close(fd);
        errno = e;
        fd = next;
    }
    *leaf = seg;
    return fd;
}

/* A missing folder on the way means a missing object. */
static bool means_absent(int e)
{
    return e == ENOENT || e == ENOTDIR;
}

static int fs_del(void *impl, const char *key, char *err, size_t errlen)
{
    const char *leaf;
    int dfd = open_parent(impl, key, false, &leaf);
    if (dfd < 0)
        return means_absent(errno) ? OBJSTORE_ABSENT : fail(errno, "cannot open the folder of", key, err, errlen);
    int rc = unlinkat(dfd, leaf, 0), e = errno;
    close(dfd);
    if (rc == 0)
        return OBJSTORE_OK;
    return means_absent(e) ? OBJSTORE_ABSENT : fail(e, "cannot delete", key, err, errlen);
}

static int fs_head(void *impl, const char *key, int64_t *size, char *err, size_t errlen)
{
    const char *leaf;
    int dfd = open_parent(impl, key, false, &leaf);
    if (dfd < 0)
        return means_absent(errno) ? OBJSTORE_ABSENT : fail(errno, "cannot open the folder of", key, err, errlen);
    struct stat sb;
    int rc = fstatat(dfd, leaf, &sb, AT_SYMLINK_NOFOLLOW), e = errno;
    close(dfd);
    if (rc)
        return means_absent(e) ? OBJSTORE_ABSENT : fail(e, "cannot stat", key, err, errlen);
    if (size)
        *size = (int64_t)sb.st_size;
    return OBJSTORE_OK;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int fs_put(void *impl, const char *key, const void *data, size_t len, char *err, size_t errlen)
{
    const char *leaf;
    int dfd = open_parent(impl, key, true, &leaf);
    if (dfd < 0)
        return fail(errno, "cannot create the folder of", key, err, errlen);
    char tmp[OBJSTORE_MAX_KEY + 32];
    snprintf(tmp, sizeof tmp, ".%s.tmp%d", leaf, (int)getpid());
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    int rc = fd < 0 || write_all(fd, data, len) || fsync(fd) ? -1 : 0, e = errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && renameat(dfd, tmp, dfd, leaf))
        rc = -1, e = errno;
    if (rc)
        unlinkat(dfd, tmp, 0);
    close(dfd);
    return rc ? fail(e, "cannot write", key, err, errlen) : OBJSTORE_OK;
}

static void fs_destroy(void *impl)
{
    struct fs_store *st = impl;
    free(st->dir);
    free(st);
}

static const struct objstore_ops fs_ops = {
    .name = "fs", .del = fs_del, .put = fs_put, .head = fs_head, .destroy = fs_destroy};

struct objstore *objstore_create_fs(const char *dir, char *err, size_t errlen)
{
    if (!dir || !*dir || strlen(dir) > 3000) {
        snprintf(err, errlen, "storage.dir: missing or too long");
        return NULL;
    }
    struct fs_store *st = xcalloc(1, sizeof *st);
    st->dir = xstrdup(dir);
    size_t n = strlen(st->dir);
    while (n > 1 && st->dir[n - 1] == '/')
        st->dir[--n] = '\0';
    return objstore__wrap(&fs_ops, st);
}
