/*
 * notify_recv — a stand-in for systemd's notification socket, for tests/integration/ship_notify.test.mjs (Node.js
 * cannot bind AF_UNIX datagram sockets). Binds SOCKET_PATH as a datagram socket, prints "listening", then one JSON
 * line per datagram received:
 *   {"msg":"READY=1\nSTATUS=…","portFile":true,"accepts":true}
 * where portFile says whether PORT_FILE existed at that moment and accepts whether a TCP connection to 127.0.0.1 on
 * the port it names succeeded — checked when the datagram arrives, so "READY=1 came only once the socket listened"
 * is observed at the instant that matters. Runs until killed.
 * Usage: notify_recv SOCKET_PATH PORT_FILE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool port_accepts(const char *port_file, bool *exists)
{
    FILE *f = fopen(port_file, "r");
    int port = 0;
    *exists = f != NULL;
    if (!f)
        return false;
    if (fscanf(f, "%d", &port) != 1)
        port = 0;
    fclose(f);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    bool ok = port > 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(s);
    return ok;
}

static void print_json_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: notify_recv SOCKET_PATH PORT_FILE\n");
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
    unlink(argv[1]);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
        perror("notify_recv: bind");
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0)
            continue;
        bool exists;
        bool accepts = port_accepts(argv[2], &exists);
        printf("{\"msg\":");
        print_json_string(buf, (size_t)n);
        printf(",\"portFile\":%s,\"accepts\":%s}\n", exists ? "true" : "false", accepts ? "true" : "false");
        fflush(stdout);
    }
}
