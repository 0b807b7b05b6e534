/*
 * Unit tests for providers/lines.c: the same text fed whole, byte by byte and in odd chunks gives the same lines;
 * CRLF, a last line without '\n', blank lines; lines over the bound are reported too long without stopping the
 * stream; gzip (single member, concatenated members, corrupt, truncated) is detected from the bytes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "providers/lines.h"

struct collected {
    char text[64][128];
    bool too_long[64];
    int64_t lineno[64];
    int n;
    int stop_at; /* stop (return 7) at this line number, 0 = never */
};

static int collect(void *user, int64_t lineno, const char *text, size_t len, bool too_long)
{
    struct collected *c = user;
    cr_assert_lt(c->n, 64);
    c->lineno[c->n] = lineno;
    c->too_long[c->n] = too_long;
    if (text)
        snprintf(c->text[c->n], sizeof c->text[0], "%.*s", (int)len, text);
    c->n++;
    return c->stop_at && lineno == c->stop_at ? 7 : 0;
}

/* Feeds `data` in chunks of `step` bytes (0 = whole) into a reader with bound `max`. Returns the end's rc. */
static int run(const void *data, size_t len, size_t step, size_t max, struct collected *c)
{
    struct line_reader *lr = line_reader_create(max, collect, c);
    const unsigned char *p = data;
    int rc = 0;
    size_t s = step ? step : len;
    for (size_t off = 0; off < len && rc == 0; off += s)
        rc = line_reader_feed(lr, p + off, len - off < s ? len - off : s);
    if (rc == 0)
        rc = line_reader_end(lr);
    line_reader_destroy(lr);
    return rc;
}

static const char text[] = "first\r\nsecond\n\nthis line is much too long for the bound\nlast";

static void check_text(const struct collected *c)
{
    cr_assert_eq(c->n, 5);
    cr_expect_str_eq(c->text[0], "first");
    cr_expect_str_eq(c->text[1], "second");
    cr_expect_str_eq(c->text[2], "");
    cr_expect(c->too_long[3]);
    cr_expect_str_eq(c->text[4], "last");
    for (int i = 0; i < 5; i++)
        cr_expect_eq(c->lineno[i], i + 1);
    cr_expect(!c->too_long[0] && !c->too_long[1] && !c->too_long[4]);
}

Test(lines, chunking_does_not_matter)
{
    size_t steps[] = {0, 1, 2, 3, 5, 7, 13};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct collected c = {0};
        cr_assert_eq(run(text, strlen(text), steps[i], 20, &c), 0);
        check_text(&c);
    }
}

Test(lines, bound_is_exact)
{
    struct collected c = {0};
    const char *t = "12345\n123456\n12345\r\n123456\r\n123456";
    cr_assert_eq(run(t, strlen(t), 0, 5, &c), 0);
    cr_assert_eq(c.n, 5);
    bool want[] = {false, true, false, true, true};
    for (int i = 0; i < 5; i++)
        cr_expect_eq(c.too_long[i], want[i], "line %d", i + 1);
    struct collected d = {0};
    cr_assert_eq(run(t, strlen(t), 1, 5, &d), 0);
    for (int i = 0; i < 5; i++)
        cr_expect_eq(d.too_long[i], want[i], "byte by byte, line %d", i + 1);
}

Test(lines, callback_can_stop)
{
    struct collected c = {.stop_at = 2};
    cr_expect_eq(run(text, strlen(text), 4, 20, &c), 7);
    cr_expect_eq(c.n, 2);
}

Test(lines, empty_stream)
{
    struct collected c = {0};
    cr_expect_eq(run("", 0, 0, 10, &c), 0);
    cr_expect_eq(c.n, 0);
    struct collected d = {0};
    cr_expect_eq(run("x", 1, 0, 10, &d), 0);
    cr_expect_eq(d.n, 1);
    cr_expect_str_eq(d.text[0], "x");
}

static unsigned char *gzip_of(const char *s, size_t len, size_t *outlen)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)s;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outlen = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

Test(lines, gzip_is_detected_and_inflated)
{
    size_t n;
    unsigned char *gz = gzip_of(text, strlen(text), &n);
    size_t steps[] = {0, 1, 3, 64};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct collected c = {0};
        cr_assert_eq(run(gz, n, steps[i], 20, &c), 0);
        check_text(&c);
    }
    free(gz);
}

Test(lines, concatenated_gzip_members)
{
    size_t n1, n2;
    unsigned char *a = gzip_of("a1\na2\n", 6, &n1), *b = gzip_of("b1\nb2", 5, &n2);
    unsigned char *both = malloc(n1 + n2);
    memcpy(both, a, n1);
    memcpy(both + n1, b, n2);
    struct collected c = {0};
    cr_assert_eq(run(both, n1 + n2, 5, 20, &c), 0);
    cr_assert_eq(c.n, 4);
    cr_expect_str_eq(c.text[2], "b1");
    cr_expect_str_eq(c.text[3], "b2");
    free(a);
    free(b);
    free(both);
}

Test(lines, truncated_and_corrupt_gzip_fail)
{
    size_t n;
    unsigned char *gz = gzip_of(text, strlen(text), &n);
    struct collected c = {0};
    cr_expect_eq(run(gz, n - 6, 0, 20, &c), -1);
    gz[12] ^= 0xff;
    gz[13] ^= 0xff;
    struct line_reader *lr = line_reader_create(20, collect, &(struct collected){0});
    int rc = line_reader_feed(lr, gz, n);
    if (rc == 0)
        rc = line_reader_end(lr);
    cr_expect_eq(rc, -1);
    cr_expect(strstr(line_reader_error(lr), "gzip") != NULL);
    line_reader_destroy(lr);
    free(gz);
}
