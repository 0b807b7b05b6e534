/*
 * Unit tests for store/objstore.c and objstore_fs.c: which keys are safe, and the local-folder backend's
 * put/head/delete answers (ok, absent, error) on a real temporary folder, including the cases that must be errors
 * (a key naming a folder, a symlink planted inside the store pointing outside it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/objstore.h"

Test(objstore, key_validation)
{
    const char *good[] = {"a", "covers/1/2.webp", "a b/c+d=e&f.png", "x/.hidden", "..a/b..", "ünï/ç.bin"};
    const char *bad[] = {"",    "/etc/passwd", "../x", "a/../b", "a/..", "a//b", "a/",
                         "./a", "a/./b",       "a\\b", "a\nb",   "..",   "."};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(objstore_key_valid(good[i]), "should accept \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect(!objstore_key_valid(bad[i]), "should refuse \"%s\"", bad[i]);
    char longkey[OBJSTORE_MAX_KEY + 2];
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    cr_expect(!objstore_key_valid(longkey));
    longkey[OBJSTORE_MAX_KEY] = '\0';
    cr_expect(objstore_key_valid(longkey));
}

static char root[256];

static struct objstore *make_fs(void)
{
    snprintf(root, sizeof root, "/tmp/objstore-test-XXXXXX");
    cr_assert(mkdtemp(root));
    char dir[300], err[256];
    snprintf(dir, sizeof dir, "%s/media/", root); /* created on first put; trailing slash tolerated */
    struct objstore *s = objstore_create_fs(dir, err, sizeof err);
    cr_assert(s, "%s", err);
    cr_expect_str_eq(objstore_backend(s), "fs");
    return s;
}

static void cleanup(struct objstore *s)
{
    objstore_destroy(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_expect_eq(system(cmd), 0);
}

Test(objstore, fs_put_head_delete)
{
    struct objstore *s = make_fs();
    char err[256] = "";
    int64_t size = -1;
    cr_expect_eq(objstore_delete(s, "never/was.webp", err, sizeof err), OBJSTORE_ABSENT, "%s", err);
    cr_expect_eq(objstore_head(s, "a.png", &size, err, sizeof err), OBJSTORE_ABSENT);
    cr_assert_eq(objstore_put(s, "covers/7/a b.webp", "12345", 5, err, sizeof err), OBJSTORE_OK, "%s", err);
    char path[400];
    snprintf(path, sizeof path, "%s/media/covers/7/a b.webp", root);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "the object is a plain file under the folder");
    cr_expect_eq(sb.st_size, 5);
    cr_expect_eq(objstore_head(s, "covers/7/a b.webp", &size, err, sizeof err), OBJSTORE_OK);
    cr_expect_eq(size, 5);
    cr_expect_eq(objstore_delete(s, "covers/7/a b.webp", err, sizeof err), OBJSTORE_OK, "%s", err);
    cr_expect_neq(stat(path, &sb), 0, "gone after delete");
    cr_expect_eq(objstore_delete(s, "covers/7/a b.webp", err, sizeof err), OBJSTORE_ABSENT);
    cr_expect_eq(objstore_delete(s, "covers/7/a b.webp/deeper", err, sizeof err), OBJSTORE_ABSENT);
    cleanup(s);
}

Test(objstore, fs_errors_are_errors)
{
    struct objstore *s = make_fs();
    char err[256] = "", path[400];
    cr_assert_eq(objstore_put(s, "dir/inner/file", "x", 1, err, sizeof err), OBJSTORE_OK, "%s", err);
    err[0] = '\0';
    cr_expect_eq(objstore_delete(s, "dir/inner", err, sizeof err), OBJSTORE_ERROR, "a folder is not an object");
    cr_expect(strstr(err, "dir/inner") != NULL, "the error names the key: %s", err);
    err[0] = '\0';
    cr_expect_eq(objstore_delete(s, "../outside", err, sizeof err), OBJSTORE_ERROR);
    cr_expect(strstr(err, "invalid storage key") != NULL, "%s", err);
    /* A symlink inside the store pointing outside it is never followed. */
    snprintf(path, sizeof path, "%s/victim", root);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fclose(f);
    char link[400];
    snprintf(link, sizeof link, "%s/media/escape", root);
    cr_assert_eq(symlink(root, link), 0);
    cr_expect_eq(objstore_delete(s, "escape/victim", err, sizeof err), OBJSTORE_ERROR);
    struct stat sb;
    cr_expect_eq(stat(path, &sb), 0, "the file outside the store is still there");
    cleanup(s);
}
