/*
 * p11probe.c: drives a PKCS#11 module one command at a time, so a test can
 * change the fault shim's control file between two calls made by the same
 * process (sessions and login state live in the process).
 *
 * usage: p11probe MODULE        (user PIN in $PROBE_PIN; a test-only tool)
 *
 * Commands on stdin, one per line; each gets exactly one line on stdout:
 *   <command> rv=0x<hex> <CKR name> [key=value ...]
 *
 *   init                C_Initialize (CKF_OS_LOCKING_OK)
 *   find LABEL          C_GetSlotList(CK_TRUE) + C_GetTokenInfo; remembers the slot
 *   slots               C_GetSlotList(CK_TRUE)            -> count=N
 *   allslots            C_GetSlotList(CK_FALSE)           -> count=N
 *   slotinfo            C_GetSlotInfo(slot)               -> present=0|1
 *   tokeninfo           C_GetTokenInfo(slot)              -> flags=0x...
 *   open                C_OpenSession(slot, RW|SERIAL)    -> session=I (an index)
 *   login I             C_Login(CKU_USER) on session I
 *   sessioninfo I       C_GetSessionInfo                  -> state=N
 *   keygen I LABEL      C_GenerateKeyPair: token EC P-256 pair, remembered
 *   key I LABEL         finds the private key LABEL, remembered
 *   sign I              C_SignInit + C_Sign(CKM_ECDSA, 32 bytes) -> len=N (at=C_SignInit on failure there)
 *   close I             C_CloseSession
 *   finalize            C_Finalize
 *   quit                exits
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "custody_ckr.h"

#define MAX_SESSIONS 16

static const CK_BYTE P256_PARAMS[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE sessions[MAX_SESSIONS];
static int nsessions;
static CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;

static void reply(const char *cmd, CK_RV rv, const char *extra)
{
    printf("%s rv=0x%lx %s%s%s\n", cmd, rv, custody_ckr_name(rv), extra[0] ? " " : "", extra);
    fflush(stdout);
}

static int session_arg(const char *arg, CK_SESSION_HANDLE *out)
{
    char *end = NULL;
    long i;

    if (arg == NULL) {
        return -1;
    }
    i = strtol(arg, &end, 10);
    if (*end != '\0' || i < 0 || i >= nsessions) {
        return -1;
    }
    *out = sessions[i];
    return 0;
}

static int label_matches(const CK_UTF8CHAR *field, const char *label)
{
    size_t len = strlen(label);

    if (len > 32 || memcmp(field, label, len) != 0) {
        return 0;
    }
    for (size_t i = len; i < 32; i++) {
        if (field[i] != ' ') {
            return 0;
        }
    }
    return 1;
}

/* C_GetSlotList into a fresh array (caller frees); retries if a slot appears meanwhile. */
static CK_RV slot_list(CK_BBOOL present, CK_SLOT_ID **slots, CK_ULONG *count)
{
    CK_RV rv = CKR_OK;

    *slots = NULL;
    for (int attempt = 0; attempt < 4; attempt++) {
        rv = p11->C_GetSlotList(present, NULL, count);
        if (rv != CKR_OK) {
            return rv;
        }
        free(*slots);
        *slots = calloc(*count > 0 ? *count : 1, sizeof **slots);
        if (*slots == NULL) {
            return CKR_HOST_MEMORY;
        }
        rv = p11->C_GetSlotList(present, *slots, count);
        if (rv != CKR_BUFFER_TOO_SMALL) {
            break;
        }
    }
    if (rv != CKR_OK) {
        free(*slots);
        *slots = NULL;
    }
    return rv;
}

static void cmd_find(const char *label)
{
    CK_SLOT_ID *slots;
    CK_ULONG count = 0;
    CK_RV rv;

    if (label == NULL) {
        reply("find", CKR_ARGUMENTS_BAD, "");
        return;
    }
    rv = slot_list(CK_TRUE, &slots, &count);
    if (rv != CKR_OK) {
        reply("find", rv, "");
        return;
    }
    for (CK_ULONG i = 0; i < count; i++) {
        CK_TOKEN_INFO info;

        if (p11->C_GetTokenInfo(slots[i], &info) == CKR_OK && label_matches(info.label, label)) {
            slot = slots[i];
            free(slots);
            reply("find", CKR_OK, "");
            return;
        }
    }
    free(slots);
    reply("find", CKR_TOKEN_NOT_PRESENT, "not-found");
}

static void cmd_keygen(CK_SESSION_HANDLE s, const char *label)
{
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE pub_t[] = {
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_VERIFY, &yes, sizeof yes },
        { CKA_EC_PARAMS, (void *) P256_PARAMS, sizeof P256_PARAMS },
        { CKA_LABEL, (void *) label, strlen(label) },
    };
    CK_ATTRIBUTE priv_t[] = {
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },
        { CKA_EXTRACTABLE, &no, sizeof no },
        { CKA_SIGN, &yes, sizeof yes },
        { CKA_LABEL, (void *) label, strlen(label) },
    };
    CK_OBJECT_HANDLE pub;

    reply("keygen", p11->C_GenerateKeyPair(s, &mech, pub_t, 4, priv_t, 6, &pub, &key), "");
}

static void cmd_key(CK_SESSION_HANDLE s, const char *label)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_LABEL, (void *) label, strlen(label) },
    };
    CK_ULONG n = 0;
    CK_RV rv;

    rv = p11->C_FindObjectsInit(s, t, 2);
    if (rv == CKR_OK) {
        rv = p11->C_FindObjects(s, &key, 1, &n);
        (void) p11->C_FindObjectsFinal(s);
    }
    reply("key", rv == CKR_OK && n != 1 ? CKR_OBJECT_HANDLE_INVALID : rv, n == 1 ? "" : "not-found");
}

static void cmd_sign(CK_SESSION_HANDLE s)
{
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    CK_BYTE digest[32], sig[256];
    CK_ULONG len = sizeof sig;
    char extra[64];
    CK_RV rv;

    memset(digest, 0x5a, sizeof digest);
    rv = p11->C_SignInit(s, &mech, key);
    if (rv != CKR_OK) {
        reply("sign", rv, "at=C_SignInit");
        return;
    }
    rv = p11->C_Sign(s, digest, sizeof digest, sig, &len);
    if (rv != CKR_OK) {
        reply("sign", rv, "at=C_Sign");
        return;
    }
    (void) snprintf(extra, sizeof extra, "len=%lu", len);
    reply("sign", rv, extra);
}

int main(int argc, char **argv)
{
    char line[512];
    CK_C_GetFunctionList get;
    void *module;

    if (argc != 2) {
        fprintf(stderr, "usage: p11probe MODULE  (PIN in $PROBE_PIN)\n");
        return 2;
    }
    module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (module == NULL) {
        fprintf(stderr, "p11probe: %s\n", dlerror());
        return 1;
    }
    get = (CK_C_GetFunctionList) dlsym(module, "C_GetFunctionList");
    if (get == NULL || get(&p11) != CKR_OK) {
        fprintf(stderr, "p11probe: no usable C_GetFunctionList in %s\n", argv[1]);
        return 1;
    }
    while (fgets(line, sizeof line, stdin) != NULL) {
        char *save = NULL;
        char *cmd = strtok_r(line, " \t\r\n", &save);
        char *a1 = cmd ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        char *a2 = a1 ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
        char extra[64];
        CK_RV rv;

        if (cmd == NULL) {
            continue;
        }
        if (strcmp(cmd, "quit") == 0) {
            break;
        } else if (strcmp(cmd, "init") == 0) {
            CK_C_INITIALIZE_ARGS init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
            reply(cmd, p11->C_Initialize(&init), "");
        } else if (strcmp(cmd, "finalize") == 0) {
            reply(cmd, p11->C_Finalize(NULL), "");
        } else if (strcmp(cmd, "find") == 0) {
            cmd_find(a1);
        } else if (strcmp(cmd, "slots") == 0 || strcmp(cmd, "allslots") == 0) {
            CK_SLOT_ID *slots;
            CK_ULONG count = 0;
            rv = slot_list(strcmp(cmd, "slots") == 0 ? CK_TRUE : CK_FALSE, &slots, &count);
            free(slots);
            (void) snprintf(extra, sizeof extra, "count=%lu", rv == CKR_OK ? count : 0);
            reply(cmd, rv, extra);
        } else if (strcmp(cmd, "slotinfo") == 0) {
            CK_SLOT_INFO info;
            rv = p11->C_GetSlotInfo(slot, &info);
            (void) snprintf(extra, sizeof extra, "present=%d",
                            rv == CKR_OK && (info.flags & CKF_TOKEN_PRESENT) ? 1 : 0);
            reply(cmd, rv, extra);
        } else if (strcmp(cmd, "tokeninfo") == 0) {
            CK_TOKEN_INFO info;
            rv = p11->C_GetTokenInfo(slot, &info);
            (void) snprintf(extra, sizeof extra, "flags=0x%lx", rv == CKR_OK ? info.flags : 0UL);
            reply(cmd, rv, extra);
        } else if (strcmp(cmd, "open") == 0) {
            if (nsessions == MAX_SESSIONS) {
                reply(cmd, CKR_SESSION_COUNT, "");
                continue;
            }
            rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
            if (rv == CKR_OK) {
                sessions[nsessions] = s;
                (void) snprintf(extra, sizeof extra, "session=%d", nsessions++);
            } else {
                extra[0] = '\0';
            }
            reply(cmd, rv, extra);
        } else if (session_arg(a1, &s) != 0) {
            reply(cmd, CKR_ARGUMENTS_BAD, "bad-session-index");
        } else if (strcmp(cmd, "login") == 0) {
            const char *pin = getenv("PROBE_PIN");
            rv = pin == NULL ? CKR_ARGUMENTS_BAD
                             : p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) pin, (CK_ULONG) strlen(pin));
            reply(cmd, rv, "");
        } else if (strcmp(cmd, "sessioninfo") == 0) {
            CK_SESSION_INFO info;
            rv = p11->C_GetSessionInfo(s, &info);
            (void) snprintf(extra, sizeof extra, "state=%lu", rv == CKR_OK ? info.state : 99UL);
            reply(cmd, rv, extra);
        } else if (strcmp(cmd, "keygen") == 0 && a2 != NULL) {
            cmd_keygen(s, a2);
        } else if (strcmp(cmd, "key") == 0 && a2 != NULL) {
            cmd_key(s, a2);
        } else if (strcmp(cmd, "sign") == 0) {
            cmd_sign(s);
        } else if (strcmp(cmd, "close") == 0) {
            reply(cmd, p11->C_CloseSession(s), "");
        } else {
            reply(cmd, CKR_ARGUMENTS_BAD, "unknown-command");
        }
    }
    return 0;
}
