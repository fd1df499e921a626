/*
 * Differential fuzz target for jscan, against jansson as normalize_event() uses it.
 *
 * Input: a webhook body, all of it (the Mono fixtures are seeds as they are).
 *
 * Invariants: jscan() accepts exactly when json_loadb(JSON_ALLOW_NUL) succeeds with an object,
 * except that a document nesting more than JSCAN_MAX_DEPTH containers is refused by jscan (its
 * documented limit; jansson's is 2048), and that a raw NUL byte is never accepted: jansson 2.14
 * skips one that directly follows a number or a literal (its lexer "ungets" the look-ahead
 * byte into a buffer where NUL means empty; akheron/jansson#331 calls it a bug to fix; see
 * regress-nul-after-*). When both accept, for a fixed set of pointers and for pointers built
 * from the document's own paths (escaped with ~0/~1, up to 16 tokens), each hit agrees with
 * jsonptr_get() on the tree: ABSENT iff NULL; STRING iff a string, whose raw bytes lie in the
 * body, carry `escaped` iff they hold a backslash and jscan_unescape() to the string exactly
 * (and report SIZE_MAX with one byte less room); INTEGER iff an integer of the same value;
 * OTHER otherwise, and its raw text parses to a value json_equal() to the found one. When
 * jscan refuses, every hit is ABSENT.
 */
#include <string.h>

#include "fuzz.h"
#include "pipeline/jscan.h"
#include "jsonptr.h"

#define MAX_DERIVED (JSCAN_MAX_POINTERS - NFIXED)
#define PTR_CAP 1024

static const char *const fixed[] = {
    "",          "/",          "/event",
    "/event_id", "/timestamp", "/data/account/_id",
    "/data/0",   "/a~1b",      "/data/items/0/id",
    "/a",        "/a/b",       "/a/0",
    "/a/1/b",    "/0",         "/~0",
    "/\xc3\xa9",
};
#define NFIXED (sizeof fixed / sizeof fixed[0])

struct paths {
    char text[MAX_DERIVED][PTR_CAP];
    size_t n;
};

static size_t depth_of(json_t *v)
{
    size_t d = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            size_t c = depth_of(m);
            d = c > d ? c : d;
        }
        return d + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            size_t c = depth_of(m);
            d = c > d ? c : d;
        }
        return d + 1;
    }
    return 0;
}

/* Appends "/" and the escaped token to ptr (length *len); false if it does not fit. */
static bool append(char *ptr, size_t *len, const char *tok, size_t toklen)
{
    if (*len + 1 >= PTR_CAP)
        return false;
    ptr[(*len)++] = '/';
    for (size_t i = 0; i != toklen; ++i) {
        const char *e = tok[i] == '~' ? "~0" : tok[i] == '/' ? "~1" : NULL;
        size_t n = e != NULL ? 2 : 1;
        if (*len + n >= PTR_CAP)
            return false;
        if (e != NULL)
            memcpy(ptr + *len, e, 2);
        else
            ptr[*len] = tok[i];
        *len += n;
    }
    ptr[*len] = '\0';
    return true;
}

/* Collects the pointers of v's members (pre-order, up to MAX_DERIVED) under prefix. */
static void collect(json_t *v, char *prefix, size_t len, size_t ntok, struct paths *out)
{
    if (ntok == JSCAN_POINTER_MAX_TOKENS)
        return;
    if (json_is_object(v)) {
        const char *k;
        size_t klen;
        json_t *m;
        json_object_keylen_foreach(v, k, klen, m)
        {
            size_t l = len;
            if (out->n == MAX_DERIVED || !append(prefix, &l, k, klen))
                break;
            memcpy(out->text[out->n++], prefix, l + 1);
            collect(m, prefix, l, ntok + 1, out);
            prefix[len] = '\0';
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            char tok[24];
            int tl = snprintf(tok, sizeof tok, "%zu", i);
            size_t l = len;
            if (out->n == MAX_DERIVED || !append(prefix, &l, tok, (size_t)tl))
                break;
            memcpy(out->text[out->n++], prefix, l + 1);
            collect(m, prefix, l, ntok + 1, out);
            prefix[len] = '\0';
        }
    }
}

static void compare(json_t *doc, const char *ptr, const struct jscan_hit *h, const uint8_t *data,
                    size_t size)
{
    json_t *v = jsonptr_get(doc, ptr);
    if (v == NULL) {
        FUZZ_ASSERT(h->kind == JSCAN_ABSENT && h->raw.base == NULL);
        return;
    }
    FUZZ_ASSERT(h->kind != JSCAN_ABSENT);
    const char *body = (const char *)data;
    FUZZ_ASSERT(h->raw.base >= body && h->raw.len <= size &&
                (size_t)(h->raw.base - body) <= size - h->raw.len);
    fuzz_touch(h->raw.base, h->raw.len);
    if (json_is_string(v)) {
        FUZZ_ASSERT(h->kind == JSCAN_STRING);
        FUZZ_ASSERT(h->escaped == (memchr(h->raw.base, '\\', h->raw.len) != NULL));
        char *buf = malloc(h->raw.len + 1);
        if (buf == NULL)
            abort();
        size_t n = jscan_unescape(h->raw, buf, h->raw.len);
        FUZZ_ASSERT(n == json_string_length(v) && memcmp(buf, json_string_value(v), n) == 0);
        FUZZ_ASSERT(h->escaped || bytes_eq(h->raw, bytes_of(buf, n)));
        if (n != 0)
            FUZZ_ASSERT(jscan_unescape(h->raw, buf, n - 1) == SIZE_MAX);
        free(buf);
    } else if (json_is_integer(v)) {
        FUZZ_ASSERT(h->kind == JSCAN_INTEGER);
        FUZZ_ASSERT(jscan_integer(h->raw) == json_integer_value(v));
    } else {
        FUZZ_ASSERT(h->kind == JSCAN_OTHER);
        json_error_t jerr;
        json_t *again =
            json_loadb(h->raw.base, h->raw.len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
        FUZZ_ASSERT(again != NULL && json_equal(again, v));
        json_decref(again);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct paths paths;
    static char prefix[PTR_CAP];
    struct jscan_pointer ptrs[JSCAN_MAX_POINTERS];
    struct jscan_hit hits[JSCAN_MAX_POINTERS];
    const char *names[JSCAN_MAX_POINTERS];
    size_t n = 0;

    for (size_t i = 0; i != NFIXED; ++i) {
        FUZZ_ASSERT(jscan_pointer_compile(fixed[i], &ptrs[n]) == 0);
        names[n++] = fixed[i];
    }

    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
    bool valid = json_is_object(doc) && memchr(data, '\0', size) == NULL;
    paths.n = 0;
    if (valid) {
        prefix[0] = '\0';
        collect(doc, prefix, 0, 0, &paths);
        for (size_t i = 0; i != paths.n; ++i) {
            if (jscan_pointer_compile(paths.text[i], &ptrs[n]) == 0)
                names[n++] = paths.text[i];
            else
                FUZZ_ASSERT(strlen(paths.text[i]) > JSCAN_POINTER_MAX_LEN);
        }
    }

    int r = jscan(bytes_of((const char *)data, size), ptrs, n, hits);
    if (valid && depth_of(doc) > JSCAN_MAX_DEPTH) {
        FUZZ_ASSERT(r == -1);
        valid = false;
    }
    FUZZ_ASSERT(r == (valid ? 0 : -1));
    for (size_t i = 0; i != n; ++i) {
        if (valid)
            compare(doc, names[i], &hits[i], data, size);
        else
            FUZZ_ASSERT(hits[i].kind == JSCAN_ABSENT);
    }
    json_decref(doc);
    return 0;
}
