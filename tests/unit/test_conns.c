/* test_conns — the connection registry (src/http/conns.c) with real sockets (socketpairs) and a pinned clock: a
 * head not complete by accept + head_timeout is shut down however many bytes trickled in; a completed head clears
 * the deadline; after a response the keep-alive deadline applies; a client over its limit is shut down at once and
 * counted; closing a connection frees its client's place. A shut-down socket reads end-of-file on the peer. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/conns.h"

static struct http_conns *make(uint32_t per_client)
{
    struct http_conns_opts o = {.name = "test",
                                .head_timeout_ms = 1000,
                                .keepalive_timeout_ms = 5000,
                                .body_timeout_ms = 3000,
                                .per_client = per_client,
                                .max_connections = 64};
    return http_conns_create(&o);
}

/* A socketpair: [0] plays the server's descriptor, [1] the client. */
static void pair(int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* True when the client end sees end-of-file (its server end was shut down). */
static bool peer_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, 0) == 1 && read(fd, &c, 1) == 0;
}

static struct sockaddr_in addr(const char *ip)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return sa;
}

Test(conns, head_deadline_is_absolute_and_cleared_by_a_complete_head)
{
    struct http_conns *cs = make(0);
    int slow[2], fast[2];
    pair(slow);
    pair(fast);
    struct http_conn *a = http_conns_open(cs, slow[0], NULL, 10000);
    struct http_conn *b = http_conns_open(cs, fast[0], NULL, 10000);
    cr_expect_eq(http_conns_sweep(cs, 10999), 0, "before the deadline nothing happens");
    http_conn_head_received(cs, b, 10000);
    http_conn_request_received(b);
    /* bytes arriving on `a` do not matter: nothing resets the deadline but a complete head */
    cr_expect_eq(http_conns_sweep(cs, 11000), 1, "the slow head is cut at accept + head_timeout");
    cr_expect(peer_closed(slow[1]));
    cr_expect_not(peer_closed(fast[1]), "a connection with a request in progress is left alone");
    cr_expect_eq(http_conns_sweep(cs, 20000), 0, "a connection is shut down once");
    cr_expect_eq(http_conns_stats(cs).head_timeouts, 1);
    http_conns_close(cs, a);
    http_conns_close(cs, b);
    cr_expect_eq(http_conns_stats(cs).open, 0);
    http_conns_destroy(cs);
    close(slow[0]), close(slow[1]), close(fast[0]), close(fast[1]);
}

Test(conns, keepalive_deadline_starts_when_a_response_ends)
{
    struct http_conns *cs = make(0);
    int sv[2];
    pair(sv);
    struct http_conn *c = http_conns_open(cs, sv[0], NULL, 0);
    http_conn_head_received(cs, c, 0);
    http_conn_request_received(c);
    http_conn_response_done(cs, c, 50000);
    cr_expect_eq(http_conns_sweep(cs, 54999), 0);
    http_conn_head_received(cs, c, 54000); /* the next request arrived in time */
    http_conn_request_received(c);
    http_conn_response_done(cs, c, 60000);
    cr_expect_eq(http_conns_sweep(cs, 65000), 1, "idle (or trickling) past keepalive_timeout: shut down");
    cr_expect(peer_closed(sv[1]));
    struct http_conns_stats st = http_conns_stats(cs);
    cr_expect_eq(st.keepalive_timeouts, 1);
    cr_expect_eq(st.head_timeouts, 0);
    http_conns_close(cs, c);
    http_conns_destroy(cs);
    close(sv[0]), close(sv[1]);
}

Test(conns, body_deadline_runs_from_the_head_until_the_request_is_complete)
{
    struct http_conns *cs = make(0);
    int slow[2], done[2];
    pair(slow);
    pair(done);
    struct http_conn *a = http_conns_open(cs, slow[0], NULL, 0);
    struct http_conn *b = http_conns_open(cs, done[0], NULL, 0);
    /* a kept-alive connection whose next head arrives: its body must follow within body_timeout */
    http_conn_response_done(cs, a, 100);
    http_conn_head_received(cs, a, 500);
    http_conn_head_received(cs, b, 500);
    cr_expect_eq(http_conns_sweep(cs, 3499), 0, "before head + body_timeout nothing happens");
    http_conn_request_received(b); /* its body completed in time: handled without a deadline */
    cr_expect_eq(http_conns_sweep(cs, 3500), 1, "the trickling body is cut at head + body_timeout");
    cr_expect(peer_closed(slow[1]));
    cr_expect_not(peer_closed(done[1]));
    cr_expect_eq(http_conns_sweep(cs, 60000), 0, "a complete request has no deadline while it is handled");
    struct http_conns_stats st = http_conns_stats(cs);
    cr_expect_eq(st.body_timeouts, 1, "a body not complete in time counts as a body timeout, even on a kept-alive one");
    cr_expect_eq(st.head_timeouts, 0);
    cr_expect_eq(st.keepalive_timeouts, 0);
    http_conns_close(cs, a);
    http_conns_close(cs, b);
    http_conns_destroy(cs);
    close(slow[0]), close(slow[1]), close(done[0]), close(done[1]);
}

Test(conns, per_client_limit_refuses_at_once_and_close_frees_the_place)
{
    struct http_conns *cs = make(2);
    struct sockaddr_in one = addr("127.0.0.1"), two = addr("127.0.0.2");
    int s[4][2];
    struct http_conn *c[4];
    for (int i = 0; i < 4; i++)
        pair(s[i]);
    c[0] = http_conns_open(cs, s[0][0], (struct sockaddr *)&one, 0);
    c[1] = http_conns_open(cs, s[1][0], (struct sockaddr *)&one, 0);
    c[2] = http_conns_open(cs, s[2][0], (struct sockaddr *)&one, 0);
    c[3] = http_conns_open(cs, s[3][0], (struct sockaddr *)&two, 0);
    cr_expect_not(c[0]->refused);
    cr_expect_not(c[1]->refused);
    cr_expect(c[2]->refused, "a third connection from one address is refused");
    cr_expect(peer_closed(s[2][1]), "… and its socket shut down at once");
    cr_expect_not(c[3]->refused, "another address is served");
    cr_expect_eq(http_conns_stats(cs).refused_per_client, 1);
    http_conns_close(cs, c[2]); /* a refused connection held no place */
    http_conns_close(cs, c[0]);
    struct http_conn *again = http_conns_open(cs, s[0][0], (struct sockaddr *)&one, 0);
    cr_expect_not(again->refused, "a closed connection's place is free again");
    http_conns_close(cs, again);
    http_conns_close(cs, c[1]);
    http_conns_close(cs, c[3]);
    http_conns_destroy(cs);
    for (int i = 0; i < 4; i++)
        close(s[i][0]), close(s[i][1]);
}
