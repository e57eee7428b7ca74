/*
 * custody_pkcs11.c: libcustody-pkcs11.so, a PKCS#11 v2.40 module whose one token is custodyd.
 *
 * Every C_Sign becomes a pkcs11.sign request on custodyd's Unix socket, so the caller is whoever
 * the kernel says it is (SO_PEERCRED), and custodyd's policy, approvals and audit log apply. The
 * token shows a private and a public key object for each key policy lets the caller sign with
 * (pkcs11.keys). Nothing private is kept here or on disk; the PIN given to C_Login is ignored.
 *
 * Configuration: the socket is $CUSTODY_SOCKET, else `socket` in the config file, else
 * /run/custody/custody.sock. The config file is $CUSTODY_PKCS11_CONF, else /etc/custody/pkcs11.conf
 * (absent is fine); lines `name = value`, `#` comments:
 *   socket = /run/custody/custody.sock
 *   token-label = custody              (at most 32 bytes)
 *   approval-timeout = 300             (seconds a C_Sign waits for a custodian's approval)
 *   id-alias = 02 example.com/app/targets   (show the key with this CKA_LABEL or TUF key ID
 *                                            under CKA_ID 02, e.g. for PIV-minded tools)
 *   key-types = ecdsa                  (which keys to show: ecdsa, ed25519 or both, the default;
 *                                       libp11 0.4.12, OpenSSL's pkcs11 engine, gives up on a
 *                                       token that shows an Ed25519 key)
 *
 * Build: gcc -shared -fPIC -fvisibility=hidden -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 \
 *            -o libcustody-pkcs11.so custody_pkcs11.c -lpthread -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "custody_json.h"

#define EXPORT __attribute__((visibility("default")))
#define SLOT_ID 1
#define MAX_SESSIONS 1024
#define MAX_ALIASES 16
#define MAX_POOL 8
#define MAX_DATA (700 * 1024) /* base64 of it stays under custodyd's 1 MiB request limit */
#define SIG_LEN 64
#define DEFAULT_SOCKET "/run/custody/custody.sock"
#define DEFAULT_CONF "/etc/custody/pkcs11.conf"
#define REFRESH_MS 1000

/* DER of the named curves, the CKA_EC_PARAMS values. */
static const unsigned char P256_OID[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char ED25519_OID[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };

struct alias {
    unsigned char id[64];
    size_t id_len;
    char key[256]; /* a CKA_LABEL or a TUF key ID */
};

static struct {
    char socket[sizeof ((struct sockaddr_un *) 0)->sun_path];
    char token_label[33];
    long approval_timeout_ms;
    struct alias aliases[MAX_ALIASES];
    int n_aliases;
    int hide_ecdsa;
    int hide_ed25519;
} cfg;

struct key {
    char key_id[129];
    char label[256];
    unsigned char id[64];
    size_t id_len;
    int ed25519;
    unsigned char spki[256];
    size_t spki_len;
    unsigned char point[80]; /* DER OCTET STRING of the public point */
    size_t point_len;
    int listed; /* in the latest pkcs11.keys answer */
};

enum op { OP_NONE, OP_FIND, OP_SIGN, OP_VERIFY };

struct session {
    int open;
    CK_FLAGS flags;
    enum op op;
    /* find */
    CK_OBJECT_HANDLE *found;
    CK_ULONG n_found, pos;
    /* sign / verify */
    CK_MECHANISM_TYPE mech;
    size_t key;
    unsigned char *data;
    size_t data_len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* everything below */
static int initialized;
static int logged_in;
static struct session sessions[MAX_SESSIONS + 1]; /* handle = index, 0 unused */
static struct key *keys;
static size_t n_keys;
static struct timespec refreshed;
static int ever_refreshed;
static int told_unreachable;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int pool[MAX_POOL];
static int pool_n;
static pid_t pool_pid;
static unsigned long next_id = 1;

/* ---- configuration ------------------------------------------------------------------------- */

static int hex_bytes(const char *s, unsigned char *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 != 0 || n / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (unsigned char) v;
    }
    *len = n / 2;
    return 0;
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) {
        *--e = '\0';
    }
    return s;
}

static void load_config(void)
{
    const char *path = getenv("CUSTODY_PKCS11_CONF");
    const char *env_socket = getenv("CUSTODY_SOCKET");
    char line[1024];
    FILE *f;

    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.socket, sizeof cfg.socket, "%s", DEFAULT_SOCKET);
    snprintf(cfg.token_label, sizeof cfg.token_label, "custody");
    cfg.approval_timeout_ms = 300 * 1000L;
    f = fopen(path != NULL && *path != '\0' ? path : DEFAULT_CONF, "re");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *eq, *name, *value = NULL;
        if ((eq = strchr(line, '#')) != NULL) {
            *eq = '\0';
        }
        if ((eq = strchr(line, '=')) == NULL) {
            continue;
        }
        *eq = '\0';
        name = trim(line);
        value = trim(eq + 1);
        if (strcmp(name, "socket") == 0) {
            snprintf(cfg.socket, sizeof cfg.socket, "%s", value);
        } else if (strcmp(name, "token-label") == 0) {
            snprintf(cfg.token_label, sizeof cfg.token_label, "%s", value);
        } else if (strcmp(name, "approval-timeout") == 0) {
            cfg.approval_timeout_ms = strtol(value, NULL, 10) * 1000L;
        } else if (strcmp(name, "key-types") == 0) {
            cfg.hide_ecdsa = strstr(value, "ecdsa") == NULL;
            cfg.hide_ed25519 = strstr(value, "ed25519") == NULL;
        } else if (strcmp(name, "id-alias") == 0 && cfg.n_aliases < MAX_ALIASES) {
            struct alias *a = &cfg.aliases[cfg.n_aliases];
            char *sp = value + strcspn(value, " \t");
            if (*sp == '\0') {
                continue;
            }
            *sp = '\0';
            if (hex_bytes(value, a->id, sizeof a->id, &a->id_len) == 0) {
                snprintf(a->key, sizeof a->key, "%s", trim(sp + 1));
                cfg.n_aliases++;
            }
        } else {
            fprintf(stderr, "libcustody-pkcs11: %s: unknown setting '%s' ignored\n",
                    path != NULL ? path : DEFAULT_CONF, name);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    if (env_socket != NULL && *env_socket != '\0') {
        snprintf(cfg.socket, sizeof cfg.socket, "%s", env_socket);
    }
}

/* ---- the socket ---------------------------------------------------------------------------- */

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000L + (now.tv_nsec - t->tv_nsec) / 1000000L;
}

static int dial(void)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", cfg.socket);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/*
 * A connection of this process: a pooled one that is still open, else a new one. A child after
 * fork() never uses its parent's connections (custodyd knows the caller by the pid that connected).
 */
static int conn_get(int *reused)
{
    int fd = -1;
    pthread_mutex_lock(&pool_lock);
    if (pool_pid != getpid()) {
        for (int i = 0; i < pool_n; i++) {
            close(pool[i]);
        }
        pool_n = 0;
        pool_pid = getpid();
    }
    while (fd < 0 && pool_n > 0) {
        struct pollfd p = { pool[--pool_n], POLLIN, 0 };
        if (poll(&p, 1, 0) == 0) {
            fd = p.fd; /* nothing to read: still open and idle */
        } else {
            close(p.fd); /* closed by custodyd (idle timeout) */
        }
    }
    pthread_mutex_unlock(&pool_lock);
    *reused = fd >= 0;
    return fd >= 0 ? fd : dial();
}

static void conn_put(int fd)
{
    pthread_mutex_lock(&pool_lock);
    if (pool_pid == getpid() && pool_n < MAX_POOL) {
        pool[pool_n++] = fd;
        fd = -1;
    }
    pthread_mutex_unlock(&pool_lock);
    if (fd >= 0) {
        close(fd);
    }
}

static void pool_close(void)
{
    pthread_mutex_lock(&pool_lock);
    for (int i = 0; i < pool_n; i++) {
        close(pool[i]);
    }
    pool_n = 0;
    pthread_mutex_unlock(&pool_lock);
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

enum rpc_status { RPC_OK, RPC_ERROR, RPC_IO, RPC_TIMEOUT, RPC_BAD };

struct rpc {
    struct jv *reply;     /* the whole reply */
    const struct jv *result;
    const char *err_name; /* error.data.name */
    const char *err_msg;
};

/* Shows a notice from custodyd: a touch request once per signature, on stderr. */
static void notice(const struct jv *msg, int *touched)
{
    const struct jv *params = json_get(msg, "params");
    const char *kind = json_str(params, "kind");
    const char *text = json_str(params, "message");
    if (kind != NULL && strcmp(kind, "touch") == 0 && !*touched) {
        *touched = 1;
        fprintf(stderr, "custody: %s\n", text != NULL ? text : "touch the token");
        fflush(stderr);
    }
}

/* Reads lines until the reply with id; notices on the way are shown. */
static enum rpc_status read_reply(int fd, unsigned long id, long timeout_ms, struct rpc *out)
{
    struct sbuf in = { 0 };
    struct timespec start;
    int touched = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char chunk[8192];
        char *nl;
        while ((nl = in.p == NULL ? NULL : memchr(in.p, '\n', in.len)) != NULL) {
            size_t n = (size_t) (nl - in.p);
            struct jv *msg = json_parse(in.p, n);
            const struct jv *jid;
            memmove(in.p, nl + 1, in.len - n - 1);
            in.len -= n + 1;
            if (msg == NULL) {
                free(in.p);
                return RPC_BAD;
            }
            jid = json_get(msg, "id");
            if (jid == NULL && json_str(msg, "method") != NULL) {
                notice(msg, &touched);
                json_free(msg);
                continue;
            }
            if (jid == NULL || jid->t != J_NUM || (unsigned long) jid->n != id) {
                json_free(msg);
                continue;
            }
            free(in.p);
            out->reply = msg;
            out->result = json_get(msg, "result");
            if (out->result == NULL) {
                const struct jv *err = json_get(msg, "error");
                out->err_name = json_str(json_get(err, "data"), "name");
                out->err_msg = json_str(err, "message");
                if (out->err_name == NULL) {
                    out->err_name = "UNKNOWN";
                }
                return RPC_ERROR;
            }
            return RPC_OK;
        }
        long left = timeout_ms - ms_since(&start);
        struct pollfd p = { fd, POLLIN, 0 };
        int r;
        if (left <= 0) {
            free(in.p);
            return RPC_TIMEOUT;
        }
        r = poll(&p, 1, left > 1000000 ? 1000000 : (int) left);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0) {
            continue;
        }
        ssize_t got = r < 0 ? -1 : recv(fd, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0 || in.len + (size_t) got > 4 * 1024 * 1024) {
            free(in.p);
            return RPC_IO;
        }
        sb_add(&in, chunk, (size_t) got);
        if (in.oom) {
            free(in.p);
            return RPC_IO;
        }
    }
}

/*
 * One request to custodyd: method with params (a JSON object text). A pooled connection that turns
 * out closed is replaced once, before anything was answered.
 */
static enum rpc_status rpc_call(const char *method, const char *params, long timeout_ms, struct rpc *out)
{
    struct sbuf req = { 0 };
    unsigned long id;
    enum rpc_status st = RPC_IO;
    char head[128];

    memset(out, 0, sizeof *out);
    id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    snprintf(head, sizeof head, "{\"jsonrpc\":\"2.0\",\"id\":%lu,\"method\":", id);
    sb_str(&req, head);
    sb_json(&req, method);
    sb_str(&req, ",\"params\":");
    sb_str(&req, params);
    sb_str(&req, "}\n");
    if (req.oom) {
        return RPC_IO;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int reused;
        int fd = conn_get(&reused);
        if (fd < 0) {
            break;
        }
        if (send_all(fd, req.p, req.len) != 0) {
            close(fd);
            if (reused) {
                continue;
            }
            break;
        }
        st = read_reply(fd, id, timeout_ms, out);
        if (st == RPC_OK || st == RPC_ERROR) {
            conn_put(fd);
        } else {
            close(fd); /* a timed-out or broken conversation is not reused */
        }
        break;
    }
    free(req.p);
    return st;
}

static void rpc_done(struct rpc *r)
{
    json_free(r->reply);
    memset(r, 0, sizeof *r);
}

static CK_RV ckr_of(enum rpc_status st, const struct rpc *r)
{
    if (st == RPC_OK) {
        return CKR_OK;
    }
    if (st == RPC_TIMEOUT) {
        return CKR_FUNCTION_REJECTED;
    }
    if (st != RPC_ERROR) {
        return CKR_DEVICE_ERROR;
    }
    if (strcmp(r->err_name, "POLICY_DENIED") == 0) {
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    }
    if (strcmp(r->err_name, "TOKEN_ABSENT") == 0) {
        return CKR_DEVICE_REMOVED;
    }
    if (strcmp(r->err_name, "APPROVAL_DENIED") == 0 || strcmp(r->err_name, "APPROVAL_REQUIRED") == 0) {
        return CKR_FUNCTION_REJECTED;
    }
    if (strcmp(r->err_name, "PIN_REQUIRED") == 0) {
        return CKR_USER_NOT_LOGGED_IN;
    }
    if (strcmp(r->err_name, "PIN_LOCKED") == 0) {
        return CKR_PIN_LOCKED;
    }
    if (strcmp(r->err_name, "NOT_FOUND") == 0) {
        return CKR_KEY_HANDLE_INVALID;
    }
    if (strcmp(r->err_name, "BAD_REQUEST") == 0) {
        return CKR_DATA_INVALID;
    }
    if (strcmp(r->err_name, "BUSY") == 0 || strcmp(r->err_name, "SHUTTING_DOWN") == 0) {
        return CKR_DEVICE_MEMORY;
    }
    return CKR_FUNCTION_FAILED;
}

static void report(const char *what, enum rpc_status st, const struct rpc *r)
{
    if (st == RPC_ERROR) {
        fprintf(stderr, "custody: %s: %s: %s\n", what, r->err_name, r->err_msg != NULL ? r->err_msg : "");
    } else if (st == RPC_TIMEOUT) {
        fprintf(stderr, "custody: %s: no answer within %ld s (approval-timeout)\n", what,
                cfg.approval_timeout_ms / 1000);
    } else if (st != RPC_OK) {
        fprintf(stderr, "custody: %s: cannot talk to custodyd at %s: %s\n", what, cfg.socket,
                st == RPC_BAD ? "unreadable reply" : strerror(errno));
    }
}

/* ---- keys ---------------------------------------------------------------------------------- */

/* Fills the key's EC point from its SubjectPublicKeyInfo (P-256: 65-byte point, Ed25519: 32 bytes). */
static int key_from_spki(struct key *k, const unsigned char *spki, size_t len)
{
    size_t raw = k->ed25519 ? 32 : 65;
    if (len > sizeof k->spki || len < raw + 2) {
        return -1;
    }
    memcpy(k->spki, spki, len);
    k->spki_len = len;
    k->point[0] = 0x04; /* OCTET STRING */
    k->point[1] = (unsigned char) raw;
    memcpy(k->point + 2, spki + len - raw, raw);
    k->point_len = raw + 2;
    return 0;
}

static void apply_alias(struct key *k)
{
    for (int i = 0; i < cfg.n_aliases; i++) {
        if (strcmp(cfg.aliases[i].key, k->label) == 0 || strcmp(cfg.aliases[i].key, k->key_id) == 0) {
            memcpy(k->id, cfg.aliases[i].id, cfg.aliases[i].id_len);
            k->id_len = cfg.aliases[i].id_len;
        }
    }
}

/* Reads one pkcs11.keys item into k; -1 if it is malformed. */
static int key_from_json(struct key *k, const struct jv *item)
{
    const char *key_id = json_str(item, "keyId"), *label = json_str(item, "label");
    const char *alg = json_str(item, "algorithm"), *cka = json_str(item, "ckaId");
    const char *pub = json_str(item, "publicKey");
    unsigned char der[256];
    long n;
    if (key_id == NULL || label == NULL || alg == NULL || cka == NULL || pub == NULL) {
        return -1;
    }
    memset(k, 0, sizeof *k);
    snprintf(k->key_id, sizeof k->key_id, "%s", key_id);
    snprintf(k->label, sizeof k->label, "%s", label);
    k->ed25519 = strcmp(alg, "ed25519") == 0;
    if (k->ed25519 ? cfg.hide_ed25519 : cfg.hide_ecdsa) {
        return -1;
    }
    if (hex_bytes(cka, k->id, sizeof k->id, &k->id_len) != 0) {
        return -1;
    }
    n = base64_decode(pub, der, sizeof der);
    if (n < 0 || key_from_spki(k, der, (size_t) n) != 0) {
        return -1;
    }
    apply_alias(k);
    k->listed = 1;
    return 0;
}

/*
 * Asks custodyd which keys this caller may sign with, at most once a second. Handles stay stable:
 * a key keeps its place in keys[] for the life of the module; keys policy no longer shows are
 * marked unlisted. Called with lock held; releases it during the request.
 */
static CK_RV refresh_keys(void)
{
    struct rpc r;
    enum rpc_status st;
    const struct jv *list;
    if (ever_refreshed && ms_since(&refreshed) < REFRESH_MS) {
        return CKR_OK;
    }
    pthread_mutex_unlock(&lock);
    st = rpc_call("pkcs11.keys", "{}", 30000, &r);
    pthread_mutex_lock(&lock);
    if (st != RPC_OK) {
        /*
         * custodyd unreachable (not running, or this user may not open its socket): an empty token and
         * one line on stderr, so that programs going through p11-kit-proxy, which load every module,
         * are not disturbed; the keys listed before stay listed.
         */
        if (!__atomic_exchange_n(&told_unreachable, 1, __ATOMIC_RELAXED)) {
            report("listing keys", st, &r);
        }
        rpc_done(&r);
        clock_gettime(CLOCK_MONOTONIC, &refreshed);
        ever_refreshed = 1;
        return CKR_OK;
    }
    list = json_get(r.result, "keys");
    for (size_t i = 0; i < n_keys; i++) {
        keys[i].listed = 0;
    }
    for (size_t i = 0; list != NULL && list->t == J_ARR && i < list->n_kids; i++) {
        struct key k;
        size_t j;
        if (key_from_json(&k, list->kids[i]) != 0) {
            continue;
        }
        for (j = 0; j < n_keys && strcmp(keys[j].key_id, k.key_id) != 0; j++) {
        }
        if (j == n_keys) {
            struct key *grown = realloc(keys, (n_keys + 1) * sizeof *grown);
            if (grown == NULL) {
                break;
            }
            keys = grown;
            n_keys++;
        }
        keys[j] = k;
    }
    rpc_done(&r);
    clock_gettime(CLOCK_MONOTONIC, &refreshed);
    ever_refreshed = 1;
    return CKR_OK;
}

/* Handle h → key index and class; -1 if h names no listed key. */
static long key_of(CK_OBJECT_HANDLE h, int *private_key)
{
    size_t i;
    if (h == 0 || h > 2 * n_keys) {
        return -1;
    }
    i = (h - 1) / 2;
    *private_key = (h - 1) % 2 == 0;
    return keys[i].listed ? (long) i : -1;
}

/* ---- attributes ---------------------------------------------------------------------------- */

static const CK_BBOOL TRUE_ = CK_TRUE, FALSE_ = CK_FALSE;
static const CK_ULONG UNAVAILABLE = CK_UNAVAILABLE_INFORMATION;

/* The value of attribute type of the object (key k, private or public); NULL if it has none. */
static const void *attr(const struct key *k, int priv, CK_ATTRIBUTE_TYPE type, CK_ULONG *len, CK_ULONG *scratch)
{
    *len = sizeof(CK_BBOOL);
    switch (type) {
    case CKA_CLASS:
        *scratch = priv ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
        *len = sizeof(CK_ULONG);
        return scratch;
    case CKA_KEY_TYPE:
        *scratch = k->ed25519 ? CKK_EC_EDWARDS : CKK_EC;
        *len = sizeof(CK_ULONG);
        return scratch;
    case CKA_KEY_GEN_MECHANISM:
        *len = sizeof(CK_ULONG);
        return &UNAVAILABLE;
    case CKA_ID:
        *len = k->id_len;
        return k->id;
    case CKA_LABEL:
        *len = strlen(k->label);
        return k->label;
    case CKA_EC_PARAMS:
        *len = k->ed25519 ? sizeof ED25519_OID : sizeof P256_OID;
        return k->ed25519 ? ED25519_OID : P256_OID;
    case CKA_EC_POINT:
        *len = k->point_len;
        return k->point;
    case CKA_PUBLIC_KEY_INFO:
        *len = k->spki_len;
        return k->spki;
    case CKA_START_DATE:
    case CKA_END_DATE:
        *len = 0;
        return "";
    case CKA_TOKEN:
        return &TRUE_;
    case CKA_PRIVATE:
    case CKA_SENSITIVE:
    case CKA_ALWAYS_SENSITIVE:
    case CKA_NEVER_EXTRACTABLE:
    case CKA_SIGN:
        return priv ? &TRUE_ : &FALSE_;
    case CKA_VERIFY:
        return priv ? &FALSE_ : &TRUE_;
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
    case CKA_DESTROYABLE:
    case CKA_DERIVE:
    case CKA_LOCAL:
    case CKA_ENCRYPT:
    case CKA_DECRYPT:
    case CKA_WRAP:
    case CKA_UNWRAP:
    case CKA_SIGN_RECOVER:
    case CKA_VERIFY_RECOVER:
    case CKA_EXTRACTABLE:
    case CKA_ALWAYS_AUTHENTICATE:
    case CKA_WRAP_WITH_TRUSTED:
    case CKA_TRUSTED:
        return &FALSE_;
    default:
        return NULL;
    }
}

static int is_sensitive(int priv, CK_ATTRIBUTE_TYPE type)
{
    return priv && (type == CKA_VALUE || type == CKA_PRIVATE_EXPONENT || type == CKA_PRIME_1);
}

/* ---- sessions ------------------------------------------------------------------------------ */

static struct session *session_of(CK_SESSION_HANDLE h)
{
    return h >= 1 && h <= MAX_SESSIONS && sessions[h].open ? &sessions[h] : NULL;
}

static void op_end(struct session *s)
{
    free(s->found);
    free(s->data);
    s->found = NULL;
    s->data = NULL;
    s->data_len = 0;
    s->n_found = s->pos = 0;
    s->op = OP_NONE;
}

#define LOCKED(s, h)                                   \
    struct session *s;                                 \
    pthread_mutex_lock(&lock);                         \
    if (!initialized) {                                \
        pthread_mutex_unlock(&lock);                   \
        return CKR_CRYPTOKI_NOT_INITIALIZED;           \
    }                                                  \
    if ((s = session_of(h)) == NULL) {                 \
        pthread_mutex_unlock(&lock);                   \
        return CKR_SESSION_HANDLE_INVALID;             \
    }

static CK_RV unlock_rv(CK_RV rv)
{
    pthread_mutex_unlock(&lock);
    return rv;
}

static void pad(unsigned char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    memset(dst, ' ', n);
    memcpy(dst, src, l < n ? l : n);
}

/* ---- general ------------------------------------------------------------------------------- */

CK_RV C_Initialize(void *args)
{
    CK_C_INITIALIZE_ARGS *a = args;
    if (a != NULL) {
        if (a->pReserved != NULL) {
            return CKR_ARGUMENTS_BAD;
        }
        int some = a->CreateMutex || a->DestroyMutex || a->LockMutex || a->UnlockMutex;
        int all = a->CreateMutex && a->DestroyMutex && a->LockMutex && a->UnlockMutex;
        if (some && !all) {
            return CKR_ARGUMENTS_BAD;
        }
        if (some && !(a->flags & CKF_OS_LOCKING_OK)) {
            return CKR_CANT_LOCK; /* we lock with pthreads only */
        }
    }
    pthread_mutex_lock(&lock);
    if (initialized && pool_pid == getpid()) {
        return unlock_rv(CKR_CRYPTOKI_ALREADY_INITIALIZED);
    }
    /* first use, or a forked child initializing again: start clean */
    load_config();
    memset(sessions, 0, sizeof sessions);
    free(keys);
    keys = NULL;
    n_keys = 0;
    ever_refreshed = 0;
    logged_in = 0;
    initialized = 1;
    pthread_mutex_lock(&pool_lock);
    pool_pid = getpid();
    pool_n = 0;
    pthread_mutex_unlock(&pool_lock);
    return unlock_rv(CKR_OK);
}

CK_RV C_Finalize(void *reserved)
{
    if (reserved != NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    pthread_mutex_lock(&lock);
    if (!initialized) {
        return unlock_rv(CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    for (int i = 1; i <= MAX_SESSIONS; i++) {
        if (sessions[i].open) {
            op_end(&sessions[i]);
            sessions[i].open = 0;
        }
    }
    free(keys);
    keys = NULL;
    n_keys = 0;
    initialized = 0;
    pool_close();
    return unlock_rv(CKR_OK);
}

CK_RV C_GetInfo(CK_INFO_PTR info)
{
    if (info == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    if (!initialized) {
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    memset(info, 0, sizeof *info);
    info->cryptokiVersion.major = 2;
    info->cryptokiVersion.minor = 40;
    pad(info->manufacturerID, sizeof info->manufacturerID, "Custody");
    pad(info->libraryDescription, sizeof info->libraryDescription, "custodyd PKCS#11 front door");
    info->libraryVersion.major = 0;
    info->libraryVersion.minor = 1;
    return CKR_OK;
}

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

/* What C_GetSlotInfo, C_GetTokenInfo and the mechanism calls check first: initialised, our slot, an out pointer. */
static CK_RV check_slot(CK_SLOT_ID slot, const void *out)
{
    if (!initialized) {
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    if (slot != SLOT_ID) {
        return CKR_SLOT_ID_INVALID;
    }
    if (out == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    return CKR_OK;
}

/* The PKCS#11 list convention: a NULL list asks for the count; a short one gets CKR_BUFFER_TOO_SMALL. */
static CK_RV fill_list(CK_ULONG_PTR list, CK_ULONG_PTR count, const CK_ULONG *items, CK_ULONG n)
{
    if (list != NULL) {
        if (*count < n) {
            *count = n;
            return CKR_BUFFER_TOO_SMALL;
        }
        memcpy(list, items, n * sizeof items[0]);
    }
    *count = n;
    return CKR_OK;
}

CK_RV C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    static const CK_SLOT_ID SLOTS[] = { SLOT_ID };
    (void) present;
    if (!initialized) {
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    if (count == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    return fill_list(list, count, SLOTS, 1);
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
    CK_RV rv = check_slot(slot, info);
    if (rv != CKR_OK) {
        return rv;
    }
    memset(info, 0, sizeof *info);
    pad(info->slotDescription, sizeof info->slotDescription, "custodyd");
    pad(info->manufacturerID, sizeof info->manufacturerID, "Custody");
    info->flags = CKF_TOKEN_PRESENT;
    return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    CK_RV rv = check_slot(slot, info);
    if (rv != CKR_OK) {
        return rv;
    }
    memset(info, 0, sizeof *info);
    pad(info->label, sizeof info->label, cfg.token_label);
    pad(info->manufacturerID, sizeof info->manufacturerID, "Custody");
    pad(info->model, sizeof info->model, "custodyd");
    pad(info->serialNumber, sizeof info->serialNumber, "custodyd");
    /* no CKF_LOGIN_REQUIRED: the kernel identifies the caller, the token PIN stays with custodyd */
    info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
    info->ulMaxSessionCount = MAX_SESSIONS;
    info->ulMaxRwSessionCount = MAX_SESSIONS;
    info->ulSessionCount = CK_UNAVAILABLE_INFORMATION;
    info->ulRwSessionCount = CK_UNAVAILABLE_INFORMATION;
    info->ulMaxPinLen = 256;
    info->ulMinPinLen = 0;
    info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->hardwareVersion.major = 0;
    info->firmwareVersion.major = 0;
    pad(info->utcTime, sizeof info->utcTime, "");
    return CKR_OK;
}

static const CK_MECHANISM_TYPE MECHS[] = { CKM_ECDSA, CKM_ECDSA_SHA256, CKM_EDDSA };

CK_RV C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
    CK_RV rv = check_slot(slot, count);
    if (rv != CKR_OK) {
        return rv;
    }
    return fill_list(list, count, MECHS, sizeof MECHS / sizeof MECHS[0]);
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
    CK_RV rv = check_slot(slot, info);
    if (rv != CKR_OK) {
        return rv;
    }
    if (type == CKM_ECDSA || type == CKM_ECDSA_SHA256) {
        info->ulMinKeySize = 256;
        info->ulMaxKeySize = 256;
        info->flags = CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
        return CKR_OK;
    }
    if (type == CKM_EDDSA) {
        info->ulMinKeySize = 255;
        info->ulMaxKeySize = 255;
        info->flags = CKF_SIGN | CKF_VERIFY;
        return CKR_OK;
    }
    return CKR_MECHANISM_INVALID;
}

/* ---- sessions and login -------------------------------------------------------------------- */

CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify,
                           CK_SESSION_HANDLE_PTR out)
{
    (void) app;
    (void) notify;
    if (out == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    if (!(flags & CKF_SERIAL_SESSION)) {
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    }
    pthread_mutex_lock(&lock);
    if (!initialized) {
        return unlock_rv(CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    if (slot != SLOT_ID) {
        return unlock_rv(CKR_SLOT_ID_INVALID);
    }
    for (CK_SESSION_HANDLE h = 1; h <= MAX_SESSIONS; h++) {
        if (!sessions[h].open) {
            memset(&sessions[h], 0, sizeof sessions[h]);
            sessions[h].open = 1;
            sessions[h].flags = flags;
            *out = h;
            return unlock_rv(CKR_OK);
        }
    }
    return unlock_rv(CKR_SESSION_COUNT);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE h)
{
    LOCKED(s, h);
    op_end(s);
    s->open = 0;
    return unlock_rv(CKR_OK);
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slot)
{
    pthread_mutex_lock(&lock);
    if (!initialized) {
        return unlock_rv(CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    if (slot != SLOT_ID) {
        return unlock_rv(CKR_SLOT_ID_INVALID);
    }
    for (int i = 1; i <= MAX_SESSIONS; i++) {
        if (sessions[i].open) {
            op_end(&sessions[i]);
            sessions[i].open = 0;
        }
    }
    logged_in = 0;
    return unlock_rv(CKR_OK);
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
    LOCKED(s, h);
    if (info == NULL) {
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    info->slotID = SLOT_ID;
    info->flags = s->flags;
    info->ulDeviceError = 0;
    if (s->flags & CKF_RW_SESSION) {
        info->state = logged_in ? CKS_RW_USER_FUNCTIONS : CKS_RW_PUBLIC_SESSION;
    } else {
        info->state = logged_in ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION;
    }
    return unlock_rv(CKR_OK);
}

/* Accepted, PIN ignored: custodyd holds the token PIN and knows the caller from the kernel. */
CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
    (void) pin;
    (void) pin_len;
    LOCKED(s, h);
    (void) s;
    if (user != CKU_USER && user != CKU_CONTEXT_SPECIFIC) {
        return unlock_rv(CKR_USER_TYPE_INVALID);
    }
    logged_in = 1;
    return unlock_rv(CKR_OK);
}

CK_RV C_Logout(CK_SESSION_HANDLE h)
{
    LOCKED(s, h);
    (void) s;
    logged_in = 0;
    return unlock_rv(CKR_OK);
}

/* ---- objects ------------------------------------------------------------------------------- */

static int matches(const struct key *k, int priv, const CK_ATTRIBUTE *t, CK_ULONG n)
{
    for (CK_ULONG i = 0; i < n; i++) {
        CK_ULONG len, scratch;
        const void *v = attr(k, priv, t[i].type, &len, &scratch);
        if (v == NULL || len != t[i].ulValueLen || (len > 0 && memcmp(v, t[i].pValue, len) != 0)) {
            return 0;
        }
    }
    return 1;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    CK_RV rv;
    LOCKED(s, h);
    if (t == NULL && n > 0) {
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    if (s->op != OP_NONE) {
        return unlock_rv(CKR_OPERATION_ACTIVE);
    }
    rv = refresh_keys();
    if (rv != CKR_OK) {
        return unlock_rv(rv);
    }
    if ((s = session_of(h)) == NULL) { /* closed while the lock was released */
        return unlock_rv(CKR_SESSION_HANDLE_INVALID);
    }
    s->found = calloc(2 * n_keys + 1, sizeof *s->found);
    if (s->found == NULL) {
        return unlock_rv(CKR_HOST_MEMORY);
    }
    for (size_t i = 0; i < n_keys; i++) {
        for (int priv = 1; priv >= 0; priv--) {
            if (keys[i].listed && matches(&keys[i], priv, t, n)) {
                s->found[s->n_found++] = 2 * i + (priv ? 1 : 2);
            }
        }
    }
    s->op = OP_FIND;
    return unlock_rv(CKR_OK);
}

CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR count)
{
    LOCKED(s, h);
    if (out == NULL || count == NULL) {
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    if (s->op != OP_FIND) {
        return unlock_rv(CKR_OPERATION_NOT_INITIALIZED);
    }
    *count = 0;
    while (*count < max && s->pos < s->n_found) {
        out[(*count)++] = s->found[s->pos++];
    }
    return unlock_rv(CKR_OK);
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
    LOCKED(s, h);
    if (s->op != OP_FIND) {
        return unlock_rv(CKR_OPERATION_NOT_INITIALIZED);
    }
    op_end(s);
    return unlock_rv(CKR_OK);
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    CK_RV rv = CKR_OK;
    int priv;
    long ki;
    LOCKED(s, h);
    (void) s;
    if (t == NULL && n > 0) {
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    if ((ki = key_of(o, &priv)) < 0) {
        return unlock_rv(CKR_OBJECT_HANDLE_INVALID);
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_ULONG len, scratch;
        const void *v = attr(&keys[ki], priv, t[i].type, &len, &scratch);
        if (is_sensitive(priv, t[i].type)) {
            t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_SENSITIVE;
        } else if (v == NULL) {
            t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK) {
                rv = CKR_ATTRIBUTE_TYPE_INVALID;
            }
        } else if (t[i].pValue == NULL) {
            t[i].ulValueLen = len;
        } else if (t[i].ulValueLen < len) {
            t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK) {
                rv = CKR_BUFFER_TOO_SMALL;
            }
        } else {
            memcpy(t[i].pValue, v, len);
            t[i].ulValueLen = len;
        }
    }
    return unlock_rv(rv);
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size)
{
    int priv;
    LOCKED(s, h);
    (void) s;
    if (key_of(o, &priv) < 0) {
        return unlock_rv(CKR_OBJECT_HANDLE_INVALID);
    }
    if (size != NULL) {
        *size = CK_UNAVAILABLE_INFORMATION;
    }
    return unlock_rv(CKR_OK);
}

/* Keys are made, imported and removed with custody, under custodyd's policy; never through here. */
CK_RV C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    int priv;
    (void) t;
    (void) n;
    LOCKED(s, h);
    (void) s;
    return unlock_rv(key_of(o, &priv) < 0 ? CKR_OBJECT_HANDLE_INVALID : CKR_ACTION_PROHIBITED);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
    int priv;
    LOCKED(s, h);
    (void) s;
    return unlock_rv(key_of(o, &priv) < 0 ? CKR_OBJECT_HANDLE_INVALID : CKR_ACTION_PROHIBITED);
}

/* ---- signing ------------------------------------------------------------------------------- */

struct eddsa_params { /* CK_EDDSA_PARAMS of PKCS#11 3.0 */
    CK_BBOOL ph_flag;
    CK_ULONG context_len;
    CK_BYTE_PTR context;
};

static CK_RV mech_for_key(CK_MECHANISM_PTR m, const struct key *k)
{
    if (m == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    switch (m->mechanism) {
    case CKM_ECDSA:
    case CKM_ECDSA_SHA256:
        if (m->pParameter != NULL || m->ulParameterLen != 0) {
            return CKR_MECHANISM_PARAM_INVALID;
        }
        return k->ed25519 ? CKR_KEY_TYPE_INCONSISTENT : CKR_OK;
    case CKM_EDDSA:
        if (m->pParameter != NULL) {
            const struct eddsa_params *p = m->pParameter;
            if (m->ulParameterLen != sizeof *p || p->ph_flag || p->context_len != 0) {
                return CKR_MECHANISM_PARAM_INVALID; /* Ed25519 (pure, no context) only */
            }
        }
        return k->ed25519 ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
    default:
        return CKR_MECHANISM_INVALID;
    }
}

static CK_RV op_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE o, enum op op)
{
    int priv;
    long ki;
    CK_RV rv;
    LOCKED(s, h);
    if (s->op != OP_NONE) {
        return unlock_rv(CKR_OPERATION_ACTIVE);
    }
    if ((ki = key_of(o, &priv)) < 0) {
        return unlock_rv(CKR_KEY_HANDLE_INVALID);
    }
    if (op == OP_SIGN && !priv) {
        return unlock_rv(CKR_KEY_FUNCTION_NOT_PERMITTED);
    }
    if ((rv = mech_for_key(m, &keys[ki])) != CKR_OK) {
        return unlock_rv(rv);
    }
    s->op = op;
    s->mech = m->mechanism;
    s->key = (size_t) ki;
    s->data = NULL;
    s->data_len = 0;
    return unlock_rv(CKR_OK);
}

static CK_RV op_update(CK_SESSION_HANDLE h, enum op op, CK_BYTE_PTR part, CK_ULONG len)
{
    unsigned char *grown;
    LOCKED(s, h);
    if (s->op != op) {
        return unlock_rv(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (part == NULL && len > 0) {
        op_end(s);
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    if (s->data_len + len > MAX_DATA) {
        op_end(s);
        return unlock_rv(CKR_DATA_LEN_RANGE);
    }
    grown = realloc(s->data, s->data_len + len + 1);
    if (grown == NULL) {
        op_end(s);
        return unlock_rv(CKR_HOST_MEMORY);
    }
    s->data = grown;
    if (len > 0) {
        memcpy(s->data + s->data_len, part, len);
    }
    s->data_len += len;
    return unlock_rv(CKR_OK);
}

/* The pkcs11.sign request for data with key k; the 64-byte signature into sig. */
static CK_RV remote_sign(const struct key *k, CK_MECHANISM_TYPE mech, const unsigned char *data, size_t len,
                         unsigned char *sig)
{
    struct sbuf p = { 0 };
    struct rpc r;
    enum rpc_status st;
    CK_RV rv;
    const char *name = mech == CKM_ECDSA ? "ecdsa" : mech == CKM_ECDSA_SHA256 ? "ecdsa-sha256" : "eddsa";
    if (mech == CKM_ECDSA && (len < 20 || len > 64)) {
        return CKR_DATA_LEN_RANGE;
    }
    sb_str(&p, "{\"keyId\":");
    sb_json(&p, k->key_id);
    sb_str(&p, ",\"mechanism\":");
    sb_json(&p, name);
    sb_str(&p, ",\"data\":\"");
    sb_base64(&p, data, len);
    sb_str(&p, "\"}");
    if (p.oom) {
        free(p.p);
        return CKR_HOST_MEMORY;
    }
    /* custodyd answers at once unless a custodian must approve (or a touch is awaited): then wait
       up to approval-timeout, and give up with CKR_FUNCTION_REJECTED */
    st = rpc_call("pkcs11.sign", p.p, cfg.approval_timeout_ms, &r);
    free(p.p);
    rv = ckr_of(st, &r);
    if (rv == CKR_OK) {
        const char *b64 = json_str(r.result, "signature");
        unsigned char buf[128];
        long n = b64 == NULL ? -1 : base64_decode(b64, buf, sizeof buf);
        if (n != SIG_LEN) {
            rv = CKR_DEVICE_ERROR;
        } else {
            memcpy(sig, buf, SIG_LEN);
        }
    } else {
        report("signing", st, &r);
    }
    rpc_done(&r);
    return rv;
}

/* C_Sign / C_SignFinal after the data is complete in the session. */
static CK_RV sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    struct key k;
    CK_MECHANISM_TYPE mech;
    unsigned char *data;
    size_t len;
    unsigned char out[SIG_LEN];
    CK_RV rv;
    LOCKED(s, h);
    if (s->op != OP_SIGN) {
        return unlock_rv(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (sig_len == NULL) {
        op_end(s);
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    if (sig == NULL) {
        *sig_len = SIG_LEN; /* a size query; the operation goes on */
        return unlock_rv(CKR_OK);
    }
    if (*sig_len < SIG_LEN) {
        *sig_len = SIG_LEN;
        return unlock_rv(CKR_BUFFER_TOO_SMALL);
    }
    k = keys[s->key];
    mech = s->mech;
    data = s->data;
    len = s->data_len;
    s->data = NULL;
    op_end(s);
    pthread_mutex_unlock(&lock);
    rv = remote_sign(&k, mech, data != NULL ? data : (unsigned char *) "", len, out);
    free(data);
    if (rv == CKR_OK) {
        memcpy(sig, out, SIG_LEN);
        *sig_len = SIG_LEN;
    }
    return rv;
}

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
    return op_init(h, m, key, OP_SIGN);
}

CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    CK_RV rv;
    if (sig != NULL) {
        /* the data goes in once: a size query before does not add it */
        rv = op_update(h, OP_SIGN, data, len);
        if (rv != CKR_OK) {
            return rv;
        }
        rv = sign_final(h, sig, sig_len);
        if (rv == CKR_BUFFER_TOO_SMALL) {
            /* keep the operation, without the data just added */
            pthread_mutex_lock(&lock);
            struct session *s = session_of(h);
            if (s != NULL && s->op == OP_SIGN) {
                s->data_len -= len;
            }
            pthread_mutex_unlock(&lock);
        }
        return rv;
    }
    return sign_final(h, NULL, sig_len);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
    return op_update(h, OP_SIGN, part, len);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    return sign_final(h, sig, sig_len);
}

/* ---- verifying (public keys, locally with libcrypto) --------------------------------------- */

static CK_RV verify_local(const struct key *k, CK_MECHANISM_TYPE mech, const unsigned char *data, size_t len,
                          const unsigned char *sig, size_t sig_len)
{
    const unsigned char *p = k->spki;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long) k->spki_len);
    CK_RV rv = CKR_SIGNATURE_INVALID;
    if (pkey == NULL) {
        return CKR_DEVICE_ERROR;
    }
    if (sig_len != SIG_LEN) {
        EVP_PKEY_free(pkey);
        return CKR_SIGNATURE_LEN_RANGE;
    }
    if (mech == CKM_EDDSA) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1
            && EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1) {
            rv = CKR_OK;
        }
        EVP_MD_CTX_free(ctx);
    } else {
        unsigned char digest[SHA256_DIGEST_LENGTH];
        unsigned char der[80], *dp = der;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
        int der_len;
        if (mech == CKM_ECDSA_SHA256) {
            SHA256(data, len, digest);
            data = digest;
            len = sizeof digest;
        }
        if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
            r = s = NULL;
            der_len = i2d_ECDSA_SIG(es, &dp);
            if (der_len > 0 && ctx != NULL && EVP_PKEY_verify_init(ctx) == 1
                && EVP_PKEY_verify(ctx, der, (size_t) der_len, data, len) == 1) {
                rv = CKR_OK;
            }
        }
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        EVP_PKEY_CTX_free(ctx);
    }
    EVP_PKEY_free(pkey);
    return rv;
}

static CK_RV verify_final(CK_SESSION_HANDLE h, const unsigned char *sig, CK_ULONG sig_len)
{
    struct key k;
    CK_MECHANISM_TYPE mech;
    CK_RV rv;
    LOCKED(s, h);
    if (s->op != OP_VERIFY) {
        return unlock_rv(CKR_OPERATION_NOT_INITIALIZED);
    }
    k = keys[s->key];
    mech = s->mech;
    if (sig == NULL) {
        op_end(s);
        return unlock_rv(CKR_ARGUMENTS_BAD);
    }
    rv = verify_local(&k, mech, s->data != NULL ? s->data : (unsigned char *) "", s->data_len, sig, sig_len);
    op_end(s);
    return unlock_rv(rv);
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
    return op_init(h, m, key, OP_VERIFY);
}

CK_RV C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    CK_RV rv = op_update(h, OP_VERIFY, data, len);
    return rv != CKR_OK ? rv : verify_final(h, sig, sig_len);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
    return op_update(h, OP_VERIFY, part, len);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    return verify_final(h, sig, sig_len);
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
    LOCKED(s, h);
    (void) s;
    pthread_mutex_unlock(&lock);
    for (CK_ULONG done = 0; done < len;) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return CKR_FUNCTION_FAILED;
        }
        done += (CK_ULONG) n;
    }
    return CKR_OK;
}

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE h)
{
    (void) h;
    return CKR_FUNCTION_NOT_PARALLEL;
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE h)
{
    (void) h;
    return CKR_FUNCTION_NOT_PARALLEL;
}

/* ---- what this token does not do ----------------------------------------------------------- */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define NOT_SUPPORTED(name, args) \
    CK_RV name args { return CKR_FUNCTION_NOT_SUPPORTED; }

NOT_SUPPORTED(C_InitToken, (CK_SLOT_ID a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d))
NOT_SUPPORTED(C_InitPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c))
NOT_SUPPORTED(C_SetPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d, CK_ULONG e))
NOT_SUPPORTED(C_GetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c))
NOT_SUPPORTED(C_SetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE d,
                                    CK_OBJECT_HANDLE e))
NOT_SUPPORTED(C_CreateObject, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE_PTR d))
NOT_SUPPORTED(C_CopyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d,
                             CK_OBJECT_HANDLE_PTR e))
NOT_SUPPORTED(C_EncryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
NOT_SUPPORTED(C_Encrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_EncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_EncryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c))
NOT_SUPPORTED(C_DecryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
NOT_SUPPORTED(C_Decrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_DecryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_DecryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c))
NOT_SUPPORTED(C_DigestInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b))
NOT_SUPPORTED(C_Digest, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_DigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c))
NOT_SUPPORTED(C_DigestKey, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b))
NOT_SUPPORTED(C_DigestFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c))
NOT_SUPPORTED(C_SignRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
NOT_SUPPORTED(C_SignRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_VerifyRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
NOT_SUPPORTED(C_VerifyRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
NOT_SUPPORTED(C_DigestEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
                                      CK_ULONG_PTR e))
NOT_SUPPORTED(C_DecryptDigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
                                      CK_ULONG_PTR e))
NOT_SUPPORTED(C_SignEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
                                    CK_ULONG_PTR e))
NOT_SUPPORTED(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
                                      CK_ULONG_PTR e))
NOT_SUPPORTED(C_GenerateKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d,
                              CK_OBJECT_HANDLE_PTR e))
NOT_SUPPORTED(C_GenerateKeyPair, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d,
                                  CK_ATTRIBUTE_PTR e, CK_ULONG f, CK_OBJECT_HANDLE_PTR g, CK_OBJECT_HANDLE_PTR i))
NOT_SUPPORTED(C_WrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_OBJECT_HANDLE d,
                          CK_BYTE_PTR e, CK_ULONG_PTR f))
NOT_SUPPORTED(C_UnwrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_BYTE_PTR d,
                            CK_ULONG e, CK_ATTRIBUTE_PTR f, CK_ULONG g, CK_OBJECT_HANDLE_PTR i))
NOT_SUPPORTED(C_DeriveKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d,
                            CK_ULONG e, CK_OBJECT_HANDLE_PTR f))
NOT_SUPPORTED(C_WaitForSlotEvent, (CK_FLAGS a, CK_SLOT_ID_PTR b, void *c))

CK_RV C_SeedRandom(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c)
{
    return CKR_RANDOM_SEED_NOT_SUPPORTED;
}
#pragma GCC diagnostic pop

static CK_FUNCTION_LIST functions = {
    { 2, 40 },
    C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo,
    C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN, C_OpenSession, C_CloseSession,
    C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState, C_SetOperationState, C_Login, C_Logout,
    C_CreateObject, C_CopyObject, C_DestroyObject, C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue,
    C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal, C_EncryptInit, C_Encrypt, C_EncryptUpdate,
    C_EncryptFinal, C_DecryptInit, C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest,
    C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal,
    C_SignRecoverInit, C_SignRecover, C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal,
    C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate, C_DecryptDigestUpdate, C_SignEncryptUpdate,
    C_DecryptVerifyUpdate, C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey, C_DeriveKey,
    C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent,
};

/* The one exported symbol (built with -fvisibility=hidden): what dlsym finds. */
EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    if (list == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    *list = &functions;
    return CKR_OK;
}
