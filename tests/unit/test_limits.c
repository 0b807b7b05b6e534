/* test_limits — per-client connection accounting (src/http/limits.c): counts per address up to the limit, release
 * frees the place, entries vanish at zero (also in the middle of a probe run), the table refuses new clients
 * rather than grow, and IPv4 and IPv6 peers map to distinct 16-byte keys. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "http/limits.h"

static struct client_key v4(const char *addr)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    struct client_key k;
    cr_assert(client_key_from_sockaddr((struct sockaddr *)&sa, &k));
    return k;
}

static struct client_key nth(unsigned i)
{
    char a[32];
    snprintf(a, sizeof a, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    return v4(a);
}

Test(limits, counts_up_to_the_limit_per_address_and_release_frees_a_place)
{
    struct client_counts t;
    client_counts_init(&t, 64, 42);
    struct client_key a = v4("127.0.0.1"), b = v4("127.0.0.2");
    for (int i = 0; i < 3; i++)
        cr_expect(client_counts_acquire(&t, &a, 3), "connection %d of a", i + 1);
    cr_expect_not(client_counts_acquire(&t, &a, 3), "a fourth connection of a is refused");
    cr_expect(client_counts_acquire(&t, &b, 3), "another address is still served");
    cr_expect_eq(client_counts_get(&t, &a), 3);
    client_counts_release(&t, &a);
    cr_expect(client_counts_acquire(&t, &a, 3), "a place freed by a close is usable again");
    cr_expect_eq(t.used, 2);
    for (int i = 0; i < 3; i++)
        client_counts_release(&t, &a);
    cr_expect_eq(client_counts_get(&t, &a), 0);
    cr_expect_eq(t.used, 1, "an address with no connection leaves the table");
    client_counts_release(&t, &a); /* an unknown key is ignored */
    cr_expect_eq(t.used, 1);
    client_counts_finish(&t);
}

Test(limits, zero_means_no_per_client_limit)
{
    struct client_counts t;
    client_counts_init(&t, 16, 1);
    struct client_key a = v4("192.0.2.1");
    for (int i = 0; i < 1000; i++)
        cr_assert(client_counts_acquire(&t, &a, 0));
    cr_expect_eq(client_counts_get(&t, &a), 1000);
    client_counts_finish(&t);
}

Test(limits, the_table_refuses_new_clients_when_full_but_keeps_counting_known_ones)
{
    struct client_counts t;
    client_counts_init(&t, 8, 7); /* capacity 16, at most 8 distinct clients */
    for (unsigned i = 0; i < 8; i++) {
        struct client_key k = nth(i);
        cr_assert(client_counts_acquire(&t, &k, 10), "client %u", i);
    }
    struct client_key extra = nth(100), first = nth(0);
    cr_expect_not(client_counts_acquire(&t, &extra, 10), "no room for a ninth client");
    cr_expect(client_counts_acquire(&t, &first, 10), "a known client still gets a place");
    client_counts_release(&t, &first);
    client_counts_release(&t, &first);
    cr_expect(client_counts_acquire(&t, &extra, 10), "room again once a client is gone");
    client_counts_finish(&t);
}

/* Many clients come and go in an interleaved order: every remaining count stays findable (backward-shift
 * deletion keeps probe runs whole), and the table ends empty. */
Test(limits, churn_keeps_every_count_exact)
{
    enum { N = 2000 };
    static unsigned held[N];
    struct client_counts t;
    client_counts_init(&t, N, 99);
    for (unsigned round = 0; round < 3; round++)
        for (unsigned i = 0; i < N; i++) {
            struct client_key k = nth(i);
            if ((i * 7 + round) % 3 != 0) {
                cr_assert(client_counts_acquire(&t, &k, 0));
                held[i]++;
            }
        }
    for (unsigned i = 0; i < N; i += 2) { /* release half of the clients completely */
        struct client_key k = nth(i);
        while (held[i]) {
            client_counts_release(&t, &k);
            held[i]--;
        }
    }
    for (unsigned i = 0; i < N; i++) {
        struct client_key k = nth(i);
        cr_assert_eq(client_counts_get(&t, &k), held[i], "client %u", i);
    }
    for (unsigned i = 1; i < N; i += 2) {
        struct client_key k = nth(i);
        while (held[i]--)
            client_counts_release(&t, &k);
    }
    cr_expect_eq(t.used, 0);
    client_counts_finish(&t);
}

Test(limits, ipv4_and_ipv6_keys)
{
    struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8::1", &sa6.sin6_addr);
    struct client_key k6, k4 = v4("192.0.2.7");
    cr_assert(client_key_from_sockaddr((struct sockaddr *)&sa6, &k6));
    cr_expect_neq(memcmp(&k4, &k6, sizeof k4), 0);
    const unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
    cr_expect_eq(memcmp(k4.b, mapped, 16), 0, "IPv4 is keyed as ::ffff:a.b.c.d");
    struct sockaddr other = {.sa_family = AF_UNIX};
    cr_expect_not(client_key_from_sockaddr(&other, &k4));
}
