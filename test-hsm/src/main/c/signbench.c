/*
 * signbench.c: raw C_Sign throughput of a PKCS#11 module, the physical
 * baseline for Custody's benchmarks.
 *
 * usage: signbench MODULE TOKEN_LABEL THREADS SECONDS [KEY_LABEL]
 *
 * The user PIN comes from the environment variable CUSTODY_BENCH_PIN or, when
 * that is unset, from the first line of stdin (read without echo from a
 * terminal). It is never taken from the command line, never printed, and
 * wiped from memory right after C_Login.
 *
 * Without KEY_LABEL the bench generates a session-object ECDSA P-256 key pair
 * (CKA_TOKEN=false, CKA_SENSITIVE=true, CKA_EXTRACTABLE=false) that disappears
 * with the run. With KEY_LABEL it uses the EC private key of that label already
 * on the token (for tokens that cannot generate session keys, e.g. a YubiKey).
 *
 * Before the timed run one signature is made and checked with C_Verify against
 * the public key (skipped if a labelled key has no public key object). Then
 * THREADS threads, each with its own session, call C_SignInit + C_Sign
 * (CKM_ECDSA over a 32-byte digest) in a loop for SECONDS seconds, all started
 * together. The one line on stdout is machine-readable:
 *
 *   threads=2 seconds=5 signs=10423 signs_per_sec=2084.3 elapsed_sec=5.001 key=session p50_us=890 p99_us=1400
 *
 * p50_us/p99_us are percentiles of one C_SignInit + C_Sign (benchlat.h, 2 us buckets).
 * signs counts successful C_Sign calls of the timed run only; signs_per_sec
 * is signs divided by the measured wall time from the common start until the
 * last thread stopped. Errors go to stderr with the CKR name; the exit status
 * is 0 on success, 1 on a PKCS#11 or system error, 2 on bad usage.
 *
 * Build:
 *   gcc -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 -o signbench signbench.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "benchlat.h"
#include "custody_ckr.h"

#define MAX_THREADS 256
#define MAX_SECONDS 3600
#define MAX_PIN 256
#define SESSION_KEY_LABEL "custody-signbench"

/* DER OID 1.2.840.10045.3.1.7 (prime256v1 / P-256), the CKA_EC_PARAMS value. */
static const CK_BYTE P256_PARAMS[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

static CK_FUNCTION_LIST_PTR p11;

struct worker {
    pthread_t thread;
    int index;
    CK_SLOT_ID slot;
    CK_OBJECT_HANDLE key;
    unsigned long long signs;
    struct lat_hist lat;  /* C_SignInit + C_Sign latency */
    CK_RV rv;             /* first error, CKR_OK if none */
    const char *failed;   /* the function that returned rv */
};

static pthread_barrier_t ready;   /* every worker has its session */
static pthread_barrier_t go;      /* the deadline is set */
static struct timespec deadline;

static void die_usage(const char *msg)
{
    if (msg != NULL) {
        fprintf(stderr, "signbench: %s\n", msg);
    }
    fprintf(stderr, "usage: signbench MODULE TOKEN_LABEL THREADS SECONDS [KEY_LABEL]\n"
                    "       PIN from $CUSTODY_BENCH_PIN or the first line of stdin\n");
    exit(2);
}

static int fail(const char *function, CK_RV rv)
{
    fprintf(stderr, "signbench: %s failed: %s (0x%lx)\n", function, custody_ckr_name(rv), rv);
    return 1;
}

static int parse_int(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Reads the PIN into buf; returns its length or -1. */
static long read_pin(char *buf, size_t cap, const char *label)
{
    const char *env = getenv("CUSTODY_BENCH_PIN");
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO);
    int echo_off = 0;
    size_t len;

    if (env != NULL) {
        len = strlen(env);
        if (len == 0 || len >= cap) {
            fprintf(stderr, "signbench: CUSTODY_BENCH_PIN must be 1..%zu characters\n", cap - 1);
            return -1;
        }
        memcpy(buf, env, len + 1);
        return (long) len;
    }
    if (tty) {
        fprintf(stderr, "User PIN for token '%s': ", label);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t) ECHO;
            echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    if (fgets(buf, (int) cap, stdin) == NULL) {
        buf[0] = '\0';
    }
    if (echo_off) {
        (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    len = strcspn(buf, "\r\n");
    if (buf[len] == '\0' && len == cap - 1) {
        fprintf(stderr, "signbench: PIN longer than %zu characters\n", cap - 2);
        return -1;
    }
    buf[len] = '\0';
    if (len == 0) {
        fprintf(stderr, "signbench: no PIN: set CUSTODY_BENCH_PIN or write it on stdin\n");
        return -1;
    }
    return (long) len;
}

static int label_matches(const CK_UTF8CHAR *field, const char *label)
{
    size_t len = strlen(label);

    if (len > 32 || memcmp(field, label, len) != 0) {
        return 0;
    }
    for (size_t i = len; i < 32; i++) {
        if (field[i] != ' ' && field[i] != '\0') {
            return 0;
        }
    }
    return 1;
}

static int find_slot(const char *label, CK_SLOT_ID *out)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG count = 0;
    CK_RV rv;
    int found = 0;

    for (int attempt = 0; attempt < 4; attempt++) {
        rv = p11->C_GetSlotList(CK_TRUE, NULL, &count);
        if (rv != CKR_OK) {
            return fail("C_GetSlotList", rv);
        }
        free(slots);
        slots = calloc(count > 0 ? count : 1, sizeof *slots);
        if (slots == NULL) {
            fprintf(stderr, "signbench: out of memory\n");
            return 1;
        }
        rv = p11->C_GetSlotList(CK_TRUE, slots, &count);
        if (rv != CKR_BUFFER_TOO_SMALL) {
            break;
        }
    }
    if (rv != CKR_OK) {
        free(slots);
        return fail("C_GetSlotList", rv);
    }
    for (CK_ULONG i = 0; i < count; i++) {
        CK_TOKEN_INFO info;

        rv = p11->C_GetTokenInfo(slots[i], &info);
        if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED) {
            continue;
        }
        if (rv != CKR_OK) {
            free(slots);
            return fail("C_GetTokenInfo", rv);
        }
        if (label_matches(info.label, label)) {
            *out = slots[i];
            found++;
        }
    }
    free(slots);
    if (found == 0) {
        fprintf(stderr, "signbench: no token labelled '%s'\n", label);
        return 1;
    }
    if (found > 1) {
        fprintf(stderr, "signbench: %d tokens are labelled '%s'; labels must be unique\n", found, label);
        return 1;
    }
    return 0;
}

static int generate_session_key(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    char label[] = SESSION_KEY_LABEL;
    CK_ATTRIBUTE pub_t[] = {
        { CKA_TOKEN, &no, sizeof no },
        { CKA_VERIFY, &yes, sizeof yes },
        { CKA_EC_PARAMS, (void *) P256_PARAMS, sizeof P256_PARAMS },
        { CKA_LABEL, label, sizeof label - 1 },
    };
    CK_ATTRIBUTE priv_t[] = {
        { CKA_TOKEN, &no, sizeof no },
        { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },
        { CKA_EXTRACTABLE, &no, sizeof no },
        { CKA_SIGN, &yes, sizeof yes },
        { CKA_LABEL, label, sizeof label - 1 },
    };
    CK_RV rv;

    rv = p11->C_GenerateKeyPair(s, &mech, pub_t, sizeof pub_t / sizeof pub_t[0],
                                priv_t, sizeof priv_t / sizeof priv_t[0], pub, priv);
    return rv == CKR_OK ? 0 : fail("C_GenerateKeyPair (session EC P-256)", rv);
}

/* Finds the single object of class cls labelled label; *out = CK_INVALID_HANDLE if none. */
static int find_by_label(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *out)
{
    CK_KEY_TYPE ec = CKK_EC;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_KEY_TYPE, &ec, sizeof ec },
        { CKA_LABEL, (void *) label, strlen(label) },
    };
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv, rv2;

    *out = CK_INVALID_HANDLE;
    rv = p11->C_FindObjectsInit(s, t, sizeof t / sizeof t[0]);
    if (rv != CKR_OK) {
        return fail("C_FindObjectsInit", rv);
    }
    rv = p11->C_FindObjects(s, found, 2, &n);
    rv2 = p11->C_FindObjectsFinal(s);
    if (rv != CKR_OK) {
        return fail("C_FindObjects", rv);
    }
    if (rv2 != CKR_OK) {
        return fail("C_FindObjectsFinal", rv2);
    }
    if (n > 1) {
        fprintf(stderr, "signbench: several EC %s keys are labelled '%s'\n",
                cls == CKO_PRIVATE_KEY ? "private" : "public", label);
        return 1;
    }
    if (n == 1) {
        *out = found[0];
    }
    return 0;
}

static void digest_for(int thread, unsigned long long n, CK_BYTE digest[32])
{
    /* Any 32 bytes will do for CKM_ECDSA; vary them so nothing can be cached. */
    for (int i = 0; i < 32; i++) {
        digest[i] = (CK_BYTE) (i * 7 + thread * 31);
    }
    memcpy(digest, &n, sizeof n);
}

static CK_RV sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, const CK_BYTE digest[32],
                       CK_BYTE *sig, CK_ULONG *sig_len, const char **failed)
{
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    CK_RV rv;

    rv = p11->C_SignInit(s, &mech, key);
    if (rv != CKR_OK) {
        *failed = "C_SignInit";
        return rv;
    }
    rv = p11->C_Sign(s, (CK_BYTE_PTR) digest, 32, sig, sig_len);
    if (rv != CKR_OK) {
        *failed = "C_Sign";
    }
    return rv;
}

static int self_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    CK_BYTE digest[32], sig[256];
    CK_ULONG sig_len = sizeof sig;
    const char *failed = NULL;
    CK_RV rv;

    digest_for(-1, 0, digest);
    rv = sign_once(s, priv, digest, sig, &sig_len, &failed);
    if (rv != CKR_OK) {
        return fail(failed, rv);
    }
    if (sig_len != 64) {
        fprintf(stderr, "signbench: expected a 64-byte P-256 signature, got %lu bytes\n", sig_len);
        return 1;
    }
    if (pub == CK_INVALID_HANDLE) {
        fprintf(stderr, "signbench: no public key object; signature not verified\n");
        return 0;
    }
    rv = p11->C_VerifyInit(s, &mech, pub);
    if (rv != CKR_OK) {
        return fail("C_VerifyInit", rv);
    }
    rv = p11->C_Verify(s, digest, sizeof digest, sig, sig_len);
    return rv == CKR_OK ? 0 : fail("C_Verify (self-check)", rv);
}

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_BYTE digest[32], sig[256];
    struct timespec now;
    CK_RV rv;

    rv = p11->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        w->rv = rv;
        w->failed = "C_OpenSession";
    }
    (void) pthread_barrier_wait(&ready);
    (void) pthread_barrier_wait(&go);
    if (w->rv != CKR_OK) {
        return NULL;
    }
    for (;;) {
        CK_ULONG sig_len = sizeof sig;

        (void) clock_gettime(CLOCK_MONOTONIC, &now);
        if (!before(&now, &deadline)) {
            break;
        }
        digest_for(w->index, w->signs, digest);
        rv = sign_once(s, w->key, digest, sig, &sig_len, &w->failed);
        if (rv != CKR_OK) {
            w->rv = rv;
            break;
        }
        {
            struct timespec done;
            (void) clock_gettime(CLOCK_MONOTONIC, &done);
            lat_add(&w->lat, lat_ns_between(&now, &done));
        }
        w->signs++;
    }
    rv = p11->C_CloseSession(s);
    if (rv != CKR_OK && w->rv == CKR_OK) {
        w->rv = rv;
        w->failed = "C_CloseSession";
    }
    return NULL;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}

static int run(const char *token_label, long threads, long seconds, const char *key_label,
               char *pin, size_t pin_len)
{
    CK_SLOT_ID slot = 0;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
    struct worker *workers = NULL;
    struct timespec start, end;
    unsigned long long total = 0;
    long started = 0;
    int rc = 1, err;
    CK_RV rv;

    if (find_slot(token_label, &slot) != 0) {
        return 1;
    }
    rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        return fail("C_OpenSession", rv);
    }
    rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) pin, (CK_ULONG) pin_len);
    explicit_bzero(pin, pin_len);
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        rc = fail("C_Login", rv);
        goto out;
    }
    if (key_label == NULL) {
        if (generate_session_key(s, &pub, &priv) != 0) {
            goto out;
        }
    } else {
        if (find_by_label(s, CKO_PRIVATE_KEY, key_label, &priv) != 0
                || find_by_label(s, CKO_PUBLIC_KEY, key_label, &pub) != 0) {
            goto out;
        }
        if (priv == CK_INVALID_HANDLE) {
            fprintf(stderr, "signbench: no EC private key labelled '%s'\n", key_label);
            goto out;
        }
    }
    if (self_check(s, priv, pub) != 0) {
        goto out;
    }

    workers = calloc((size_t) threads, sizeof *workers);
    if (workers == NULL) {
        fprintf(stderr, "signbench: out of memory\n");
        goto out;
    }
    if (pthread_barrier_init(&ready, NULL, (unsigned) threads + 1) != 0
            || pthread_barrier_init(&go, NULL, (unsigned) threads + 1) != 0) {
        fprintf(stderr, "signbench: pthread_barrier_init failed\n");
        goto out;
    }
    for (long i = 0; i < threads; i++) {
        workers[i].index = (int) i;
        workers[i].slot = slot;
        workers[i].key = priv;
        if (lat_init(&workers[i].lat) != 0) {
            fprintf(stderr, "signbench: out of memory\n");
            exit(1);
        }
        err = pthread_create(&workers[i].thread, NULL, work, &workers[i]);
        if (err != 0) {
            /* The barriers count on every thread; without them all we cannot go on. */
            fprintf(stderr, "signbench: pthread_create: %s\n", strerror(err));
            exit(1);
        }
        started++;
    }
    (void) pthread_barrier_wait(&ready);
    (void) clock_gettime(CLOCK_MONOTONIC, &start);
    deadline = start;
    deadline.tv_sec += seconds;
    (void) pthread_barrier_wait(&go);
    for (long i = 0; i < started; i++) {
        (void) pthread_join(workers[i].thread, NULL);
    }
    (void) clock_gettime(CLOCK_MONOTONIC, &end);
    (void) pthread_barrier_destroy(&ready);
    (void) pthread_barrier_destroy(&go);

    rc = 0;
    struct lat_hist all;
    if (lat_init(&all) != 0) {
        fprintf(stderr, "signbench: out of memory\n");
        goto out;
    }
    for (long i = 0; i < threads; i++) {
        total += workers[i].signs;
        lat_merge(&all, &workers[i].lat);
        lat_free(&workers[i].lat);
        if (workers[i].rv != CKR_OK) {
            fprintf(stderr, "signbench: thread %ld: %s failed: %s (0x%lx)\n", i, workers[i].failed,
                    custody_ckr_name(workers[i].rv), workers[i].rv);
            rc = 1;
        }
    }
    if (rc == 0) {
        double elapsed = seconds_between(&start, &end);
        printf("threads=%ld seconds=%ld signs=%llu signs_per_sec=%.1f elapsed_sec=%.3f key=%s"
               " p50_us=%.0f p99_us=%.0f\n",
               threads, seconds, total, (double) total / elapsed, elapsed,
               key_label == NULL ? "session" : "token",
               lat_percentile_us(&all, 0.50), lat_percentile_us(&all, 0.99));
        if (fflush(stdout) != 0) {
            rc = 1;
        }
    }
    lat_free(&all);
out:
    free(workers);
    if (key_label == NULL) {
        if (priv != CK_INVALID_HANDLE) {
            (void) p11->C_DestroyObject(s, priv);
        }
        if (pub != CK_INVALID_HANDLE) {
            (void) p11->C_DestroyObject(s, pub);
        }
    }
    (void) p11->C_Logout(s);
    (void) p11->C_CloseSession(s);
    return rc;
}

int main(int argc, char **argv)
{
    CK_C_INITIALIZE_ARGS init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
    CK_C_GetFunctionList get;
    char pin[MAX_PIN + 2];
    long pin_len, threads, seconds;
    void *module;
    CK_RV rv;
    int rc;

    if (argc < 5 || argc > 6) {
        die_usage(NULL);
    }
    if (parse_int(argv[3], 1, MAX_THREADS, &threads) != 0) {
        die_usage("THREADS must be 1..256");
    }
    if (parse_int(argv[4], 1, MAX_SECONDS, &seconds) != 0) {
        die_usage("SECONDS must be 1..3600");
    }
    if (strlen(argv[2]) == 0 || strlen(argv[2]) > 32) {
        die_usage("TOKEN_LABEL must be 1..32 bytes");
    }
    if (argc == 6 && strlen(argv[5]) == 0) {
        die_usage("KEY_LABEL must not be empty");
    }
    pin_len = read_pin(pin, sizeof pin, argv[2]);
    if (pin_len < 0) {
        return 2;
    }

    module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (module == NULL) {
        explicit_bzero(pin, sizeof pin);
        fprintf(stderr, "signbench: cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    get = (CK_C_GetFunctionList) dlsym(module, "C_GetFunctionList");
    if (get == NULL) {
        explicit_bzero(pin, sizeof pin);
        fprintf(stderr, "signbench: %s has no C_GetFunctionList\n", argv[1]);
        return 1;
    }
    rv = get(&p11);
    if (rv != CKR_OK || p11 == NULL) {
        explicit_bzero(pin, sizeof pin);
        return fail("C_GetFunctionList", rv == CKR_OK ? CKR_GENERAL_ERROR : rv);
    }
    rv = p11->C_Initialize(&init);
    if (rv != CKR_OK) {
        explicit_bzero(pin, sizeof pin);
        return fail("C_Initialize", rv);
    }
    rc = run(argv[2], threads, seconds, argc == 6 ? argv[5] : NULL, pin, (size_t) pin_len);
    explicit_bzero(pin, sizeof pin);
    rv = p11->C_Finalize(NULL);
    if (rv != CKR_OK && rc == 0) {
        rc = fail("C_Finalize", rv);
    }
    /* The module stays loaded: some modules misbehave when unloaded at exit. */
    return rc;
}
