/*
 * faultshim.c: a fault-injecting PKCS#11 module for Custody's tests.
 *
 * The shim loads a real PKCS#11 module (SoftHSM2 in our tests) and forwards
 * every function of CK_FUNCTION_LIST (PKCS#11 2.40) to it. A control file,
 * re-read whenever it changes, injects faults: the token disappears and comes
 * back, a chosen function fails on its Nth call, calls are slowed down,
 * C_Login is refused. The shim counts the calls it receives per function and
 * publishes the counts in a second file, so a test can check for instance that
 * a wrong PIN was tried exactly once.
 *
 * Build:
 *   gcc -shared -fPIC -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 \
 *       -o faultshim.so faultshim.c -ldl -lpthread
 *
 * CONFIGURATION
 *   The shim reads "<path of the shim .so>.conf" (found with dladdr), e.g.
 *   /tmp/t1/libfaultshim.so.conf, when an application first calls
 *   C_GetFunctionList. Lines are key=value; '#' starts a comment:
 *     module=/usr/lib/softhsm/libsofthsm2.so   the real module (required)
 *     control=/tmp/t1/control                  the control file (optional)
 *   The environment variables CUSTODY_FAULT_MODULE and CUSTODY_FAULT_CONTROL,
 *   when set and non-empty, override the file (so pkcs11-tool or notary can use
 *   a shim without a .conf). Without a control file the shim only forwards.
 *   Errors in the configuration are printed to stderr prefixed "faultshim:"
 *   and C_GetFunctionList returns CKR_GENERAL_ERROR.
 *
 * CONTROL FILE
 *   Checked on every call (a stat(2); the file is parsed again only when its
 *   inode, size or mtime changed). Write it atomically (write a temporary file
 *   in the same directory, then rename it over the control file), and make sure
 *   consecutive versions differ in mtime (FaultShim.java does both). A missing
 *   file means "no faults". One directive per line, words separated by blanks,
 *   '#' starts a comment, numbers are decimal or 0x-hex, RV is a CKR name
 *   (CKR_PIN_INCORRECT) or a number (0xA0):
 *
 *   token present [insertion=N]
 *   token absent [insertion=N]
 *       The token of every slot of the module is present (the default) or
 *       removed. While absent: C_GetSlotList(tokenPresent=CK_TRUE) returns no
 *       slot; C_GetSlotInfo clears CKF_TOKEN_PRESENT; C_GetTokenInfo,
 *       C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_OpenSession and
 *       C_Login return CKR_TOKEN_NOT_PRESENT; every other function taking a
 *       session handle returns CKR_DEVICE_REMOVED, except C_CloseSession and
 *       C_CloseAllSessions, which are forwarded so applications can clean up.
 *       Re-insertion: when the shim sees the token become present again, or
 *       sees N change while present, it calls the real C_CloseAllSessions on
 *       every slot before forwarding anything else, as a real token does: old
 *       session handles then give CKR_SESSION_HANDLE_INVALID and the user is
 *       logged out. N (default 0) lets a writer express "removed and
 *       re-inserted" even if no call happened while the token was absent.
 *
 *   fail FUNCTION N RV once|always [id=TEXT]
 *       The Nth call (N >= 1) of FUNCTION, counted from when the shim first
 *       saw this line, returns RV (not CKR_OK); "always" also fails every
 *       later call. The failing call is not forwarded, except that a call
 *       which would end a cryptographic operation (C_Sign, C_SignFinal,
 *       C_Encrypt, C_Verify, ... and the *Update functions) ends the real
 *       module's operation too, as PKCS#11 2.40 section 5.2 requires for any
 *       error other than CKR_BUFFER_TOO_SMALL; outputs are not written to the
 *       caller's buffers. The dual-function updates (C_DigestEncryptUpdate,
 *       ...) are simply not forwarded. A line that is identical (word for
 *       word) to a line of the previous version of the file keeps its
 *       counter; id=TEXT makes a line distinct so its counter starts afresh.
 *       When several rules match a call, the first one in the file wins; every
 *       rule for the function counts the call.
 *
 *   latency FUNCTION MS
 *       Sleep MS milliseconds (0..600000) before handling each call of
 *       FUNCTION. The sleep happens outside every lock.
 *
 *   login-fail RV [id=TEXT]
 *       Same as "fail C_Login 1 RV always": C_Login returns RV (for example
 *       CKR_PIN_INCORRECT) without reaching the token.
 *
 *   token-flags set|clear MASK
 *       OR MASK into (set) or remove it from (clear) CK_TOKEN_INFO.flags as
 *       returned by C_GetTokenInfo, e.g. "token-flags set 0x10000" for
 *       CKF_USER_PIN_COUNT_LOW.
 *
 *   Injected faults are checked before token absence. A file that does not
 *   parse is rejected as a whole: the version this process read before stays
 *   in force (a process that never read a good version runs without faults),
 *   the error goes to stderr once and into the counts file ("error=...").
 *
 * COUNTS FILE
 *   "<control>.counts", rewritten atomically (temporary file + rename) after
 *   every call that changed a count. Lines: "pid=<pid of the writer>", then
 *   "<function>=<calls>" for every function called at least once since the
 *   shim was loaded in that process (in CK_FUNCTION_LIST order), then
 *   "error=<message>" while the control file is rejected. Counts are per
 *   process: with several processes the last writer wins.
 *
 * THREADS
 *   The shim's state is guarded by a mutex that is never held across a
 *   forwarded call. Forwarded calls hold a read lock; the re-insertion (the
 *   real C_CloseAllSessions) takes it for writing, so no call with an old
 *   session handle slips past it. C_WaitForSlotEvent does not take that lock.
 *
 * Only C_GetFunctionList is exported; the forwarders are static so they can
 * never be bound in place of the real module's own C_* symbols. Unloading
 * the shim unloads the real module too, unless it is still initialised.
 * Not fork-safe while another thread is inside a call: a child must exec.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "custody_ckr.h"

/* Every function of CK_FUNCTION_LIST, in its order. */
#define SHIM_FUNCTIONS(X)                                                      \
    X(C_Initialize) X(C_Finalize) X(C_GetInfo) X(C_GetFunctionList)            \
    X(C_GetSlotList) X(C_GetSlotInfo) X(C_GetTokenInfo) X(C_GetMechanismList)  \
    X(C_GetMechanismInfo) X(C_InitToken) X(C_InitPIN) X(C_SetPIN)              \
    X(C_OpenSession) X(C_CloseSession) X(C_CloseAllSessions)                   \
    X(C_GetSessionInfo) X(C_GetOperationState) X(C_SetOperationState)          \
    X(C_Login) X(C_Logout) X(C_CreateObject) X(C_CopyObject)                   \
    X(C_DestroyObject) X(C_GetObjectSize) X(C_GetAttributeValue)               \
    X(C_SetAttributeValue) X(C_FindObjectsInit) X(C_FindObjects)               \
    X(C_FindObjectsFinal) X(C_EncryptInit) X(C_Encrypt) X(C_EncryptUpdate)     \
    X(C_EncryptFinal) X(C_DecryptInit) X(C_Decrypt) X(C_DecryptUpdate)         \
    X(C_DecryptFinal) X(C_DigestInit) X(C_Digest) X(C_DigestUpdate)            \
    X(C_DigestKey) X(C_DigestFinal) X(C_SignInit) X(C_Sign) X(C_SignUpdate)    \
    X(C_SignFinal) X(C_SignRecoverInit) X(C_SignRecover) X(C_VerifyInit)       \
    X(C_Verify) X(C_VerifyUpdate) X(C_VerifyFinal) X(C_VerifyRecoverInit)      \
    X(C_VerifyRecover) X(C_DigestEncryptUpdate) X(C_DecryptDigestUpdate)       \
    X(C_SignEncryptUpdate) X(C_DecryptVerifyUpdate) X(C_GenerateKey)           \
    X(C_GenerateKeyPair) X(C_WrapKey) X(C_UnwrapKey) X(C_DeriveKey)            \
    X(C_SeedRandom) X(C_GenerateRandom) X(C_GetFunctionStatus)                 \
    X(C_CancelFunction) X(C_WaitForSlotEvent)

enum shim_fn {
#define X(name) FN_##name,
    SHIM_FUNCTIONS(X)
#undef X
    FN_COUNT
};

static const char *const fn_names[FN_COUNT] = {
#define X(name) #name,
    SHIM_FUNCTIONS(X)
#undef X
};

#define MAX_RULES 64
#define MAX_LINE 512
#define MAX_WORDS 8
#define MAX_LATENCY_MS 600000UL

struct fail_rule {
    enum shim_fn fn;
    unsigned long long nth;
    unsigned long long seen;  /* calls of fn since the rule was first seen */
    CK_RV rv;
    int always;
    char key[MAX_LINE];       /* the normalised line, to carry `seen` over */
};

struct control {
    int present;
    unsigned long long insertion;
    unsigned long latency_ms[FN_COUNT];
    CK_FLAGS flags_set;
    CK_FLAGS flags_clear;
    size_t nrules;
    struct fail_rule rules[MAX_RULES];
};

/* What identifies one version of the control file. */
struct file_sig {
    int exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
};

/* Set once by load(), read-only afterwards. */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CK_RV g_load_rv = CKR_GENERAL_ERROR;
static void *g_handle;  /* the real module */
static CK_FUNCTION_LIST_PTR g_real;
static char *g_control_path;  /* NULL: no control file and no counts file */
static char *g_counts_path;
static pthread_rwlock_t g_fwd_lock;

/* Guarded by g_lock. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct control g_ctl = { .present = 1 };
static struct control g_next;  /* parse buffer */
static struct file_sig g_sig;
static int g_sig_valid;
static int g_stat_errno_reported;
static char g_control_error[MAX_LINE + 64];
static int g_reinsert_pending;
static int g_initialized;
static unsigned long long g_counts[FN_COUNT];
static unsigned long long g_count_gen;

/* Guarded by g_counts_lock (taken before g_lock, never after it). */
static pthread_mutex_t g_counts_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long g_written_gen;
static int g_counts_errno_reported;

static CK_FUNCTION_LIST g_list;

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */

static void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void shim_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    (void) vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void) fprintf(stderr, "faultshim: %s\n", buf);
}

static int fn_by_name(const char *name, enum shim_fn *out)
{
    int i;

    for (i = 0; i < FN_COUNT; i++) {
        if (strcmp(fn_names[i], name) == 0) {
            *out = (enum shim_fn) i;
            return 0;
        }
    }
    return -1;
}

/* Unsigned decimal or 0x-hex, the whole word; no sign, no blanks. */
static int parse_ull(const char *text, unsigned long long *out)
{
    char *end = NULL;
    unsigned long long v;

    if (text == NULL || text[0] < '0' || text[0] > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec req, rem;

    req.tv_sec = (time_t) (ms / 1000);
    req.tv_nsec = (long) (ms % 1000) * 1000000L;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
        req = rem;
    }
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
        *--end = '\0';
    }
    return s;
}

/* ------------------------------------------------------------------------ */
/* configuration (.conf next to the shim) and loading the real module        */

/* Reads key=value lines; a missing file is not an error. */
static int read_conf(const char *path, char **module, char **control)
{
    FILE *f;
    char line[PATH_MAX + 64];
    unsigned lineno = 0;
    int rc = 0;

    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT) {
            return 0;
        }
        shim_log("cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *s, *eq, *key, *value, **slot, *copy;

        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            shim_log("%s:%u: line too long", path, lineno);
            rc = -1;
            break;
        }
        s = strchr(line, '#');
        if (s != NULL) {
            *s = '\0';
        }
        s = trim(line);
        if (*s == '\0') {
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            shim_log("%s:%u: expected key=value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(s);
        value = trim(eq + 1);
        if (strcmp(key, "module") == 0) {
            slot = module;
        } else if (strcmp(key, "control") == 0) {
            slot = control;
        } else {
            shim_log("%s:%u: unknown key '%s' (known: module, control)", path, lineno, key);
            rc = -1;
            break;
        }
        if (*value == '\0') {
            shim_log("%s:%u: empty value for '%s'", path, lineno, key);
            rc = -1;
            break;
        }
        copy = strdup(value);
        if (copy == NULL) {
            shim_log("out of memory reading %s", path);
            rc = -1;
            break;
        }
        free(*slot);
        *slot = copy;
    }
    if (rc == 0 && ferror(f)) {
        shim_log("cannot read %s", path);
        rc = -1;
    }
    (void) fclose(f);
    return rc;
}

static int take_env(const char *name, char **slot)
{
    const char *value = secure_getenv(name);
    char *copy;

    if (value == NULL || *value == '\0') {
        return 0;
    }
    copy = strdup(value);
    if (copy == NULL) {
        shim_log("out of memory reading %s", name);
        return -1;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

static CK_RV load(void)
{
    Dl_info self;
    char conf[PATH_MAX];
    char *module = NULL;
    char *control = NULL;
    void *handle = NULL;
    CK_C_GetFunctionList get;
    pthread_rwlockattr_t attr;
    CK_RV rv;
    int n;

    if (dladdr((void *) &C_GetFunctionList, &self) == 0 || self.dli_fname == NULL) {
        shim_log("cannot find the shim's own path (dladdr failed)");
        return CKR_GENERAL_ERROR;
    }
    n = snprintf(conf, sizeof conf, "%s.conf", self.dli_fname);
    if (n < 0 || (size_t) n >= sizeof conf) {
        shim_log("path too long: %s.conf", self.dli_fname);
        return CKR_GENERAL_ERROR;
    }
    if (read_conf(conf, &module, &control) != 0
            || take_env("CUSTODY_FAULT_MODULE", &module) != 0
            || take_env("CUSTODY_FAULT_CONTROL", &control) != 0) {
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    if (module == NULL) {
        shim_log("no real module configured: write module=/path/to/module.so into %s"
                 " or set CUSTODY_FAULT_MODULE", conf);
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    handle = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        shim_log("cannot load module %s: %s", module, dlerror());
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    get = (CK_C_GetFunctionList) dlsym(handle, "C_GetFunctionList");
    if (get == NULL) {
        shim_log("%s has no C_GetFunctionList", module);
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    if (get == C_GetFunctionList) {
        shim_log("module=%s is the fault shim itself", module);
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    rv = get(&g_real);
    if (rv != CKR_OK || g_real == NULL) {
        shim_log("C_GetFunctionList of %s failed: %s (0x%lx)", module, custody_ckr_name(rv), rv);
        g_real = NULL;
        rv = rv == CKR_OK ? CKR_GENERAL_ERROR : rv;
        goto out;
    }
    if (pthread_rwlockattr_init(&attr) != 0) {
        shim_log("pthread_rwlockattr_init failed");
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    /* A re-insert must not starve behind a steady stream of signing threads. */
    (void) pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    n = pthread_rwlock_init(&g_fwd_lock, &attr);
    (void) pthread_rwlockattr_destroy(&attr);
    if (n != 0) {
        shim_log("pthread_rwlock_init failed: %s", strerror(n));
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    /* Our list has the 2.x layout whatever the real module speaks. */
    if (g_real->version.major == 2) {
        g_list.version = g_real->version;
    }
    if (control != NULL) {
        size_t len = strlen(control) + sizeof ".counts";
        g_counts_path = malloc(len);
        if (g_counts_path == NULL) {
            shim_log("out of memory");
            rv = CKR_HOST_MEMORY;
            goto out;
        }
        (void) snprintf(g_counts_path, len, "%s.counts", control);
        g_control_path = control;
        control = NULL;
    }
    g_handle = handle;
    handle = NULL;
    rv = CKR_OK;
out:
    if (handle != NULL) {
        (void) dlclose(handle);
    }
    free(module);
    free(control);
    return rv;
}

static void load_once(void)
{
    g_load_rv = load();
}

/* Runs when the application unloads the shim (pkcs11-tool does, at exit). */
__attribute__((destructor)) static void unload(void)
{
    free(g_control_path);
    g_control_path = NULL;
    free(g_counts_path);
    g_counts_path = NULL;
    if (g_load_rv == CKR_OK) {
        (void) pthread_rwlock_destroy(&g_fwd_lock);
    }
    /* A module still initialised may have threads of its own: leave it loaded then. */
    if (g_handle != NULL && !g_initialized) {
        (void) dlclose(g_handle);
        g_handle = NULL;
        g_real = NULL;
    }
}

/* ------------------------------------------------------------------------ */
/* control file                                                              */

static void control_init(struct control *c)
{
    memset(c, 0, sizeof *c);
    c->present = 1;
}

static int parse_rv(const char *text, CK_RV *rv, char *err, size_t errlen)
{
    if (custody_ckr_parse(text, rv) != 0) {
        (void) snprintf(err, errlen, "'%s' is not a CKR name or number", text);
        return -1;
    }
    if (*rv == CKR_OK) {
        (void) snprintf(err, errlen, "an injected fault cannot be CKR_OK");
        return -1;
    }
    return 0;
}

/* Optional trailing id=TEXT; it only makes the line's key distinct. */
static int check_id(char **w, int nw, int at, char *err, size_t errlen)
{
    if (nw == at) {
        return 0;
    }
    if (nw == at + 1 && strncmp(w[at], "id=", 3) == 0 && w[at][3] != '\0') {
        return 0;
    }
    (void) snprintf(err, errlen, "unexpected '%s'", w[at]);
    return -1;
}

static int add_rule(struct control *c, enum shim_fn fn, unsigned long long nth, CK_RV rv,
                    int always, const char *key, char *err, size_t errlen)
{
    struct fail_rule *r;

    if (c->nrules == MAX_RULES) {
        (void) snprintf(err, errlen, "more than %d fail rules", MAX_RULES);
        return -1;
    }
    r = &c->rules[c->nrules++];
    r->fn = fn;
    r->nth = nth;
    r->seen = 0;
    r->rv = rv;
    r->always = always;
    (void) snprintf(r->key, sizeof r->key, "%s", key);
    return 0;
}

static int parse_line(struct control *c, char *line, char *err, size_t errlen)
{
    char *w[MAX_WORDS + 1];
    char key[MAX_LINE];
    char *save = NULL, *tok, *hash;
    size_t used = 0;
    int nw = 0;
    enum shim_fn fn;
    unsigned long long num;
    CK_RV rv;

    hash = strchr(line, '#');
    if (hash != NULL) {
        *hash = '\0';
    }
    for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL; tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (nw == MAX_WORDS) {
            (void) snprintf(err, errlen, "too many words");
            return -1;
        }
        w[nw++] = tok;
    }
    if (nw == 0) {
        return 0;
    }
    key[0] = '\0';
    for (int i = 0; i < nw; i++) {
        int n = snprintf(key + used, sizeof key - used, "%s%s", i == 0 ? "" : " ", w[i]);
        if (n < 0 || (size_t) n >= sizeof key - used) {
            (void) snprintf(err, errlen, "line too long");
            return -1;
        }
        used += (size_t) n;
    }

    if (strcmp(w[0], "token") == 0) {
        if (nw < 2 || nw > 3 || (strcmp(w[1], "present") != 0 && strcmp(w[1], "absent") != 0)) {
            (void) snprintf(err, errlen, "expected: token present|absent [insertion=N]");
            return -1;
        }
        num = 0;
        if (nw == 3 && (strncmp(w[2], "insertion=", 10) != 0 || parse_ull(w[2] + 10, &num) != 0)) {
            (void) snprintf(err, errlen, "expected insertion=N, got '%s'", w[2]);
            return -1;
        }
        c->present = strcmp(w[1], "present") == 0;
        c->insertion = num;
        return 0;
    }
    if (strcmp(w[0], "fail") == 0) {
        int always;

        if (nw < 5) {
            (void) snprintf(err, errlen, "expected: fail FUNCTION N RV once|always [id=TEXT]");
            return -1;
        }
        if (fn_by_name(w[1], &fn) != 0) {
            (void) snprintf(err, errlen, "unknown function '%s'", w[1]);
            return -1;
        }
        if (parse_ull(w[2], &num) != 0 || num == 0) {
            (void) snprintf(err, errlen, "N must be a number >= 1, got '%s'", w[2]);
            return -1;
        }
        if (parse_rv(w[3], &rv, err, errlen) != 0) {
            return -1;
        }
        if (strcmp(w[4], "once") == 0) {
            always = 0;
        } else if (strcmp(w[4], "always") == 0) {
            always = 1;
        } else {
            (void) snprintf(err, errlen, "expected once or always, got '%s'", w[4]);
            return -1;
        }
        if (check_id(w, nw, 5, err, errlen) != 0) {
            return -1;
        }
        return add_rule(c, fn, num, rv, always, key, err, errlen);
    }
    if (strcmp(w[0], "login-fail") == 0) {
        if (nw < 2) {
            (void) snprintf(err, errlen, "expected: login-fail RV [id=TEXT]");
            return -1;
        }
        if (parse_rv(w[1], &rv, err, errlen) != 0 || check_id(w, nw, 2, err, errlen) != 0) {
            return -1;
        }
        return add_rule(c, FN_C_Login, 1, rv, 1, key, err, errlen);
    }
    if (strcmp(w[0], "latency") == 0) {
        if (nw != 3) {
            (void) snprintf(err, errlen, "expected: latency FUNCTION MS");
            return -1;
        }
        if (fn_by_name(w[1], &fn) != 0) {
            (void) snprintf(err, errlen, "unknown function '%s'", w[1]);
            return -1;
        }
        if (parse_ull(w[2], &num) != 0 || num > MAX_LATENCY_MS) {
            (void) snprintf(err, errlen, "MS must be 0..%lu, got '%s'", MAX_LATENCY_MS, w[2]);
            return -1;
        }
        c->latency_ms[fn] = (unsigned long) num;
        return 0;
    }
    if (strcmp(w[0], "token-flags") == 0) {
        if (nw != 3 || (strcmp(w[1], "set") != 0 && strcmp(w[1], "clear") != 0)
                || parse_ull(w[2], &num) != 0) {
            (void) snprintf(err, errlen, "expected: token-flags set|clear MASK");
            return -1;
        }
        if (strcmp(w[1], "set") == 0) {
            c->flags_set |= (CK_FLAGS) num;
        } else {
            c->flags_clear |= (CK_FLAGS) num;
        }
        return 0;
    }
    (void) snprintf(err, errlen, "unknown directive '%s'"
                    " (known: token, fail, login-fail, latency, token-flags)", w[0]);
    return -1;
}

static int parse_control(FILE *f, struct control *c, char *err, size_t errlen)
{
    char line[MAX_LINE];
    char msg[MAX_LINE];
    unsigned lineno = 0;

    control_init(c);
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            (void) snprintf(err, errlen, "line %u: longer than %d characters", lineno, MAX_LINE - 2);
            return -1;
        }
        if (parse_line(c, line, msg, sizeof msg) != 0) {
            (void) snprintf(err, errlen, "line %u: %s", lineno, msg);
            return -1;
        }
    }
    if (ferror(f)) {
        (void) snprintf(err, errlen, "read error");
        return -1;
    }
    return 0;
}

/* Installs g_next: carries rule counters over and notices a re-insert. */
static void control_apply_locked(void)
{
    int used[MAX_RULES] = { 0 };

    for (size_t i = 0; i < g_next.nrules; i++) {
        for (size_t j = 0; j < g_ctl.nrules; j++) {
            if (!used[j] && strcmp(g_next.rules[i].key, g_ctl.rules[j].key) == 0) {
                g_next.rules[i].seen = g_ctl.rules[j].seen;
                used[j] = 1;
                break;
            }
        }
    }
    if (g_sig_valid && g_next.present
            && (!g_ctl.present || g_next.insertion != g_ctl.insertion)) {
        g_reinsert_pending = 1;
    }
    g_ctl = g_next;
}

static void sig_from_stat(struct file_sig *sig, const struct stat *st)
{
    memset(sig, 0, sizeof *sig);
    sig->exists = 1;
    sig->dev = st->st_dev;
    sig->ino = st->st_ino;
    sig->size = st->st_size;
    sig->mtime = st->st_mtim;
    sig->ctime = st->st_ctim;
}

static int sig_equal(const struct file_sig *a, const struct file_sig *b)
{
    if (a->exists != b->exists) {
        return 0;
    }
    if (!a->exists) {
        return 1;
    }
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
        && a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec
        && a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void report_stat_error_locked(const char *what, int err)
{
    if (g_stat_errno_reported != err) {
        g_stat_errno_reported = err;
        shim_log("cannot %s control file %s: %s (previous control stays in force)",
                 what, g_control_path, strerror(err));
    }
}

/* Re-reads the control file if it changed since the last call. */
static void control_refresh_locked(void)
{
    struct stat st;
    struct file_sig sig;
    char err[MAX_LINE + 32];
    FILE *f;
    int fd;

    if (g_control_path == NULL) {
        return;
    }
    memset(&sig, 0, sizeof sig);
    if (stat(g_control_path, &st) == 0) {
        sig_from_stat(&sig, &st);
    } else if (errno != ENOENT) {
        report_stat_error_locked("stat", errno);
        return;
    }
    if (g_sig_valid && sig_equal(&sig, &g_sig)) {
        return;
    }
    g_stat_errno_reported = 0;
    fd = sig.exists ? open(g_control_path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 && sig.exists && errno != ENOENT) {
        report_stat_error_locked("open", errno);
        return;
    }
    if (fd < 0) {
        /* No file: no faults, token present. */
        memset(&sig, 0, sizeof sig);
        control_init(&g_next);
        control_apply_locked();
        g_control_error[0] = '\0';
        g_sig = sig;
        g_sig_valid = 1;
        return;
    }
    if (fstat(fd, &st) != 0) {
        report_stat_error_locked("fstat", errno);
        (void) close(fd);
        return;
    }
    sig_from_stat(&sig, &st);  /* describe the version we actually read */
    f = fdopen(fd, "r");
    if (f == NULL) {
        report_stat_error_locked("read", errno);
        (void) close(fd);
        return;
    }
    if (parse_control(f, &g_next, err, sizeof err) == 0) {
        control_apply_locked();
        g_control_error[0] = '\0';
    } else {
        (void) snprintf(g_control_error, sizeof g_control_error, "%s", err);
        shim_log("%s: %s (previous control stays in force)", g_control_path, err);
    }
    (void) fclose(f);
    g_sig = sig;
    g_sig_valid = 1;
}

/* Counts the call against every rule for fn; the first rule that fires wins. */
static CK_RV rules_match_locked(enum shim_fn fn)
{
    CK_RV hit = CKR_OK;

    for (size_t i = 0; i < g_ctl.nrules; i++) {
        struct fail_rule *r = &g_ctl.rules[i];

        if (r->fn != fn) {
            continue;
        }
        if (r->seen < ULLONG_MAX) {
            r->seen++;
        }
        if (hit == CKR_OK && (r->always ? r->seen >= r->nth : r->seen == r->nth)) {
            hit = r->rv;
        }
    }
    return hit;
}

/* ------------------------------------------------------------------------ */
/* counts file                                                               */

static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= cap - *len) {
        return -1;
    }
    *len += (size_t) n;
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Called with g_counts_lock held. Returns 0 or an errno value. */
static int write_counts(const unsigned long long *counts, const char *error)
{
    char buf[FN_COUNT * 48 + sizeof g_control_error + 64];
    char tmp[PATH_MAX];
    size_t len = 0;
    int fd, n, err;

    if (append(buf, sizeof buf, &len, "pid=%ld\n", (long) getpid()) != 0) {
        return ENAMETOOLONG;
    }
    for (int i = 0; i < FN_COUNT; i++) {
        if (counts[i] != 0 && append(buf, sizeof buf, &len, "%s=%llu\n", fn_names[i], counts[i]) != 0) {
            return ENOBUFS;
        }
    }
    if (error[0] != '\0' && append(buf, sizeof buf, &len, "error=%s\n", error) != 0) {
        return ENOBUFS;
    }
    n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", g_counts_path, (long) getpid());
    if (n < 0 || (size_t) n >= sizeof tmp) {
        return ENAMETOOLONG;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return errno;
    }
    if (write_all(fd, buf, len) != 0) {
        err = errno;
        (void) close(fd);
        (void) unlink(tmp);
        return err;
    }
    if (close(fd) != 0 || rename(tmp, g_counts_path) != 0) {
        err = errno;
        (void) unlink(tmp);
        return err;
    }
    return 0;
}

/* Publishes the counts if they changed; concurrent callers share one write. */
static void counts_flush(void)
{
    unsigned long long snap[FN_COUNT];
    char error[sizeof g_control_error];
    unsigned long long gen;
    int err;

    if (g_counts_path == NULL) {
        return;
    }
    if (pthread_mutex_lock(&g_counts_lock) != 0) {
        return;
    }
    (void) pthread_mutex_lock(&g_lock);
    gen = g_count_gen;
    if (gen == g_written_gen) {
        (void) pthread_mutex_unlock(&g_lock);
        (void) pthread_mutex_unlock(&g_counts_lock);
        return;
    }
    memcpy(snap, g_counts, sizeof snap);
    memcpy(error, g_control_error, sizeof error);
    (void) pthread_mutex_unlock(&g_lock);

    err = write_counts(snap, error);
    if (err == 0) {
        g_written_gen = gen;
        g_counts_errno_reported = 0;
    } else if (err != g_counts_errno_reported) {
        g_counts_errno_reported = err;
        shim_log("cannot write counts file %s: %s", g_counts_path, strerror(err));
    }
    (void) pthread_mutex_unlock(&g_counts_lock);
}

/* ------------------------------------------------------------------------ */
/* the call protocol shared by every forwarder                               */

enum gate {
    GATE_NONE,     /* works without a token */
    GATE_SLOT,     /* needs the token: CKR_TOKEN_NOT_PRESENT while absent */
    GATE_SESSION,  /* uses a session: CKR_DEVICE_REMOVED while absent */
};

struct call {
    CK_RV rv;          /* CKR_OK: forward; otherwise return this */
    int injected;      /* rv comes from a fail rule */
    int absent;        /* the token was absent when the call began */
    int locked;        /* holds g_fwd_lock for reading */
    CK_FLAGS flags_set;
    CK_FLAGS flags_clear;
};

/* Closes every real session, with g_fwd_lock held for writing. */
static void reinsert_token(void)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG count = 0;
    CK_RV rv = CKR_OK;
    int pending, initialized, err;

    err = pthread_rwlock_wrlock(&g_fwd_lock);
    if (err != 0) {
        shim_log("re-insert: cannot lock: %s", strerror(err));
        return;
    }
    (void) pthread_mutex_lock(&g_lock);
    pending = g_reinsert_pending;
    initialized = g_initialized;
    g_reinsert_pending = 0;
    (void) pthread_mutex_unlock(&g_lock);

    if (pending && initialized) {
        for (int attempt = 0; attempt < 4; attempt++) {
            rv = g_real->C_GetSlotList(CK_FALSE, NULL, &count);
            if (rv != CKR_OK || count == 0) {
                break;
            }
            free(slots);
            slots = calloc(count, sizeof *slots);
            if (slots == NULL) {
                rv = CKR_HOST_MEMORY;
                break;
            }
            rv = g_real->C_GetSlotList(CK_FALSE, slots, &count);
            if (rv != CKR_BUFFER_TOO_SMALL) {
                break;  /* a slot appeared in between: ask again */
            }
        }
        if (rv == CKR_OK) {
            for (CK_ULONG i = 0; i < count && slots != NULL; i++) {
                (void) g_real->C_CloseAllSessions(slots[i]);
            }
        } else {
            shim_log("re-insert: C_GetSlotList failed: %s (0x%lx); old sessions stay open",
                     custody_ckr_name(rv), rv);
        }
        free(slots);
    }
    (void) pthread_rwlock_unlock(&g_fwd_lock);
}

static void call_enter(struct call *c, enum shim_fn fn, enum gate gate)
{
    unsigned long latency;
    int reinsert;
    CK_RV inject;

    memset(c, 0, sizeof *c);
    (void) pthread_mutex_lock(&g_lock);
    control_refresh_locked();
    g_counts[fn]++;
    g_count_gen++;
    inject = rules_match_locked(fn);
    latency = g_ctl.latency_ms[fn];
    c->absent = !g_ctl.present;
    c->flags_set = g_ctl.flags_set;
    c->flags_clear = g_ctl.flags_clear;
    reinsert = g_reinsert_pending;
    (void) pthread_mutex_unlock(&g_lock);

    if (reinsert) {
        reinsert_token();
    }
    if (latency > 0) {
        sleep_ms(latency);
    }
    if (inject != CKR_OK) {
        c->rv = inject;
        c->injected = 1;
    } else if (c->absent && gate == GATE_SLOT) {
        c->rv = CKR_TOKEN_NOT_PRESENT;
    } else if (c->absent && gate == GATE_SESSION) {
        c->rv = CKR_DEVICE_REMOVED;
    }
    /* C_WaitForSlotEvent may block for ever; it must not hold off a re-insert. */
    if (fn != FN_C_WaitForSlotEvent && pthread_rwlock_rdlock(&g_fwd_lock) == 0) {
        c->locked = 1;
    }
}

static void call_leave(struct call *c)
{
    if (c->locked) {
        (void) pthread_rwlock_unlock(&g_fwd_lock);
    }
    counts_flush();
}

/* Ends an active single-part operation (C_Sign, C_Encrypt, ...) whose call got
 * an injected fault, writing into a scratch buffer that is wiped afterwards. */
typedef CK_RV (*io_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*final_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR);

static void end_io(io_fn f, CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len)
{
    CK_ULONG len = 0, cap;
    CK_BYTE_PTR buf;

    if (f(s, in, in_len, NULL, &len) != CKR_OK) {
        return;  /* the error already ended the operation */
    }
    cap = len > 0 ? len : 1;
    buf = malloc(cap);
    if (buf == NULL) {
        return;
    }
    len = cap;
    (void) f(s, in, in_len, buf, &len);
    explicit_bzero(buf, cap);
    free(buf);
}

static void end_final(final_fn f, CK_SESSION_HANDLE s)
{
    CK_ULONG len = 0, cap;
    CK_BYTE_PTR buf;

    if (f(s, NULL, &len) != CKR_OK) {
        return;
    }
    cap = len > 0 ? len : 1;
    buf = malloc(cap);
    if (buf == NULL) {
        return;
    }
    len = cap;
    (void) f(s, buf, &len);
    explicit_bzero(buf, cap);
    free(buf);
}

static void end_verify(CK_SESSION_HANDLE s)
{
    CK_BYTE dummy = 0;

    (void) g_real->C_VerifyFinal(s, &dummy, 1);  /* any error ends the operation */
}

/* Plain forwarding. */
#define FORWARD(name, gate, args)                                  \
    struct call c;                                                 \
    CK_RV rv;                                                      \
    call_enter(&c, FN_##name, gate);                               \
    rv = c.rv == CKR_OK ? g_real->name args : c.rv;                \
    call_leave(&c);                                                \
    return rv

/* Forwarding for a call that may end an operation: an injected fault ends it. */
#define FORWARD_ENDING(name, args, end_stmt)                       \
    struct call c;                                                 \
    CK_RV rv;                                                      \
    call_enter(&c, FN_##name, GATE_SESSION);                       \
    if (c.rv == CKR_OK) {                                          \
        rv = g_real->name args;                                    \
    } else {                                                       \
        if (c.injected) {                                          \
            end_stmt;                                              \
        }                                                          \
        rv = c.rv;                                                 \
    }                                                              \
    call_leave(&c);                                                \
    return rv

/* ------------------------------------------------------------------------ */
/* general-purpose, slot and token functions                                 */

static CK_RV shim_C_Initialize(CK_VOID_PTR init_args)
{
    struct call c;
    CK_RV rv;

    call_enter(&c, FN_C_Initialize, GATE_NONE);
    rv = c.rv == CKR_OK ? g_real->C_Initialize(init_args) : c.rv;
    if (c.rv == CKR_OK && (rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
        (void) pthread_mutex_lock(&g_lock);
        g_initialized = 1;
        (void) pthread_mutex_unlock(&g_lock);
    }
    call_leave(&c);
    return rv;
}

static CK_RV shim_C_Finalize(CK_VOID_PTR reserved)
{
    struct call c;
    CK_RV rv;

    call_enter(&c, FN_C_Finalize, GATE_NONE);
    rv = c.rv == CKR_OK ? g_real->C_Finalize(reserved) : c.rv;
    if (c.rv == CKR_OK && rv == CKR_OK) {
        (void) pthread_mutex_lock(&g_lock);
        g_initialized = 0;
        (void) pthread_mutex_unlock(&g_lock);
    }
    call_leave(&c);
    return rv;
}

static CK_RV shim_C_GetInfo(CK_INFO_PTR info)
{
    FORWARD(C_GetInfo, GATE_NONE, (info));
}

static CK_RV shim_C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR slots, CK_ULONG_PTR count)
{
    struct call c;
    CK_RV rv;

    call_enter(&c, FN_C_GetSlotList, GATE_NONE);
    if (c.rv != CKR_OK) {
        rv = c.rv;
    } else if (c.absent && token_present) {
        /* No slot holds a token. */
        if (count == NULL) {
            rv = CKR_ARGUMENTS_BAD;
        } else {
            *count = 0;
            rv = CKR_OK;
        }
    } else {
        rv = g_real->C_GetSlotList(token_present, slots, count);
    }
    call_leave(&c);
    return rv;
}

static CK_RV shim_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
    struct call c;
    CK_RV rv;

    call_enter(&c, FN_C_GetSlotInfo, GATE_NONE);
    rv = c.rv == CKR_OK ? g_real->C_GetSlotInfo(slot, info) : c.rv;
    if (c.rv == CKR_OK && rv == CKR_OK && c.absent && info != NULL) {
        info->flags &= ~(CK_FLAGS) CKF_TOKEN_PRESENT;
    }
    call_leave(&c);
    return rv;
}

static CK_RV shim_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    struct call c;
    CK_RV rv;

    call_enter(&c, FN_C_GetTokenInfo, GATE_SLOT);
    rv = c.rv == CKR_OK ? g_real->C_GetTokenInfo(slot, info) : c.rv;
    if (c.rv == CKR_OK && rv == CKR_OK && info != NULL) {
        info->flags = (info->flags | c.flags_set) & ~c.flags_clear;
    }
    call_leave(&c);
    return rv;
}

static CK_RV shim_C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
    FORWARD(C_WaitForSlotEvent, GATE_NONE, (flags, slot, reserved));
}

static CK_RV shim_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
    FORWARD(C_GetMechanismList, GATE_SLOT, (slot, list, count));
}

static CK_RV shim_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
    FORWARD(C_GetMechanismInfo, GATE_SLOT, (slot, type, info));
}

static CK_RV shim_C_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, CK_UTF8CHAR_PTR label)
{
    FORWARD(C_InitToken, GATE_SLOT, (slot, pin, pin_len, label));
}

static CK_RV shim_C_InitPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
    FORWARD(C_InitPIN, GATE_SESSION, (s, pin, pin_len));
}

static CK_RV shim_C_SetPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                           CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
    FORWARD(C_SetPIN, GATE_SESSION, (s, old_pin, old_len, new_pin, new_len));
}

/* ------------------------------------------------------------------------ */
/* session management                                                        */

static CK_RV shim_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                                CK_SESSION_HANDLE_PTR session)
{
    FORWARD(C_OpenSession, GATE_SLOT, (slot, flags, app, notify, session));
}

static CK_RV shim_C_CloseSession(CK_SESSION_HANDLE s)
{
    FORWARD(C_CloseSession, GATE_NONE, (s));
}

static CK_RV shim_C_CloseAllSessions(CK_SLOT_ID slot)
{
    FORWARD(C_CloseAllSessions, GATE_NONE, (slot));
}

static CK_RV shim_C_GetSessionInfo(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR info)
{
    FORWARD(C_GetSessionInfo, GATE_SESSION, (s, info));
}

static CK_RV shim_C_GetOperationState(CK_SESSION_HANDLE s, CK_BYTE_PTR state, CK_ULONG_PTR state_len)
{
    FORWARD(C_GetOperationState, GATE_SESSION, (s, state, state_len));
}

static CK_RV shim_C_SetOperationState(CK_SESSION_HANDLE s, CK_BYTE_PTR state, CK_ULONG state_len,
                                      CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key)
{
    FORWARD(C_SetOperationState, GATE_SESSION, (s, state, state_len, enc_key, auth_key));
}

static CK_RV shim_C_Login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
    FORWARD(C_Login, GATE_SLOT, (s, user, pin, pin_len));
}

static CK_RV shim_C_Logout(CK_SESSION_HANDLE s)
{
    FORWARD(C_Logout, GATE_SESSION, (s));
}

/* ------------------------------------------------------------------------ */
/* objects                                                                   */

static CK_RV shim_C_CreateObject(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR templ, CK_ULONG count,
                                 CK_OBJECT_HANDLE_PTR object)
{
    FORWARD(C_CreateObject, GATE_SESSION, (s, templ, count, object));
}

static CK_RV shim_C_CopyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ,
                               CK_ULONG count, CK_OBJECT_HANDLE_PTR new_object)
{
    FORWARD(C_CopyObject, GATE_SESSION, (s, object, templ, count, new_object));
}

static CK_RV shim_C_DestroyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object)
{
    FORWARD(C_DestroyObject, GATE_SESSION, (s, object));
}

static CK_RV shim_C_GetObjectSize(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object, CK_ULONG_PTR size)
{
    FORWARD(C_GetObjectSize, GATE_SESSION, (s, object, size));
}

static CK_RV shim_C_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ,
                                      CK_ULONG count)
{
    FORWARD(C_GetAttributeValue, GATE_SESSION, (s, object, templ, count));
}

static CK_RV shim_C_SetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ,
                                      CK_ULONG count)
{
    FORWARD(C_SetAttributeValue, GATE_SESSION, (s, object, templ, count));
}

static CK_RV shim_C_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR templ, CK_ULONG count)
{
    FORWARD(C_FindObjectsInit, GATE_SESSION, (s, templ, count));
}

static CK_RV shim_C_FindObjects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max,
                                CK_ULONG_PTR count)
{
    FORWARD(C_FindObjects, GATE_SESSION, (s, objects, max, count));
}

static CK_RV shim_C_FindObjectsFinal(CK_SESSION_HANDLE s)
{
    FORWARD(C_FindObjectsFinal, GATE_SESSION, (s));
}

/* ------------------------------------------------------------------------ */
/* encryption and decryption                                                 */

static CK_RV shim_C_EncryptInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    FORWARD(C_EncryptInit, GATE_SESSION, (s, mech, key));
}

static CK_RV shim_C_Encrypt(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                            CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_Encrypt, (s, in, in_len, out, out_len), end_io(g_real->C_Encrypt, s, in, in_len));
}

static CK_RV shim_C_EncryptUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                                  CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_EncryptUpdate, (s, in, in_len, out, out_len), end_final(g_real->C_EncryptFinal, s));
}

static CK_RV shim_C_EncryptFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_EncryptFinal, (s, out, out_len), end_final(g_real->C_EncryptFinal, s));
}

static CK_RV shim_C_DecryptInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    FORWARD(C_DecryptInit, GATE_SESSION, (s, mech, key));
}

static CK_RV shim_C_Decrypt(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                            CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_Decrypt, (s, in, in_len, out, out_len), end_io(g_real->C_Decrypt, s, in, in_len));
}

static CK_RV shim_C_DecryptUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                                  CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_DecryptUpdate, (s, in, in_len, out, out_len), end_final(g_real->C_DecryptFinal, s));
}

static CK_RV shim_C_DecryptFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_DecryptFinal, (s, out, out_len), end_final(g_real->C_DecryptFinal, s));
}

/* ------------------------------------------------------------------------ */
/* message digesting                                                         */

static CK_RV shim_C_DigestInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech)
{
    FORWARD(C_DigestInit, GATE_SESSION, (s, mech));
}

static CK_RV shim_C_Digest(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                           CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_Digest, (s, in, in_len, out, out_len), end_io(g_real->C_Digest, s, in, in_len));
}

static CK_RV shim_C_DigestUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len)
{
    FORWARD_ENDING(C_DigestUpdate, (s, part, part_len), end_final(g_real->C_DigestFinal, s));
}

static CK_RV shim_C_DigestKey(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
    FORWARD_ENDING(C_DigestKey, (s, key), end_final(g_real->C_DigestFinal, s));
}

static CK_RV shim_C_DigestFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD_ENDING(C_DigestFinal, (s, out, out_len), end_final(g_real->C_DigestFinal, s));
}

/* ------------------------------------------------------------------------ */
/* signing and MACing                                                        */

static CK_RV shim_C_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    FORWARD(C_SignInit, GATE_SESSION, (s, mech, key));
}

static CK_RV shim_C_Sign(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
                         CK_ULONG_PTR sig_len)
{
    FORWARD_ENDING(C_Sign, (s, data, data_len, sig, sig_len), end_io(g_real->C_Sign, s, data, data_len));
}

static CK_RV shim_C_SignUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len)
{
    FORWARD_ENDING(C_SignUpdate, (s, part, part_len), end_final(g_real->C_SignFinal, s));
}

static CK_RV shim_C_SignFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    FORWARD_ENDING(C_SignFinal, (s, sig, sig_len), end_final(g_real->C_SignFinal, s));
}

static CK_RV shim_C_SignRecoverInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    FORWARD(C_SignRecoverInit, GATE_SESSION, (s, mech, key));
}

static CK_RV shim_C_SignRecover(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
                                CK_ULONG_PTR sig_len)
{
    FORWARD_ENDING(C_SignRecover, (s, data, data_len, sig, sig_len),
                   end_io(g_real->C_SignRecover, s, data, data_len));
}

/* ------------------------------------------------------------------------ */
/* verifying signatures and MACs                                             */

static CK_RV shim_C_VerifyInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    FORWARD(C_VerifyInit, GATE_SESSION, (s, mech, key));
}

static CK_RV shim_C_Verify(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
                           CK_ULONG sig_len)
{
    /* No output: forwarding the call itself ends the operation. */
    FORWARD_ENDING(C_Verify, (s, data, data_len, sig, sig_len),
                   (void) g_real->C_Verify(s, data, data_len, sig, sig_len));
}

static CK_RV shim_C_VerifyUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len)
{
    FORWARD_ENDING(C_VerifyUpdate, (s, part, part_len), end_verify(s));
}

static CK_RV shim_C_VerifyFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    FORWARD_ENDING(C_VerifyFinal, (s, sig, sig_len), (void) g_real->C_VerifyFinal(s, sig, sig_len));
}

static CK_RV shim_C_VerifyRecoverInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    FORWARD(C_VerifyRecoverInit, GATE_SESSION, (s, mech, key));
}

static CK_RV shim_C_VerifyRecover(CK_SESSION_HANDLE s, CK_BYTE_PTR sig, CK_ULONG sig_len, CK_BYTE_PTR data,
                                  CK_ULONG_PTR data_len)
{
    FORWARD_ENDING(C_VerifyRecover, (s, sig, sig_len, data, data_len),
                   end_io(g_real->C_VerifyRecover, s, sig, sig_len));
}

/* ------------------------------------------------------------------------ */
/* dual-function cryptographic operations                                    */

static CK_RV shim_C_DigestEncryptUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len,
                                        CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD(C_DigestEncryptUpdate, GATE_SESSION, (s, in, in_len, out, out_len));
}

static CK_RV shim_C_DecryptDigestUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len,
                                        CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD(C_DecryptDigestUpdate, GATE_SESSION, (s, in, in_len, out, out_len));
}

static CK_RV shim_C_SignEncryptUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len,
                                      CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD(C_SignEncryptUpdate, GATE_SESSION, (s, in, in_len, out, out_len));
}

static CK_RV shim_C_DecryptVerifyUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len,
                                        CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    FORWARD(C_DecryptVerifyUpdate, GATE_SESSION, (s, in, in_len, out, out_len));
}

/* ------------------------------------------------------------------------ */
/* key management                                                            */

static CK_RV shim_C_GenerateKey(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR templ,
                                CK_ULONG count, CK_OBJECT_HANDLE_PTR key)
{
    FORWARD(C_GenerateKey, GATE_SESSION, (s, mech, templ, count, key));
}

static CK_RV shim_C_GenerateKeyPair(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech,
                                    CK_ATTRIBUTE_PTR pub_templ, CK_ULONG pub_count,
                                    CK_ATTRIBUTE_PTR priv_templ, CK_ULONG priv_count,
                                    CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key)
{
    FORWARD(C_GenerateKeyPair, GATE_SESSION,
            (s, mech, pub_templ, pub_count, priv_templ, priv_count, pub_key, priv_key));
}

static CK_RV shim_C_WrapKey(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE wrapping_key,
                            CK_OBJECT_HANDLE key, CK_BYTE_PTR wrapped, CK_ULONG_PTR wrapped_len)
{
    FORWARD(C_WrapKey, GATE_SESSION, (s, mech, wrapping_key, key, wrapped, wrapped_len));
}

static CK_RV shim_C_UnwrapKey(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE unwrapping_key,
                              CK_BYTE_PTR wrapped, CK_ULONG wrapped_len, CK_ATTRIBUTE_PTR templ,
                              CK_ULONG count, CK_OBJECT_HANDLE_PTR key)
{
    FORWARD(C_UnwrapKey, GATE_SESSION, (s, mech, unwrapping_key, wrapped, wrapped_len, templ, count, key));
}

static CK_RV shim_C_DeriveKey(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE base_key,
                              CK_ATTRIBUTE_PTR templ, CK_ULONG count, CK_OBJECT_HANDLE_PTR key)
{
    FORWARD(C_DeriveKey, GATE_SESSION, (s, mech, base_key, templ, count, key));
}

/* ------------------------------------------------------------------------ */
/* random numbers and legacy functions                                       */

static CK_RV shim_C_SeedRandom(CK_SESSION_HANDLE s, CK_BYTE_PTR seed, CK_ULONG seed_len)
{
    FORWARD(C_SeedRandom, GATE_SESSION, (s, seed, seed_len));
}

static CK_RV shim_C_GenerateRandom(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG out_len)
{
    FORWARD(C_GenerateRandom, GATE_SESSION, (s, out, out_len));
}

static CK_RV shim_C_GetFunctionStatus(CK_SESSION_HANDLE s)
{
    FORWARD(C_GetFunctionStatus, GATE_SESSION, (s));
}

static CK_RV shim_C_CancelFunction(CK_SESSION_HANDLE s)
{
    FORWARD(C_CancelFunction, GATE_SESSION, (s));
}

/* ------------------------------------------------------------------------ */
/* the function list, and the one exported symbol                            */

static CK_FUNCTION_LIST g_list = {
    .version = { 2, 40 },
    .C_Initialize = shim_C_Initialize,
    .C_Finalize = shim_C_Finalize,
    .C_GetInfo = shim_C_GetInfo,
    .C_GetFunctionList = C_GetFunctionList,
    .C_GetSlotList = shim_C_GetSlotList,
    .C_GetSlotInfo = shim_C_GetSlotInfo,
    .C_GetTokenInfo = shim_C_GetTokenInfo,
    .C_GetMechanismList = shim_C_GetMechanismList,
    .C_GetMechanismInfo = shim_C_GetMechanismInfo,
    .C_InitToken = shim_C_InitToken,
    .C_InitPIN = shim_C_InitPIN,
    .C_SetPIN = shim_C_SetPIN,
    .C_OpenSession = shim_C_OpenSession,
    .C_CloseSession = shim_C_CloseSession,
    .C_CloseAllSessions = shim_C_CloseAllSessions,
    .C_GetSessionInfo = shim_C_GetSessionInfo,
    .C_GetOperationState = shim_C_GetOperationState,
    .C_SetOperationState = shim_C_SetOperationState,
    .C_Login = shim_C_Login,
    .C_Logout = shim_C_Logout,
    .C_CreateObject = shim_C_CreateObject,
    .C_CopyObject = shim_C_CopyObject,
    .C_DestroyObject = shim_C_DestroyObject,
    .C_GetObjectSize = shim_C_GetObjectSize,
    .C_GetAttributeValue = shim_C_GetAttributeValue,
    .C_SetAttributeValue = shim_C_SetAttributeValue,
    .C_FindObjectsInit = shim_C_FindObjectsInit,
    .C_FindObjects = shim_C_FindObjects,
    .C_FindObjectsFinal = shim_C_FindObjectsFinal,
    .C_EncryptInit = shim_C_EncryptInit,
    .C_Encrypt = shim_C_Encrypt,
    .C_EncryptUpdate = shim_C_EncryptUpdate,
    .C_EncryptFinal = shim_C_EncryptFinal,
    .C_DecryptInit = shim_C_DecryptInit,
    .C_Decrypt = shim_C_Decrypt,
    .C_DecryptUpdate = shim_C_DecryptUpdate,
    .C_DecryptFinal = shim_C_DecryptFinal,
    .C_DigestInit = shim_C_DigestInit,
    .C_Digest = shim_C_Digest,
    .C_DigestUpdate = shim_C_DigestUpdate,
    .C_DigestKey = shim_C_DigestKey,
    .C_DigestFinal = shim_C_DigestFinal,
    .C_SignInit = shim_C_SignInit,
    .C_Sign = shim_C_Sign,
    .C_SignUpdate = shim_C_SignUpdate,
    .C_SignFinal = shim_C_SignFinal,
    .C_SignRecoverInit = shim_C_SignRecoverInit,
    .C_SignRecover = shim_C_SignRecover,
    .C_VerifyInit = shim_C_VerifyInit,
    .C_Verify = shim_C_Verify,
    .C_VerifyUpdate = shim_C_VerifyUpdate,
    .C_VerifyFinal = shim_C_VerifyFinal,
    .C_VerifyRecoverInit = shim_C_VerifyRecoverInit,
    .C_VerifyRecover = shim_C_VerifyRecover,
    .C_DigestEncryptUpdate = shim_C_DigestEncryptUpdate,
    .C_DecryptDigestUpdate = shim_C_DecryptDigestUpdate,
    .C_SignEncryptUpdate = shim_C_SignEncryptUpdate,
    .C_DecryptVerifyUpdate = shim_C_DecryptVerifyUpdate,
    .C_GenerateKey = shim_C_GenerateKey,
    .C_GenerateKeyPair = shim_C_GenerateKeyPair,
    .C_WrapKey = shim_C_WrapKey,
    .C_UnwrapKey = shim_C_UnwrapKey,
    .C_DeriveKey = shim_C_DeriveKey,
    .C_SeedRandom = shim_C_SeedRandom,
    .C_GenerateRandom = shim_C_GenerateRandom,
    .C_GetFunctionStatus = shim_C_GetFunctionStatus,
    .C_CancelFunction = shim_C_CancelFunction,
    .C_WaitForSlotEvent = shim_C_WaitForSlotEvent,
};

__attribute__((visibility("default")))
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    struct call c;
    CK_RV rv;

    if (pthread_once(&g_once, load_once) != 0) {
        return CKR_GENERAL_ERROR;
    }
    if (g_load_rv != CKR_OK) {
        return g_load_rv;
    }
    call_enter(&c, FN_C_GetFunctionList, GATE_NONE);
    if (c.rv != CKR_OK) {
        rv = c.rv;
    } else if (list == NULL) {
        rv = CKR_ARGUMENTS_BAD;
    } else {
        *list = &g_list;
        rv = CKR_OK;
    }
    call_leave(&c);
    return rv;
}
