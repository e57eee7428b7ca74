/*
 * custody_json.h: the small JSON reader, JSON string writer and base64 codec that
 * libcustody-pkcs11.so needs for custodyd's JSON-lines protocol. Header-only
 * (static functions), included once by custody_pkcs11.c.
 */
#ifndef CUSTODY_JSON_H
#define CUSTODY_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype t;
    int b;           /* J_BOOL */
    double n;        /* J_NUM */
    char *s;         /* J_STR: NUL-terminated UTF-8 */
    size_t n_kids;   /* J_ARR, J_OBJ */
    struct jv **kids;
    char **keys;     /* J_OBJ: member names, parallel to kids */
};

#define JSON_MAX_DEPTH 32

static void json_free(struct jv *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->n_kids; i++) {
        json_free(v->kids[i]);
        if (v->keys != NULL) {
            free(v->keys[i]);
        }
    }
    free(v->kids);
    free(v->keys);
    free(v->s);
    free(v);
}

struct jcur {
    const char *p;
    const char *end;
};

static void json_ws(struct jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int json_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') {
            v |= (unsigned) (ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            v |= (unsigned) (ch - 'a' + 10);
        } else if (ch >= 'A' && ch <= 'F') {
            v |= (unsigned) (ch - 'A' + 10);
        } else {
            return -1;
        }
    }
    *out = v;
    return 0;
}

static size_t json_utf8(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char) (0xC0 | (cp >> 6));
        o[1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char) (0xE0 | (cp >> 12));
        o[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char) (0xF0 | (cp >> 18));
    o[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

/* Reads a JSON string at c->p (which is at the opening quote); a malloc'ed UTF-8 copy. */
static char *json_string(struct jcur *c)
{
    const char *p = c->p + 1;
    char *out = malloc((size_t) (c->end - p) + 1);
    size_t n = 0;
    if (out == NULL) {
        return NULL;
    }
    while (p < c->end && *p != '"') {
        if ((unsigned char) *p < 0x20) {
            free(out);
            return NULL;
        }
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        if (++p >= c->end) {
            break;
        }
        switch (*p) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (c->end - p < 5 || json_hex4(p + 1, &cp) != 0) {
                free(out);
                return NULL;
            }
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && c->end - p >= 7 && p[1] == '\\' && p[2] == 'u'
                && json_hex4(p + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            n += json_utf8(cp, out + n);
            break;
        }
        default:
            free(out);
            return NULL;
        }
        p++;
    }
    if (p >= c->end) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    c->p = p + 1;
    return out;
}

static struct jv *json_value(struct jcur *c, int depth);

static int json_push(struct jv *v, char *key, struct jv *kid)
{
    struct jv **k = realloc(v->kids, (v->n_kids + 1) * sizeof *k);
    if (k == NULL) {
        return -1;
    }
    v->kids = k;
    if (v->t == J_OBJ) {
        char **names = realloc(v->keys, (v->n_kids + 1) * sizeof *names);
        if (names == NULL) {
            return -1;
        }
        v->keys = names;
        v->keys[v->n_kids] = key;
    }
    v->kids[v->n_kids++] = kid;
    return 0;
}

static struct jv *json_container(struct jcur *c, int depth, enum jtype t)
{
    char close = t == J_OBJ ? '}' : ']';
    struct jv *v = calloc(1, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    v->t = t;
    c->p++;
    json_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        struct jv *kid;
        json_ws(c);
        if (t == J_OBJ) {
            if (c->p >= c->end || *c->p != '"' || (key = json_string(c)) == NULL) {
                goto bad;
            }
            json_ws(c);
            if (c->p >= c->end || *c->p != ':') {
                free(key);
                goto bad;
            }
            c->p++;
        }
        kid = json_value(c, depth + 1);
        if (kid == NULL || json_push(v, key, kid) != 0) {
            free(key);
            json_free(kid);
            goto bad;
        }
        json_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return v;
        }
        goto bad;
    }
bad:
    json_free(v);
    return NULL;
}

static struct jv *json_value(struct jcur *c, int depth)
{
    struct jv *v;
    if (depth > JSON_MAX_DEPTH) {
        return NULL;
    }
    json_ws(c);
    if (c->p >= c->end) {
        return NULL;
    }
    if (*c->p == '{') {
        return json_container(c, depth, J_OBJ);
    }
    if (*c->p == '[') {
        return json_container(c, depth, J_ARR);
    }
    v = calloc(1, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    if (*c->p == '"') {
        v->t = J_STR;
        if ((v->s = json_string(c)) == NULL) {
            free(v);
            return NULL;
        }
    } else if ((size_t) (c->end - c->p) >= 4 && memcmp(c->p, "true", 4) == 0) {
        v->t = J_BOOL;
        v->b = 1;
        c->p += 4;
    } else if ((size_t) (c->end - c->p) >= 5 && memcmp(c->p, "false", 5) == 0) {
        v->t = J_BOOL;
        c->p += 5;
    } else if ((size_t) (c->end - c->p) >= 4 && memcmp(c->p, "null", 4) == 0) {
        v->t = J_NULL;
        c->p += 4;
    } else {
        char num[64];
        size_t n = 0;
        while (c->p < c->end && n < sizeof num - 1 && strchr("+-0123456789.eE", *c->p) != NULL) {
            num[n++] = *c->p++;
        }
        if (n == 0) {
            free(v);
            return NULL;
        }
        num[n] = '\0';
        v->t = J_NUM;
        v->n = strtod(num, NULL);
    }
    return v;
}

/* Parses one JSON text of len bytes; NULL if it is not valid JSON. */
static struct jv *json_parse(const char *text, size_t len)
{
    struct jcur c = { text, text + len };
    struct jv *v = json_value(&c, 0);
    json_ws(&c);
    if (v != NULL && c.p != c.end) {
        json_free(v);
        return NULL;
    }
    return v;
}

static struct jv *json_get(const struct jv *o, const char *key)
{
    if (o == NULL || o->t != J_OBJ) {
        return NULL;
    }
    for (size_t i = 0; i < o->n_kids; i++) {
        if (strcmp(o->keys[i], key) == 0) {
            return o->kids[i];
        }
    }
    return NULL;
}

static const char *json_str(const struct jv *o, const char *key)
{
    struct jv *v = json_get(o, key);
    return v != NULL && v->t == J_STR ? v->s : NULL;
}

/* ---- writing ---------------------------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 256 : b->cap;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Appends s as a JSON string literal. */
static void sb_json(struct sbuf *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char) *s;
        if (ch == '"' || ch == '\\') {
            char e[2] = { '\\', (char) ch };
            sb_add(b, e, 2);
        } else if (ch < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", ch);
            sb_add(b, e, 6);
        } else {
            sb_add(b, (const char *) &ch, 1);
        }
    }
    sb_add(b, "\"", 1);
}

/* ---- base64 ------------------------------------------------------------------------------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void sb_base64(struct sbuf *b, const unsigned char *in, size_t n)
{
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t) in[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t) in[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= in[i + 2];
        }
        q[0] = B64[(v >> 18) & 63];
        q[1] = B64[(v >> 12) & 63];
        q[2] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? B64[v & 63] : '=';
        sb_add(b, q, 4);
    }
}

static int b64val(char ch)
{
    const char *p = ch == '\0' ? NULL : strchr(B64, ch);
    return p == NULL ? -1 : (int) (p - B64);
}

/* Decodes base64 text into out (at most cap bytes); the length, or -1. */
static long base64_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t len = strlen(in), n = 0;
    if (len % 4 != 0) {
        return -1;
    }
    for (size_t i = 0; i < len; i += 4) {
        int a = b64val(in[i]), b = b64val(in[i + 1]);
        int c = in[i + 2] == '=' ? 0 : b64val(in[i + 2]);
        int d = in[i + 3] == '=' ? 0 : b64val(in[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0) {
            return -1;
        }
        uint32_t v = ((uint32_t) a << 18) | ((uint32_t) b << 12) | ((uint32_t) c << 6) | (uint32_t) d;
        unsigned char bytes[3] = { (unsigned char) (v >> 16), (unsigned char) (v >> 8), (unsigned char) v };
        size_t k = in[i + 2] == '=' ? 1 : in[i + 3] == '=' ? 2 : 3;
        if (n + k > cap) {
            return -1;
        }
        memcpy(out + n, bytes, k);
        n += k;
    }
    return (long) n;
}

#endif
