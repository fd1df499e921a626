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
    int64_t frac = ms % 1000;
    if (frac < 0)
        frac += 1000; /* floor: before 1970 the second is the one below */
    time_t s = (time_t)((ms - frac) / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    /* the fields are in range (gmtime_r), so 24 characters and the NUL */
    snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000,
             (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
             (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
             (unsigned)frac % 1000);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* n decimal digits at *p (advanced); -1 when one is not a digit. */
static int digits(const char **p, const char *end, int n)
{
    int v = 0;
    for (int i = 0; i != n; ++i, ++*p) {
        if (*p == end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Unix ms of years 0001-01-01 and 10000-01-01: what RFC 3339 can write. */
#define MIN_TIME_MS (-62135596800000LL)
#define END_TIME_MS (253402300800000LL)

int normalize_parse_time(struct bytes s, int64_t *ms)
{
    const char *p = s.base, *end = s.base + s.len;
    if (p == NULL)
        return -1;
    int y = digits(&p, end, 4);
    if (y < 0 || p == end || *p++ != '-')
        return -1;
    int mo = digits(&p, end, 2);
    if (mo < 1 || mo > 12 || p == end || *p++ != '-')
        return -1;
    int d = digits(&p, end, 2);
    if (d < 1 || (unsigned)d > month_days((unsigned)y, (unsigned)mo) || p == end ||
        (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    ++p;
    int h = digits(&p, end, 2);
    if (h < 0 || h > 23 || p == end || *p++ != ':')
        return -1;
    int mi = digits(&p, end, 2);
    if (mi < 0 || mi > 59 || p == end || *p++ != ':')
        return -1;
    int sec = digits(&p, end, 2);
    if (sec < 0 || sec > 60) /* 60: a leap second, counted into the next minute */
        return -1;
    int frac = 0;
    if (p != end && *p == '.') {
        int n = 0;
        for (++p; p != end && *p >= '0' && *p <= '9'; ++p, ++n)
            if (n < 3)
                frac = frac * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 3; ++n)
            frac *= 10;
    }
    if (p == end)
        return -1; /* no offset: local time of an unknown place */
    int64_t off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        ++p;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = digits(&p, end, 2);
        if (p != end && *p == ':')
            ++p;
        int om = digits(&p, end, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        off_min = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (p != end)
        return -1;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
                off_min * 60;
    t = t * 1000 + frac;
    if (t < MIN_TIME_MS || t >= END_TIME_MS)
        return -1;
    *ms = t;
    return 0;
}

/* A JSON number or a string of digits (optionally with a fraction) as a count of `unit` ms. */
static int parse_count(struct bytes v, int64_t unit, int64_t *ms)
{
    char buf[40];
    if (v.len == 0 || v.len >= sizeof(buf))
        return -1;
    memcpy(buf, v.base, v.len);
    buf[v.len] = '\0';
    for (size_t i = 0; i != v.len; ++i)
        if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' || buf[i] == 'e' ||
              buf[i] == 'E' || buf[i] == '+' || (buf[i] == '-' && i != 0 && buf[i - 1] != '.')))
            return -1; /* also refuses a negative count: no provider sends times before 1970 */
    char *stop;
    double x = strtod(buf, &stop);
    if (*stop != '\0' || !(x >= 0) || x * (double)unit >= (double)END_TIME_MS)
        return -1;
    *ms = (int64_t)(x * (double)unit);
    return 0;
}

int normalize_time_value(struct bytes v, bool number, enum time_format format, int64_t *ms)
{
    switch (format) {
    case TIME_FORMAT_AUTO:
        return number ? parse_count(v, 1000, ms) : normalize_parse_time(v, ms);
    case TIME_FORMAT_RFC3339:
        return number ? -1 : normalize_parse_time(v, ms);
    case TIME_FORMAT_UNIX:
        return parse_count(v, 1000, ms);
    case TIME_FORMAT_UNIX_MS:
        return parse_count(v, 1, ms);
    }
    return -1;
}

bool normalize_text_valid(struct bytes s)
{
    const unsigned char *p = (const unsigned char *)s.base, *end = p + s.len;
    while (p < end) {
        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7f)
                return false;
            ++p;
            continue;
        }
        size_t n = utf8_sequence_len(p, (size_t)(end - p));
        if (n == 0)
            return false;
        p += n;
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
    } else {
        ev->id_from = src->id.value;
    }
    /* the time is always written anew, in one form: RFC 3339 UTC with milliseconds */
    h = HIT(PTR_TIME);
    int64_t t_ms = now_ms;
    if (h != NULL && (h->kind == JSCAN_INTEGER || h->kind == JSCAN_OTHER)) {
        /* a number (an object, array, boolean or null is no time either) */
        bool number = h->raw.len != 0 && (h->raw.base[0] == '-' ||
                                          (h->raw.base[0] >= '0' && h->raw.base[0] <= '9'));
        if (!number || normalize_time_value(h->raw, true, src->time_format, &t_ms) != 0)
            ev->time_invalid = true, t_ms = now_ms;
        else
            ev->time_from = src->time.value;
    } else {
        struct bytes v = field_text(&src->time, h, req, &sp, NORMALIZE_MAX_TIME, &bad);
        if (v.base != NULL && normalize_time_value(v, false, src->time_format, &t_ms) != 0)
            ev->time_invalid = true, t_ms = now_ms;
        else if (v.base != NULL)
            ev->time_from = src->time.value;
    }
    normalize_format_time(t_ms, ev->time_buf);
    ev->time = bytes_str(ev->time_buf);
    ev->key = ev->id;
    ev->key_from = "id";
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
            ev->key_from = src->key[k - n->first_key];
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
