/*
 * signclient.c: custodyd's sign.raw throughput and latency, measured from outside with a client
 * that costs far less than the daemon it measures (no JVM, no JSON library, no allocation per call).
 *
 * usage: signclient SOCKET --keygen              generate a key (key.generate, role targets of
 *                                                bench.example/app) and print its keyId
 *        signclient SOCKET KEYID THREADS SECONDS [WARMUP_SECONDS]
 *        signclient SOCKET --remove KEYID        key.remove
 *
 * THREADS threads, each with its own connection, send sign.raw requests (one JSON line each, a
 * 64-byte payload) in a closed loop: a request, its reply, the next request. After WARMUP_SECONDS
 * (default 1) the timed run lasts SECONDS. One machine-readable line on stdout, in the shape of
 * signbench.c's:
 *
 *   threads=8 seconds=5 signs=9000 signs_per_sec=1800.0 elapsed_sec=5.001 key=sign.raw p50_us=4100 p99_us=9800 busy=0 errors=0
 *
 * A reply is a success when it carries "signature"; a BUSY error (-32002) is counted in busy and
 * the loop goes on (after 1 ms); any other error is printed once to stderr and counted in errors.
 * Notice lines (no "id") are skipped. Exit status: 0 if there were no errors (BUSY replies do not
 * count as errors: the caller decides), 1 otherwise, 2 on bad usage.
 *
 * Build:
 *   gcc -O2 -Wall -Wextra -Werror -o signclient signclient.c -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchlat.h"

#define MAX_THREADS 1024
#define LINE_MAX_BYTES 65536
/* base64 of "custody bench payload: 64 bytes of metadata-ish data..." as in SignRawBench */
#define PAYLOAD "Y3VzdG9keSBiZW5jaCBwYXlsb2FkOiA2NCBieXRlcyBvZiBtZXRhZGF0YS1pc2ggZGF0YS4uLg=="

struct conn {
    int fd;
    char buf[LINE_MAX_BYTES];
    size_t have; /* bytes in buf */
};

struct worker {
    pthread_t thread;
    const char *socket_path;
    const char *key_id;
    unsigned long long signs, busy, errors, warm;
    struct lat_hist lat;
    int failed;
};

static struct timespec warm_until, deadline;
static pthread_barrier_t go;

static int connect_to(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a.sun_path) {
        close(fd);
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, path);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/* Reads one line (without the newline) into c->buf; returns its length, or -1 on EOF/error. */
static long read_line(struct conn *c, size_t *consumed)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->have);
        if (nl != NULL) {
            *nl = '\0';
            *consumed = (size_t) (nl - c->buf) + 1;
            return nl - c->buf;
        }
        if (c->have == sizeof c->buf - 1) {
            return -1;
        }
        ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        c->have += (size_t) r;
    }
}

static void drop(struct conn *c, size_t consumed)
{
    memmove(c->buf, c->buf + consumed, c->have - consumed);
    c->have -= consumed;
}

/* Sends one request line and reads lines until the reply (a line with "id"); returns it in c->buf. */
static long call(struct conn *c, const char *req, size_t len, size_t *consumed)
{
    if (write_all(c->fd, req, len) != 0) {
        return -1;
    }
    for (;;) {
        long n = read_line(c, consumed);
        if (n < 0) {
            return -1;
        }
        if (strstr(c->buf, "\"id\"") != NULL) {
            return n;
        }
        drop(c, *consumed); /* a notice */
    }
}

static int after(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct conn *cp = malloc(sizeof *cp);
    char req[512];
    unsigned long long id = 0;
    struct timespec t0, t1;
    size_t consumed;

    if (cp == NULL) {
        (void) pthread_barrier_wait(&go);
        w->failed = 1;
        return NULL;
    }
#define c (*cp)
    c.fd = connect_to(w->socket_path);
    c.have = 0;
    (void) pthread_barrier_wait(&go);
    if (c.fd < 0) {
        free(cp);
        fprintf(stderr, "signclient: connect %s: %s\n", w->socket_path, strerror(errno));
        w->failed = 1;
        return NULL;
    }
    for (;;) {
        int len = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"sign.raw\","
                           "\"params\":{\"keyId\":\"%s\",\"data\":\"" PAYLOAD "\"}}\n", ++id, w->key_id);
        (void) clock_gettime(CLOCK_MONOTONIC, &t0);
        if (after(&t0, &deadline)) {
            break;
        }
        if (call(&c, req, (size_t) len, &consumed) < 0) {
            fprintf(stderr, "signclient: connection lost: %s\n", errno ? strerror(errno) : "EOF");
            w->failed = 1;
            break;
        }
        (void) clock_gettime(CLOCK_MONOTONIC, &t1);
        int timed = after(&t0, &warm_until);
        if (strstr(c.buf, "\"signature\"") != NULL) {
            if (timed) {
                w->signs++;
                lat_add(&w->lat, lat_ns_between(&t0, &t1));
            } else {
                w->warm++;
            }
        } else if (strstr(c.buf, "-32002") != NULL) {
            if (timed) {
                w->busy++;
            }
            struct timespec pause = { 0, 1000000 };
            nanosleep(&pause, NULL);
        } else {
            if (w->errors++ == 0) {
                fprintf(stderr, "signclient: error reply: %.400s\n", c.buf);
            }
        }
        drop(&c, consumed);
    }
    close(c.fd);
    free(cp);
#undef c
    return NULL;
}

static int one_call(const char *path, const char *req, char *out, size_t outlen)
{
    static struct conn c;
    size_t consumed;
    c.fd = connect_to(path);
    c.have = 0;
    if (c.fd < 0) {
        fprintf(stderr, "signclient: connect %s: %s\n", path, strerror(errno));
        return 1;
    }
    long n = call(&c, req, strlen(req), &consumed);
    close(c.fd);
    if (n < 0) {
        fprintf(stderr, "signclient: no reply\n");
        return 1;
    }
    snprintf(out, outlen, "%s", c.buf);
    return 0;
}

static int keygen(const char *path)
{
    char reply[LINE_MAX_BYTES];
    if (one_call(path, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"key.generate\",\"params\":"
                 "{\"role\":\"targets\",\"gun\":\"bench.example/app\"}}\n", reply, sizeof reply) != 0) {
        return 1;
    }
    char *k = strstr(reply, "\"keyId\":\"");
    if (k == NULL) {
        fprintf(stderr, "signclient: key.generate failed: %.400s\n", reply);
        return 1;
    }
    k += strlen("\"keyId\":\"");
    char *e = strchr(k, '"');
    if (e == NULL) {
        return 1;
    }
    printf("%.*s\n", (int) (e - k), k);
    return 0;
}

static int key_remove(const char *path, const char *key)
{
    char req[512], reply[LINE_MAX_BYTES];
    if (strlen(key) > 128 || strpbrk(key, "\"\\") != NULL) {
        return 2;
    }
    snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"key.remove\",\"params\":"
             "{\"keyId\":\"%s\"}}\n", key);
    if (one_call(path, req, reply, sizeof reply) != 0) {
        return 1;
    }
    return strstr(reply, "\"result\"") != NULL ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: signclient SOCKET --keygen\n"
                    "       signclient SOCKET --remove KEYID\n"
                    "       signclient SOCKET KEYID THREADS SECONDS [WARMUP_SECONDS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "--keygen") == 0) {
        return keygen(argv[1]);
    }
    if (argc == 4 && strcmp(argv[2], "--remove") == 0) {
        return key_remove(argv[1], argv[3]);
    }
    if (argc != 5 && argc != 6) {
        usage();
    }
    const char *key = argv[2];
    long threads = strtol(argv[3], NULL, 10), seconds = strtol(argv[4], NULL, 10);
    long warm = argc == 6 ? strtol(argv[5], NULL, 10) : 1;
    if (threads < 1 || threads > MAX_THREADS || seconds < 1 || seconds > 3600 || warm < 0 || warm > 60
            || strlen(key) > 128 || strpbrk(key, "\"\\") != NULL) {
        usage();
    }
    struct worker *ws = calloc((size_t) threads, sizeof *ws);
    struct lat_hist all;
    if (ws == NULL || lat_init(&all) != 0) {
        fprintf(stderr, "signclient: out of memory\n");
        return 1;
    }
    pthread_barrier_init(&go, NULL, (unsigned) threads + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (long i = 0; i < threads; i++) {
        ws[i].socket_path = argv[1];
        ws[i].key_id = key;
        if (lat_init(&ws[i].lat) != 0 || pthread_create(&ws[i].thread, &attr, work, &ws[i]) != 0) {
            fprintf(stderr, "signclient: cannot start thread %ld\n", i);
            return 1;
        }
    }
    struct timespec start, end;
    (void) clock_gettime(CLOCK_MONOTONIC, &start);
    warm_until = start;
    warm_until.tv_sec += warm;
    deadline = warm_until;
    deadline.tv_sec += seconds;
    (void) pthread_barrier_wait(&go);
    unsigned long long signs = 0, busy = 0, errors = 0;
    int failed = 0;
    for (long i = 0; i < threads; i++) {
        (void) pthread_join(ws[i].thread, NULL);
        signs += ws[i].signs;
        busy += ws[i].busy;
        errors += ws[i].errors;
        failed |= ws[i].failed;
        lat_merge(&all, &ws[i].lat);
        lat_free(&ws[i].lat);
    }
    (void) clock_gettime(CLOCK_MONOTONIC, &end);
    double elapsed = (double) lat_ns_between(&warm_until, &end) / 1e9;
    printf("threads=%ld seconds=%ld signs=%llu signs_per_sec=%.1f elapsed_sec=%.3f key=sign.raw"
           " p50_us=%.0f p99_us=%.0f busy=%llu errors=%llu\n", threads, seconds, signs,
           (double) signs / elapsed, elapsed, lat_percentile_us(&all, 0.50), lat_percentile_us(&all, 0.99),
           busy, errors + (unsigned long long) failed);
    lat_free(&all);
    free(ws);
    return errors == 0 && !failed ? 0 : 1;
}
