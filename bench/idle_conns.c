/*
 * idle_conns — the benchmark client that holds many idle connections to one server (bench/bench_idle.sh).
 *
 *   idle_conns PORT N PER_SOURCE HOLD_SECONDS [half]
 *
 * Opens N TCP connections to 127.0.0.1:PORT, PER_SOURCE from each loopback source address 127.1.x.y (so a
 * per-client connection limit above PER_SOURCE admits them all), non-blocking, at most 512 connecting at once.
 * With `half`, each sends half a request head ("GET /healthz HTTP/1.1\r\nHost: b\r\n", no blank line), like the
 * issue's slowloris script; otherwise it sends nothing. Prints "connected K" (K = established) once all attempts
 * are done, flushes, holds them for HOLD_SECONDS, then prints "open M" (M = still open: the server has not closed
 * them) and exits. Bounded: N ≤ 60000, HOLD_SECONDS ≤ 600. Raise `ulimit -n` above N first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 60000
#define MAX_CONNECTING 512
#define HALF_HEAD "GET /healthz HTTP/1.1\r\nHost: b\r\n"

static int open_one(int port, int i, int per_source)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int src = i / per_source;
    struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons(port)};
    from.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | ((unsigned)(src / 250) << 8) | (1u + src % 250));
    to.sin_addr.s_addr = htonl(0x7f000001);
    if (bind(s, (struct sockaddr *)&from, sizeof from) ||
        (connect(s, (struct sockaddr *)&to, sizeof to) && errno != EINPROGRESS)) {
        close(s);
        return -1;
    }
    return s;
}

/* Waits for pending connects; returns how many completed. */
static int settle(int ep, int pending, int half, int *established)
{
    struct epoll_event ev[256];
    while (pending > 0) {
        int n = epoll_wait(ep, ev, 256, 5000);
        if (n <= 0)
            break;
        for (int k = 0; k < n; k++) {
            int fd = ev[k].data.fd, err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            struct epoll_event watch = {.events = EPOLLRDHUP, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &watch);
            pending--;
            if (err) {
                close(fd);
                continue;
            }
            (*established)++;
            if (half && write(fd, HALF_HEAD, sizeof HALF_HEAD - 1) < 0)
                perror("write");
        }
    }
    return pending;
}

/* Holds the connections for `secs`; returns how many the server closed meanwhile. */
static int hold(int ep, int secs)
{
    int closed = 0;
    time_t until = time(NULL) + secs;
    struct epoll_event ev[256];
    while (time(NULL) < until) {
        int n = epoll_wait(ep, ev, 256, 200);
        for (int k = 0; k < n; k++) {
            epoll_ctl(ep, EPOLL_CTL_DEL, ev[k].data.fd, NULL);
            close(ev[k].data.fd);
            closed++;
        }
    }
    return closed;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: idle_conns PORT N PER_SOURCE HOLD_SECONDS [half]\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]), per = atoi(argv[3]), secs = atoi(argv[4]);
    int half = argc > 5 && !strcmp(argv[5], "half");
    if (n < 1 || n > MAX_CONNS || per < 1 || secs < 0 || secs > 600) {
        fprintf(stderr, "idle_conns: N must be 1..%d, PER_SOURCE ≥ 1, HOLD_SECONDS 0..600\n", MAX_CONNS);
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC), established = 0, failed = 0;
    for (int i = 0; i < n;) {
        int batch = 0;
        for (; batch < MAX_CONNECTING && i < n; i++) {
            int s = open_one(port, i, per);
            struct epoll_event watch = {.events = EPOLLOUT, .data.fd = s};
            if (s < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &watch)) {
                failed++;
                continue;
            }
            batch++;
        }
        failed += settle(ep, batch, half, &established);
    }
    printf("connected %d\n", established);
    fflush(stdout);
    int closed = hold(ep, secs);
    printf("open %d\n", established - closed);
    if (failed)
        fprintf(stderr, "idle_conns: %d connections failed to open\n", failed);
    return 0;
}
