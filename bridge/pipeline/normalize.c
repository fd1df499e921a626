/*
 * Normalization parses the body once with jansson and reads attributes through JSON pointers
 * (or headers, for providers that put the type or id there). The body bytes are never
 * re-serialized: the Kafka value is the request body itself, so parsing here only serves to
 * find attributes and to reject what is not JSON.
 * Rejected: a streaming scan for the few pointers (faster, but a second JSON parser to trust
 * and fuzz, for bodies of a few kilobytes).
 */
#include "normalize.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline/jsonptr.h"

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

/* The string at a field: a JSON string (or, for ids, an integer, formatted into buf). */
static struct bytes field_value(const struct conf_field *f, json_t *doc,
                                const struct request_view *req, char *buf, size_t cap)
{
    switch (f->from) {
    case FIELD_ABSENT:
        break;
    case FIELD_HEADER: {
        struct bytes v = request_header(req, bytes_str(f->value));
        if (v.base != NULL && v.len != 0)
            return v;
        break;
    }
    case FIELD_POINTER: {
        json_t *v = doc == NULL ? NULL : jsonptr_get(doc, f->value);
        if (json_is_string(v) && json_string_length(v) != 0)
            return bytes_of(json_string_value(v), json_string_length(v));
        if (buf != NULL && json_is_integer(v)) {
            int n = snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            return bytes_of(buf, (size_t)n);
        }
        break;
    }
    }
    return BYTES_NULL;
}

enum normalize_result normalize_event(const struct conf_source *src, const struct request_view *req,
                                      int64_t now_ms, struct event *ev)
{
    memset(ev, 0, sizeof(*ev));

    json_error_t jerr;
    /* JSON_ALLOW_NUL: a \u0000 inside a string is valid JSON; lengths are used throughout */
    json_t *doc = json_loadb(req->body.base, req->body.len, JSON_ALLOW_NUL, &jerr);
    if (doc != NULL && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    ev->doc = doc;

    ev->id = field_value(&src->id, doc, req, ev->id_buf, sizeof(ev->id_buf));
    if (ev->id.base == NULL) {
        normalize_hash_id(src->name, req->body, ev->id_buf);
        ev->id = bytes_of(ev->id_buf, 64);
    }
    ev->time = field_value(&src->time, doc, req, NULL, 0);
    if (ev->time.base == NULL) {
        normalize_format_time(now_ms, ev->time_buf);
        ev->time = bytes_str(ev->time_buf);
    }
    ev->key = ev->id;
    if (doc == NULL && src->type.from != FIELD_HEADER)
        return NORMALIZE_INVALID_JSON;
    ev->type = field_value(&src->type, doc, req, NULL, 0);
    if (doc == NULL)
        return NORMALIZE_INVALID_JSON;
    if (ev->type.base == NULL)
        return NORMALIZE_NO_TYPE;
    /* Values from JSON are UTF-8 already (jansson checks); header values are raw bytes. A bad
     * one is replaced by what the dead-letter record can safely carry. */
    bool bad = false;
    if (src->type.from == FIELD_HEADER && !normalize_text_valid(ev->type)) {
        ev->type = BYTES_NULL;
        bad = true;
    }
    if (src->id.from == FIELD_HEADER && !normalize_text_valid(ev->id)) {
        normalize_hash_id(src->name, req->body, ev->id_buf);
        ev->key = ev->id = bytes_of(ev->id_buf, 64);
        bad = true;
    }
    if (src->time.from == FIELD_HEADER && !normalize_text_valid(ev->time)) {
        normalize_format_time(now_ms, ev->time_buf);
        ev->time = bytes_str(ev->time_buf);
        bad = true;
    }
    if (bad)
        return NORMALIZE_BAD_ATTRIBUTE;
    for (size_t i = 0; i != src->nkey; ++i) {
        json_t *v = jsonptr_get(doc, src->key[i]);
        if (json_is_string(v) && json_string_length(v) != 0) {
            ev->key = bytes_of(json_string_value(v), json_string_length(v));
            break;
        }
    }
    return NORMALIZE_OK;
}

void event_release(struct event *ev)
{
    json_decref(ev->doc);
    ev->doc = NULL;
}
