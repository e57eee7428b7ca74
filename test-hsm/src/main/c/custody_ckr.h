/*
 * custody_ckr.h: CKR code <-> name table shared by the C programs of
 * custody-test-hsm (faultshim.c, signbench.c and the test probe).
 *
 * Include after <p11-kit/pkcs11.h>. Every function here is static, so each
 * program gets its own copy and no symbol is exported from the fault shim.
 */
#ifndef CUSTODY_CKR_H
#define CUSTODY_CKR_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct custody_ckr_name {
    CK_RV rv;
    const char *name;
};

#define CUSTODY_CKR(x) { x, #x }
static const struct custody_ckr_name custody_ckr_names[] = {
    CUSTODY_CKR(CKR_OK),
    CUSTODY_CKR(CKR_CANCEL),
    CUSTODY_CKR(CKR_HOST_MEMORY),
    CUSTODY_CKR(CKR_SLOT_ID_INVALID),
    CUSTODY_CKR(CKR_GENERAL_ERROR),
    CUSTODY_CKR(CKR_FUNCTION_FAILED),
    CUSTODY_CKR(CKR_ARGUMENTS_BAD),
    CUSTODY_CKR(CKR_NO_EVENT),
    CUSTODY_CKR(CKR_CANT_LOCK),
    CUSTODY_CKR(CKR_ATTRIBUTE_READ_ONLY),
    CUSTODY_CKR(CKR_ATTRIBUTE_SENSITIVE),
    CUSTODY_CKR(CKR_ATTRIBUTE_TYPE_INVALID),
    CUSTODY_CKR(CKR_ATTRIBUTE_VALUE_INVALID),
    CUSTODY_CKR(CKR_ACTION_PROHIBITED),
    CUSTODY_CKR(CKR_DATA_INVALID),
    CUSTODY_CKR(CKR_DATA_LEN_RANGE),
    CUSTODY_CKR(CKR_DEVICE_ERROR),
    CUSTODY_CKR(CKR_DEVICE_MEMORY),
    CUSTODY_CKR(CKR_DEVICE_REMOVED),
    CUSTODY_CKR(CKR_FUNCTION_CANCELED),
    CUSTODY_CKR(CKR_FUNCTION_NOT_PARALLEL),
    CUSTODY_CKR(CKR_FUNCTION_NOT_SUPPORTED),
    CUSTODY_CKR(CKR_KEY_HANDLE_INVALID),
    CUSTODY_CKR(CKR_KEY_SIZE_RANGE),
    CUSTODY_CKR(CKR_KEY_TYPE_INCONSISTENT),
    CUSTODY_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED),
    CUSTODY_CKR(CKR_KEY_UNEXTRACTABLE),
    CUSTODY_CKR(CKR_MECHANISM_INVALID),
    CUSTODY_CKR(CKR_MECHANISM_PARAM_INVALID),
    CUSTODY_CKR(CKR_OBJECT_HANDLE_INVALID),
    CUSTODY_CKR(CKR_OPERATION_ACTIVE),
    CUSTODY_CKR(CKR_OPERATION_NOT_INITIALIZED),
    CUSTODY_CKR(CKR_PIN_INCORRECT),
    CUSTODY_CKR(CKR_PIN_INVALID),
    CUSTODY_CKR(CKR_PIN_LEN_RANGE),
    CUSTODY_CKR(CKR_PIN_EXPIRED),
    CUSTODY_CKR(CKR_PIN_LOCKED),
    CUSTODY_CKR(CKR_SESSION_CLOSED),
    CUSTODY_CKR(CKR_SESSION_COUNT),
    CUSTODY_CKR(CKR_SESSION_HANDLE_INVALID),
    CUSTODY_CKR(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
    CUSTODY_CKR(CKR_SESSION_READ_ONLY),
    CUSTODY_CKR(CKR_SESSION_EXISTS),
    CUSTODY_CKR(CKR_SESSION_READ_ONLY_EXISTS),
    CUSTODY_CKR(CKR_SESSION_READ_WRITE_SO_EXISTS),
    CUSTODY_CKR(CKR_SIGNATURE_INVALID),
    CUSTODY_CKR(CKR_SIGNATURE_LEN_RANGE),
    CUSTODY_CKR(CKR_TEMPLATE_INCOMPLETE),
    CUSTODY_CKR(CKR_TEMPLATE_INCONSISTENT),
    CUSTODY_CKR(CKR_TOKEN_NOT_PRESENT),
    CUSTODY_CKR(CKR_TOKEN_NOT_RECOGNIZED),
    CUSTODY_CKR(CKR_TOKEN_WRITE_PROTECTED),
    CUSTODY_CKR(CKR_USER_ALREADY_LOGGED_IN),
    CUSTODY_CKR(CKR_USER_NOT_LOGGED_IN),
    CUSTODY_CKR(CKR_USER_PIN_NOT_INITIALIZED),
    CUSTODY_CKR(CKR_USER_TYPE_INVALID),
    CUSTODY_CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    CUSTODY_CKR(CKR_USER_TOO_MANY_TYPES),
    CUSTODY_CKR(CKR_RANDOM_NO_RNG),
    CUSTODY_CKR(CKR_DOMAIN_PARAMS_INVALID),
    CUSTODY_CKR(CKR_CURVE_NOT_SUPPORTED),
    CUSTODY_CKR(CKR_BUFFER_TOO_SMALL),
    CUSTODY_CKR(CKR_CRYPTOKI_NOT_INITIALIZED),
    CUSTODY_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    CUSTODY_CKR(CKR_MUTEX_BAD),
    CUSTODY_CKR(CKR_MUTEX_NOT_LOCKED),
    CUSTODY_CKR(CKR_PIN_TOO_WEAK),
    CUSTODY_CKR(CKR_PUBLIC_KEY_INVALID),
    CUSTODY_CKR(CKR_FUNCTION_REJECTED),
};
#undef CUSTODY_CKR

/* The CKR_ name of rv, or "CKR_?" when it is not in the table. */
static inline const char *custody_ckr_name(CK_RV rv)
{
    size_t i;
    for (i = 0; i < sizeof custody_ckr_names / sizeof custody_ckr_names[0]; i++) {
        if (custody_ckr_names[i].rv == rv) {
            return custody_ckr_names[i].name;
        }
    }
    return rv >= CKR_VENDOR_DEFINED ? "CKR_VENDOR_DEFINED" : "CKR_?";
}

/*
 * Parses a CKR code given as a name from the table ("CKR_PIN_INCORRECT") or
 * as a number ("0xA0", "160"). Returns 0 on success, -1 if text is neither.
 */
static inline int custody_ckr_parse(const char *text, CK_RV *out)
{
    size_t i;
    char *end = NULL;
    unsigned long long v;

    if (text == NULL || *text == '\0') {
        return -1;
    }
    for (i = 0; i < sizeof custody_ckr_names / sizeof custody_ckr_names[0]; i++) {
        if (strcmp(custody_ckr_names[i].name, text) == 0) {
            *out = custody_ckr_names[i].rv;
            return 0;
        }
    }
    if (text[0] < '0' || text[0] > '9') {
        return -1; /* no sign, no spaces: strtoull would accept "-1" */
    }
    errno = 0;
    v = strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0' || v > 0xFFFFFFFFULL) {
        return -1;
    }
    *out = (CK_RV) v;
    return 0;
}

#endif /* CUSTODY_CKR_H */
