/*
 * Unit tests for covers/url_policy.c: tables of URLs with their normalised form, tables of refused URLs with the
 * reason each must give, allowlist parsing and matching (exact, wildcard, ports), and the address classifier on
 * every blocked range's edges, with the IPv6 forms that embed an IPv4 address.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "covers/url_policy.h"

struct norm_case {
    const char *in, *out;
};

static const struct norm_case norm_cases[] = {
    {"https://example.com", "https://example.com/"},
    {"HTTPS://Example.COM/a.jpg", "https://example.com/a.jpg"},
    {"https://example.com./a.jpg", "https://example.com/a.jpg"},
    {"https://example.com:443/a.jpg", "https://example.com/a.jpg"},
    {"https://example.com:8443/a.jpg", "https://example.com:8443/a.jpg"},
    {"https://example.com/a/b/../c/./d.png", "https://example.com/a/c/d.png"},
    {"https://example.com/../../x", "https://example.com/x"},
    {"https://example.com/a/..", "https://example.com/"},
    {"https://example.com/a/.", "https://example.com/a/"},
    {"https://example.com/a//b", "https://example.com/a//b"},
    {"https://example.com/a%2fb%c3%a9", "https://example.com/a%2Fb%C3%A9"},
    {"https://example.com/x.jpg?w=100&h=2#frag", "https://example.com/x.jpg?w=100&h=2"},
    {"https://example.com/x.jpg?", "https://example.com/x.jpg"},
    {"https://example.com?q=1", "https://example.com/?q=1"},
    {"https://example.com#top", "https://example.com/"},
    {"https://example.com/a\"b<c>{d}|^`", "https://example.com/a%22b%3Cc%3E%7Bd%7D%7C%5E%60"},
    {"https://cdn_1.example.com/x", "https://cdn_1.example.com/x"},
    {"https://93.184.216.34/x", "https://93.184.216.34/x"},
    {"https://[2001:DB8::0:1]/x", "https://[2001:db8::1]/x"},
    {"https://[::FFFF:127.0.0.1]:8443/x", "https://[::ffff:127.0.0.1]:8443/x"},
};

Test(url_policy, normalises)
{
    for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
        struct url_parts u;
        enum urlpol_err e = urlpol_normalize(norm_cases[i].in, &u);
        cr_expect_eq(e, URLPOL_OK, "%s: refused (%s)", norm_cases[i].in, urlpol_strerror(e));
        if (e == URLPOL_OK)
            cr_expect_str_eq(u.normalized, norm_cases[i].out, "%s", norm_cases[i].in);
    }
}

Test(url_policy, normalising_is_idempotent)
{
    for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
        struct url_parts a, b;
        cr_assert_eq(urlpol_normalize(norm_cases[i].in, &a), URLPOL_OK);
        cr_assert_eq(urlpol_normalize(a.normalized, &b), URLPOL_OK, "%s", a.normalized);
        cr_expect_str_eq(b.normalized, a.normalized);
    }
}

Test(url_policy, host_and_port_parts)
{
    struct url_parts u;
    cr_assert_eq(urlpol_normalize("https://Img.Example.com:8443/x", &u), URLPOL_OK);
    cr_expect_str_eq(u.host, "img.example.com");
    cr_expect_eq(u.port, 8443);
    cr_expect_not(u.ipv6_literal);
    cr_assert_eq(urlpol_normalize("https://[::1]/x", &u), URLPOL_OK);
    cr_expect_str_eq(u.host, "::1");
    cr_expect_eq(u.port, 443);
    cr_expect(u.ipv6_literal);
}

struct bad_case {
    const char *in;
    enum urlpol_err err;
};

static const struct bad_case bad_cases[] = {
    {"", URLPOL_EMPTY},
    {"http://example.com/a.jpg", URLPOL_SCHEME},
    {"ftp://example.com/a.jpg", URLPOL_SCHEME},
    {"//example.com/a.jpg", URLPOL_SCHEME},
    {"file:///etc/passwd", URLPOL_SCHEME},
    {"https:/example.com", URLPOL_SCHEME},
    {"gopher://127.0.0.1:6379/_INFO", URLPOL_SCHEME},
    {"https://user@example.com/a.jpg", URLPOL_USERINFO},
    {"https://user:pw@example.com/a.jpg", URLPOL_USERINFO},
    {"https://example.com@evil.test/a.jpg", URLPOL_USERINFO},
    {"https://:@example.com/", URLPOL_USERINFO},
    {"https:///a.jpg", URLPOL_HOST},
    {"https://exa mple.com/", URLPOL_CHARS},
    {" https://example.com/", URLPOL_CHARS},
    {"https://example.com/\n", URLPOL_CHARS},
    {"https://example.com\\@evil.test/", URLPOL_CHARS},
    {"https://ex\xc3\xa4mple.com/", URLPOL_CHARS},
    {"https://example.com/%zz", URLPOL_CHARS},
    {"https://example.com/%4", URLPOL_CHARS},
    {"https://example.com/?q=%", URLPOL_CHARS},
    {"https://exa%6dple.com/", URLPOL_HOST},
    {"https://a..b/", URLPOL_HOST},
    {"https://./", URLPOL_HOST},
    {"https://2130706433/", URLPOL_HOST},
    {"https://0x7f.0.0.1/", URLPOL_HOST},
    {"https://0x7f000001/", URLPOL_HOST},
    {"https://127.1/", URLPOL_HOST},
    {"https://127.0.0.01/", URLPOL_HOST},
    {"https://256.0.0.1/", URLPOL_HOST},
    {"https://1.2.3.4.5/", URLPOL_HOST},
    {"https://[::1/", URLPOL_HOST},
    {"https://[fe80::1%25eth0]/", URLPOL_HOST},
    {"https://[::1]x/", URLPOL_HOST},
    {"https://[zz::1]/", URLPOL_HOST},
    {"https://example.com:/", URLPOL_PORT},
    {"https://example.com:0/", URLPOL_PORT},
    {"https://example.com:65536/", URLPOL_PORT},
    {"https://example.com:123456/", URLPOL_PORT},
    {"https://example.com:+443/", URLPOL_PORT},
    {"https://example.com:44a/", URLPOL_PORT},
};

Test(url_policy, refuses)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        struct url_parts u;
        enum urlpol_err e = urlpol_normalize(bad_cases[i].in, &u);
        cr_expect_eq(e, bad_cases[i].err, "%s: got %s (%d), want %s", bad_cases[i].in, urlpol_reason(e), e,
                     urlpol_reason(bad_cases[i].err));
    }
}

Test(url_policy, length_limits)
{
    static char url[URLPOL_MAX_URL + 64];
    struct url_parts u;
    strcpy(url, "https://example.com/");
    memset(url + 20, 'a', URLPOL_MAX_URL - 20);
    url[URLPOL_MAX_URL] = '\0';
    cr_expect_eq(urlpol_normalize(url, &u), URLPOL_OK);
    url[URLPOL_MAX_URL] = 'a';
    url[URLPOL_MAX_URL + 1] = '\0';
    cr_expect_eq(urlpol_normalize(url, &u), URLPOL_TOO_LONG);
    /* within the input cap, but percent-encoding grows it past the output cap */
    memset(url + 20, '"', URLPOL_MAX_URL - 20);
    url[URLPOL_MAX_URL] = '\0';
    cr_expect_eq(urlpol_normalize(url, &u), URLPOL_TOO_LONG);
    /* a 64-character label is one too many */
    char host[128];
    snprintf(host, sizeof host, "https://%.*s.com/", 64,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    cr_expect_eq(urlpol_normalize(host, &u), URLPOL_HOST);
    snprintf(host, sizeof host, "https://%.*s.com/", 63,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    cr_expect_eq(urlpol_normalize(host, &u), URLPOL_OK);
}

static enum urlpol_err check(const char *list, const char *url)
{
    struct urlpol_allowlist al;
    char err[256];
    cr_assert_eq(urlpol_allowlist_parse(list, &al, err, sizeof err), 0, "%s: %s", list, err);
    struct url_parts u;
    cr_assert_eq(urlpol_normalize(url, &u), URLPOL_OK, "%s", url);
    return urlpol_check_allowed(&al, &u);
}

Test(url_policy, allowlist_matching)
{
    const char *list = " covers.example.com, *.cdn.test ,localhost:8443,[::1]:9443,";
    cr_expect_eq(check(list, "https://covers.example.com/a.jpg"), URLPOL_OK);
    cr_expect_eq(check(list, "https://COVERS.example.com./a.jpg"), URLPOL_OK);
    cr_expect_eq(check(list, "https://x.covers.example.com/a.jpg"), URLPOL_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://example.com/a.jpg"), URLPOL_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://covers.example.com.evil.test/"), URLPOL_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://a.cdn.test/x"), URLPOL_OK);
    cr_expect_eq(check(list, "https://a.b.cdn.test/x"), URLPOL_OK);
    cr_expect_eq(check(list, "https://cdn.test/x"), URLPOL_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://evilcdn.test/x"), URLPOL_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://covers.example.com:8443/a.jpg"), URLPOL_PORT_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://localhost:8443/a.jpg"), URLPOL_OK);
    cr_expect_eq(check(list, "https://localhost/a.jpg"), URLPOL_PORT_NOT_ALLOWED);
    cr_expect_eq(check(list, "https://[::1]:9443/"), URLPOL_OK);
    cr_expect_eq(check(list, "https://[::1]/"), URLPOL_PORT_NOT_ALLOWED);
    cr_expect_eq(check("", "https://covers.example.com/"), URLPOL_NOT_ALLOWED);
}

Test(url_policy, allowlist_refuses_bad_entries)
{
    const char *bad[] = {"*",       "*.",          "https://x.com", "x.com/path",   "u@x.com",   "a.*.com",
                         "x.com:0", "x.com:99999", "*.[::1]",       "exa mple.com", "2130706433"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct urlpol_allowlist al;
        char err[256] = "";
        cr_expect_eq(urlpol_allowlist_parse(bad[i], &al, err, sizeof err), -1, "%s accepted", bad[i]);
        cr_expect(strstr(err, "cover_allowed_hosts") != NULL, "%s: %s", bad[i], err);
    }
}

static enum addr_class v4(const char *s)
{
    struct in_addr a;
    cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "%s", s);
    return urlpol_classify_v4(ntohl(a.s_addr));
}

static enum addr_class v6(const char *s)
{
    struct in6_addr a;
    cr_assert_eq(inet_pton(AF_INET6, s, &a), 1, "%s", s);
    return urlpol_classify_v6(a.s6_addr);
}

struct cls_case {
    const char *addr;
    enum addr_class cls;
};

static const struct cls_case v4_cases[] = {
    {"0.0.0.0", ADDR_UNSPECIFIED},    {"0.255.255.255", ADDR_UNSPECIFIED}, {"1.0.0.0", ADDR_PUBLIC},
    {"9.255.255.255", ADDR_PUBLIC},   {"10.0.0.0", ADDR_PRIVATE},          {"10.255.255.255", ADDR_PRIVATE},
    {"11.0.0.0", ADDR_PUBLIC},        {"100.63.255.255", ADDR_PUBLIC},     {"100.64.0.0", ADDR_CGNAT},
    {"100.127.255.255", ADDR_CGNAT},  {"100.128.0.0", ADDR_PUBLIC},        {"126.255.255.255", ADDR_PUBLIC},
    {"127.0.0.1", ADDR_LOOPBACK},     {"127.255.255.254", ADDR_LOOPBACK},  {"128.0.0.0", ADDR_PUBLIC},
    {"169.253.255.255", ADDR_PUBLIC}, {"169.254.0.0", ADDR_LINK_LOCAL},    {"169.254.169.254", ADDR_LINK_LOCAL},
    {"169.255.0.0", ADDR_PUBLIC},     {"172.15.255.255", ADDR_PUBLIC},     {"172.16.0.0", ADDR_PRIVATE},
    {"172.31.255.255", ADDR_PRIVATE}, {"172.32.0.0", ADDR_PUBLIC},         {"192.0.0.8", ADDR_RESERVED},
    {"192.0.2.1", ADDR_RESERVED},     {"192.88.99.1", ADDR_RESERVED},      {"192.167.255.255", ADDR_PUBLIC},
    {"192.168.0.0", ADDR_PRIVATE},    {"192.168.255.255", ADDR_PRIVATE},   {"192.169.0.0", ADDR_PUBLIC},
    {"198.17.255.255", ADDR_PUBLIC},  {"198.18.0.0", ADDR_RESERVED},       {"198.19.255.255", ADDR_RESERVED},
    {"198.20.0.0", ADDR_PUBLIC},      {"198.51.100.7", ADDR_RESERVED},     {"203.0.113.9", ADDR_RESERVED},
    {"223.255.255.255", ADDR_PUBLIC}, {"224.0.0.1", ADDR_MULTICAST},       {"239.255.255.255", ADDR_MULTICAST},
    {"240.0.0.1", ADDR_RESERVED},     {"255.255.255.255", ADDR_RESERVED},  {"93.184.216.34", ADDR_PUBLIC},
    {"8.8.8.8", ADDR_PUBLIC},
};

Test(url_policy, classifies_ipv4)
{
    for (size_t i = 0; i < sizeof v4_cases / sizeof v4_cases[0]; i++)
        cr_expect_eq(v4(v4_cases[i].addr), v4_cases[i].cls, "%s: got %s want %s", v4_cases[i].addr,
                     urlpol_class_name(v4(v4_cases[i].addr)), urlpol_class_name(v4_cases[i].cls));
}

static const struct cls_case v6_cases[] = {
    {"::", ADDR_UNSPECIFIED},
    {"::1", ADDR_LOOPBACK},
    {"::2", ADDR_UNSPECIFIED}, /* ::0.0.0.2 */
    {"::ffff:127.0.0.1", ADDR_LOOPBACK},
    {"::ffff:10.1.2.3", ADDR_PRIVATE},
    {"::ffff:169.254.169.254", ADDR_LINK_LOCAL},
    {"::ffff:8.8.8.8", ADDR_PUBLIC},
    {"::127.0.0.1", ADDR_LOOPBACK},
    {"::10.0.0.1", ADDR_PRIVATE},
    {"64:ff9b::127.0.0.1", ADDR_LOOPBACK},
    {"64:ff9b::a9fe:a9fe", ADDR_LINK_LOCAL},
    {"64:ff9b::8.8.8.8", ADDR_PUBLIC},
    {"64:ff9b:1::1", ADDR_RESERVED},
    {"2002:7f00:1::", ADDR_LOOPBACK},
    {"2002:c0a8:101::1", ADDR_PRIVATE},
    {"2002:0808:0808::1", ADDR_PUBLIC},
    {"100::1", ADDR_RESERVED},
    {"2001::1", ADDR_RESERVED},
    {"2001:1ff::1", ADDR_RESERVED},
    {"2001:200::1", ADDR_PUBLIC},
    {"2001:db8::1", ADDR_RESERVED},
    {"2606:4700::1111", ADDR_PUBLIC},
    {"fc00::1", ADDR_UNIQUE_LOCAL},
    {"fdff:ffff::1", ADDR_UNIQUE_LOCAL},
    {"fe00::1", ADDR_PUBLIC},
    {"fe80::1", ADDR_LINK_LOCAL},
    {"febf::1", ADDR_LINK_LOCAL},
    {"fec0::1", ADDR_PRIVATE},
    {"ff02::1", ADDR_MULTICAST},
};

Test(url_policy, classifies_ipv6)
{
    for (size_t i = 0; i < sizeof v6_cases / sizeof v6_cases[0]; i++)
        cr_expect_eq(v6(v6_cases[i].addr), v6_cases[i].cls, "%s: got %s want %s", v6_cases[i].addr,
                     urlpol_class_name(v6(v6_cases[i].addr)), urlpol_class_name(v6_cases[i].cls));
}

static bool allowed(const char *addr, bool loopback)
{
    if (strchr(addr, ':')) {
        struct sockaddr_in6 s = {.sin6_family = AF_INET6};
        cr_assert_eq(inet_pton(AF_INET6, addr, &s.sin6_addr), 1);
        return urlpol_addr_allowed((struct sockaddr *)&s, sizeof s, loopback);
    }
    struct sockaddr_in s = {.sin_family = AF_INET};
    cr_assert_eq(inet_pton(AF_INET, addr, &s.sin_addr), 1);
    return urlpol_addr_allowed((struct sockaddr *)&s, sizeof s, loopback);
}

Test(url_policy, connect_rule)
{
    cr_expect(allowed("93.184.216.34", false));
    cr_expect(allowed("2606:4700::1111", false));
    cr_expect_not(allowed("127.0.0.1", false));
    cr_expect_not(allowed("::1", false));
    cr_expect_not(allowed("::ffff:127.0.0.1", false));
    cr_expect_not(allowed("169.254.169.254", true));
    cr_expect_not(allowed("10.0.0.1", true));
    cr_expect_not(allowed("192.168.1.1", true));
    cr_expect_not(allowed("fd00::1", true));
    /* the test switch admits exactly 127.0.0.1 and ::1, nothing else in 127/8 */
    cr_expect(allowed("127.0.0.1", true));
    cr_expect(allowed("::1", true));
    cr_expect(allowed("::ffff:127.0.0.1", true));
    cr_expect_not(allowed("127.0.0.2", true));
    cr_expect_not(allowed("0.0.0.0", true));
    cr_expect_not(allowed("::", true));
    struct sockaddr_un_like {
        sa_family_t family;
        char path[20];
    } unix_sa = {AF_UNIX, "/tmp/x"};
    cr_expect_not(urlpol_addr_allowed((struct sockaddr *)&unix_sa, sizeof unix_sa, true));
    struct sockaddr_in short_sa = {.sin_family = AF_INET};
    cr_expect_not(urlpol_addr_allowed((struct sockaddr *)&short_sa, 4, true));
}
