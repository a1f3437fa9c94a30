/*
 * tcprelay: the least a process can do to stand between an S3 client and MinIO. It accepts
 * TCP connections on 127.0.0.1 and copies bytes both ways to a target port, with no HTTP
 * parsing, no signature checks and no catalog: one thread per direction, blocking read(2) and
 * write(2) through a 408 KiB buffer (the most hyper reads at a time under the gateway).
 * bench/warp.sh and bench/tiering.sh run it beside the gateway, in front of the same MinIO:
 * its throughput against a direct connection is what any relaying process gets on the same
 * machine at best (see bench/README.md and bench/RESULTS.md).
 *
 *   cc -O2 -pthread -o tcprelay tcprelay.c
 *   tcprelay LISTEN_PORT TARGET_PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (408 * 1024)

static int target_port;

struct half {
    int from, to;
};

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Copies one direction until EOF or an error, then half-closes the other side. */
static void *pump(void *arg) {
    struct half *h = arg;
    char *buf = malloc(BUF_SIZE);
    if (buf) {
        for (;;) {
            ssize_t n = read(h->from, buf, BUF_SIZE);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            for (char *p = buf; n > 0;) {
                ssize_t w = write(h->to, p, (size_t)n);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) goto done;
                p += w;
                n -= w;
            }
        }
    }
done:
    shutdown(h->to, SHUT_WR);
    free(buf);
    return NULL;
}

static void *serve(void *arg) {
    int client = (int)(long)arg, one = 1;
    int upstream = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(target_port);
    if (upstream >= 0 && connect(upstream, (struct sockaddr *)&a, sizeof a) == 0) {
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct half up = {client, upstream}, down = {upstream, client};
        pthread_t t;
        if (pthread_create(&t, NULL, pump, &up) == 0) {
            pump(&down);
            pthread_join(t, NULL);
        }
    } else {
        perror("tcprelay: connect");
    }
    if (upstream >= 0) close(upstream);
    close(client);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tcprelay LISTEN_PORT TARGET_PORT\n");
        return 2;
    }
    int listen_port = atoi(argv[1]), one = 1;
    target_port = atoi(argv[2]);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(listen_port);
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) || bind(l, (struct sockaddr *)&a, sizeof a) ||
        listen(l, 128)) {
        perror("tcprelay: listen");
        return 1;
    }
    fprintf(stderr, "tcprelay: 127.0.0.1:%d -> 127.0.0.1:%d\n", listen_port, target_port);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) continue;
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(long)c) == 0) {
            pthread_detach(t);
        } else {
            close(c);
        }
    }
}
