/*
 * Normalization scans the body once (jscan: validation and the few JSON pointers in one pass,
 * no tree, no allocation) and reads attributes from it or from headers, for providers that put
 * the type or id there. The body bytes are never re-serialized: the Kafka value is the request
 * body itself. Attribute strings without escapes are views into the body; escaped ones are
 * unescaped into the event's scratch space.
 * This replaced a jansson parse of every body, which was two thirds of the instructions per
 * webhook; jansson remains for structured mode, whose value embeds the parsed body, and the
 * scanner is fuzzed against jansson (tests/fuzz/fuzz_jscan.c) to accept exactly what it does.
 */
#include "normalize.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline/jscan.h"

#include <stddef.h>
#include <stdlib.h>

const char *normalize_result_name(enum normalize_result r)
{
    switch (r) {
    case NORMALIZE_OK:
        return "ok";
    case NORMALIZE_INVALID_JSON:
        return "invalid_json";
    case NORMALIZE_NO_TYPE:
        return "no_event_type";
    case NORMALIZE_BAD_ATTRIBUTE:
        return "invalid_attribute";
    }
    return "unknown";
}

void normalize_hash_id(const char *source, struct bytes body, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    /* the source name goes in with its NUL, a separator no name contains */
    if (c == NULL || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(c, source, strlen(source) + 1) ||
        !EVP_DigestUpdate(c, body.base, body.len) || !EVP_DigestFinal_ex(c, md, &mdlen))
        memset(md, 0, sizeof(md)), mdlen = 32;
    EVP_MD_CTX_free(c);
    for (size_t i = 0; i != 32; ++i) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void normalize_format_time(int64_t ms, char out[40])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%03dZ", (int)(ms % 1000));
}

bool normalize_text_valid(struct bytes s)
{
    const unsigned char *p = (const unsigned char *)s.base, *end = p + s.len;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return false;
            continue;
        }
        size_t n;
        unsigned min, cp;
        if ((c & 0xe0) == 0xc0)
            n = 1, min = 0x80, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
            n = 2, min = 0x800, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
            n = 3, min = 0x10000, cp = c & 0x07;
        else
            return false;
        if ((size_t)(end - p) < n)
            return false;
        for (size_t i = 0; i != n; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        p += n;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

enum { PTR_TYPE, PTR_ID, PTR_TIME, PTR_KEYS };

struct normalizer {
    const struct conf_source *src;
    /* slot of type/id/time among ptrs, or -1 when not a pointer; keys follow from first_key */
    int slot[PTR_KEYS];
    size_t first_key;
    size_t nptrs;
    struct jscan_pointer ptrs[];
};

struct normalizer *normalizer_create(const char *file, const struct conf_source *src,
                                     struct conf_error *err)
{
    const struct conf_field *fields[PTR_KEYS] = {&src->type, &src->id, &src->time};
    size_t n = src->nkey;
    for (int f = 0; f != PTR_KEYS; ++f)
        n += fields[f]->from == FIELD_POINTER;
    if (n > JSCAN_MAX_POINTERS) {
        conf_errorf(err, file, &src->pos, "sources", "%s: more than %d JSON pointers", src->name,
                    JSCAN_MAX_POINTERS);
        return NULL;
    }
    struct normalizer *z = calloc(1, sizeof(*z) + n * sizeof(z->ptrs[0]));
    if (z == NULL) {
        conf_errorf(err, file, NULL, NULL, "out of memory");
        return NULL;
    }
    z->src = src;
    for (int f = 0; f != PTR_KEYS; ++f) {
        z->slot[f] = -1;
        if (fields[f]->from != FIELD_POINTER)
            continue;
        if (jscan_pointer_compile(fields[f]->value, &z->ptrs[z->nptrs]) != 0)
            goto too_long;
        z->slot[f] = (int)z->nptrs++;
    }
    z->first_key = z->nptrs;
    for (size_t k = 0; k != src->nkey; ++k)
        if (jscan_pointer_compile(src->key[k], &z->ptrs[z->nptrs++]) != 0)
            goto too_long;
    return z;
too_long:
    conf_errorf(err, file, &src->pos, "sources", "%s: a JSON pointer has more than %d tokens or "
                "%d bytes", src->name, JSCAN_POINTER_MAX_TOKENS, JSCAN_POINTER_MAX_LEN);
    free(z);
    return NULL;
}

void normalizer_destroy(struct normalizer *n)
{
    free(n);
}

/* Space for unescaped strings: the event's scratch, or one heap block for all of them. */
struct space {
    char *p;
    size_t left;
};

/* A non-empty string hit as a view (unescaped into space when needed); BYTES_NULL otherwise. */
static struct bytes string_of(const struct jscan_hit *h, struct space *sp)
{
    if (h->kind != JSCAN_STRING || h->raw.len == 0)
        return BYTES_NULL;
    if (!h->escaped)
        return h->raw;
    size_t n = jscan_unescape(h->raw, sp->p, sp->left);
    if (n == SIZE_MAX || n == 0)
        return BYTES_NULL;
    struct bytes b = bytes_of(sp->p, n);
    sp->p += n;
    sp->left -= n;
    return b;
}

/* One rule for every attribute, wherever it was read: UTF-8 text without control characters
 * (a JSON string can carry CR, LF, NUL or ESC as escapes, a header as raw bytes) and at most
 * `max` bytes. One that breaks it sets *bad and counts as absent, so the event gets the same
 * safe fallbacks (hashed id, receive time) as when the attribute is missing. */
static struct bytes checked(struct bytes v, size_t max, bool *bad)
{
    if (v.base == NULL || v.len == 0)
        return BYTES_NULL;
    if (v.len > max || !normalize_text_valid(v)) {
        *bad = true;
        return BYTES_NULL;
    }
    return v;
}

/* The field's value: from the body's pointer hit `h` when the field is a pointer, else from
 * its header; BYTES_NULL when absent, empty or refused by checked(). */
static struct bytes field_text(const struct conf_field *f, const struct jscan_hit *h,
                               const struct request_view *req, struct space *sp, size_t max,
                               bool *bad)
{
    struct bytes v = h != NULL ? string_of(h, sp)
                     : f->from == FIELD_HEADER ? request_header(req, bytes_str(f->value))
                                               : BYTES_NULL;
    return checked(v, max, bad);
}

enum normalize_result normalize_event(const struct normalizer *n, const struct request_view *req,
                                      int64_t now_ms, struct event *ev)
{
    const struct conf_source *src = n->src;
    struct jscan_hit hits[JSCAN_MAX_POINTERS];
    memset(ev, 0, offsetof(struct event, id_buf));
    ev->heap = NULL;

    bool valid = jscan(req->body, n->ptrs, n->nptrs, hits) == 0;
    /* escaped strings unescape to at most their raw length */
    size_t need = 0;
    for (size_t i = 0; valid && i != n->nptrs; ++i)
        if (hits[i].kind == JSCAN_STRING && hits[i].escaped)
            need += hits[i].raw.len;
    struct space sp = {ev->scratch, sizeof(ev->scratch)};
    if (need > sizeof(ev->scratch) && (ev->heap = malloc(need)) != NULL)
        sp = (struct space){ev->heap, need};
#define HIT(f) (valid && n->slot[f] >= 0 ? &hits[n->slot[f]] : NULL)

    bool bad = false, bad_type = false;
    const struct jscan_hit *h = HIT(PTR_ID);
    ev->id = field_text(&src->id, h, req, &sp, NORMALIZE_MAX_ATTR, &bad);
    if (ev->id.base == NULL && h != NULL && h->kind == JSCAN_INTEGER) {
        int len = snprintf(ev->id_buf, sizeof(ev->id_buf), "%lld", jscan_integer(h->raw));
        ev->id = bytes_of(ev->id_buf, (size_t)len);
    }
    if (ev->id.base == NULL) {
        normalize_hash_id(src->name, req->body, ev->id_buf);
        ev->id = bytes_of(ev->id_buf, 64);
    }
    h = HIT(PTR_TIME);
    ev->time = field_text(&src->time, h, req, &sp, NORMALIZE_MAX_TIME, &bad);
    if (ev->time.base == NULL) {
        normalize_format_time(now_ms, ev->time_buf);
        ev->time = bytes_str(ev->time_buf);
    }
    ev->key = ev->id;
    if (!valid)
        return NORMALIZE_INVALID_JSON;
    h = HIT(PTR_TYPE);
    ev->type = field_text(&src->type, h, req, &sp, NORMALIZE_MAX_ATTR, &bad_type);
    if (ev->type.base == NULL && !bad_type)
        return NORMALIZE_NO_TYPE;
#undef HIT
    if (bad || bad_type)
        return NORMALIZE_BAD_ATTRIBUTE;
    for (size_t k = n->first_key; k != n->nptrs; ++k) {
        struct bytes key = checked(string_of(&hits[k], &sp), NORMALIZE_MAX_ATTR, &bad);
        if (bad)
            return NORMALIZE_BAD_ATTRIBUTE;
        if (key.base != NULL) {
            ev->key = key;
            break;
        }
    }
    if (src->format == CE_FORMAT_STRUCTURED) {
        /* the value embeds the parsed body: the one case that needs a tree */
        ev->doc = json_loadb(req->body.base, req->body.len, JSON_ALLOW_NUL, NULL);
        if (ev->doc == NULL)
            return NORMALIZE_INVALID_JSON; /* not reached: the scanner accepts what jansson does */
    }
    return NORMALIZE_OK;
}

void event_release(struct event *ev)
{
    json_decref(ev->doc);
    ev->doc = NULL;
    free(ev->heap);
    ev->heap = NULL;
}
