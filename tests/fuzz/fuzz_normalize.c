/*
 * Fuzz target for normalization and the Kafka record: normalize_event() on the input as a
 * webhook body, then envelope_build() in binary and in structured mode (or the dead-letter
 * record when normalization fails), and jsonptr_get() with a pointer read from the input.
 *
 * Input: the body is the input up to its first NUL byte (all of it when there is none; a raw
 * NUL is never valid JSON, so the Mono fixtures are seeds as they are). What follows the NUL
 * is request headers, one "name: value" per line (content-type, traceparent, and the headers
 * the second, GitHub-like source reads its type and id from). The input's first line is also
 * used as a JSON pointer into the JSON after that line, so jsonptr_get sees fuzzed pointers.
 *
 * Invariants besides "no crash": id, time and key are always set and readable; a successful
 * normalization has a type; envelope_build only fails on allocation failure (its header says
 * so), and in structured mode produces a JSON object whose "data" is the body; record headers
 * stay within ENVELOPE_MAX_HEADERS; a pointer conf_check_json_pointer() finds malformed finds nothing; "" finds
 * the root.
 */
#include <string.h>

#include "conf/value.h"
#include "fuzz.h"
#include "jsonptr.h"
#include "pipeline/envelope.h"
#include "pipeline/normalize.h"

#define MAX_HEADERS 16

/* config/bridge.yaml's Mono source, plus pointers with array indices and ~0/~1 escapes. */
static char *mono_keys[] = {
    "/data/account/_id", "/data/account/id",   "/data/object/account/_id",
    "/data/object/account", "/data/account", "/data/id",
    "/data/customer",    "/data/mandate",      "/data/items/0/id",
    "/data/items/10",    "/a~1b/c~0d",         "/data/~01",
    "",                  "/",                  "/data/items/01",
};

static char *github_keys[] = {"/repository/full_name", "/sender/login", "/0"};

static struct conf_source sources[3];
static struct normalizer *normalizers[3];
static int ready;

static void init(void)
{
    struct conf_source mono = {
        .name = "mono",
        .path = "/webhooks/mono",
        .type = {.from = FIELD_POINTER, .value = "/event"},
        .id = {.from = FIELD_POINTER, .value = "/event_id"},
        .time = {.from = FIELD_POINTER, .value = "/timestamp"},
        .key = mono_keys,
        .nkey = sizeof mono_keys / sizeof mono_keys[0],
        .ce_source = "/webhook-bridge/mono",
        .success_status = 200,
        .format = CE_FORMAT_BINARY,
    };
    sources[0] = mono;
    sources[1] = mono;
    sources[1].format = CE_FORMAT_STRUCTURED;
    struct conf_source github = {
        .name = "github",
        .path = "/webhooks/github",
        .type = {.from = FIELD_HEADER, .value = "x-github-event"},
        .id = {.from = FIELD_HEADER, .value = "x-github-delivery"},
        .time = {.from = FIELD_ABSENT},
        .key = github_keys,
        .nkey = sizeof github_keys / sizeof github_keys[0],
        .ce_source = "/webhook-bridge/github",
        .success_status = 202,
        .format = CE_FORMAT_STRUCTURED,
    };
    sources[2] = github;
    for (size_t i = 0; i != 3; ++i) {
        struct conf_error err;
        normalizers[i] = normalizer_create("fuzz.yaml", &sources[i], &err);
        if (normalizers[i] == NULL)
            abort();
    }
    ready = 1;
}

static char *copy(const char *p, size_t n)
{
    char *c = malloc(n + 1);
    if (c == NULL)
        abort();
    if (n != 0)
        memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

static void check_envelope(const struct envelope *env, const struct event *ev,
                           const struct request_view *req, int structured)
{
    FUZZ_ASSERT(env->nheaders <= ENVELOPE_MAX_HEADERS);
    for (size_t i = 0; i != env->nheaders; ++i) {
        FUZZ_ASSERT(env->headers[i].name != NULL && env->headers[i].value.base != NULL);
        fuzz_touch(env->headers[i].value.base, env->headers[i].value.len);
    }
    fuzz_touch(env->key.base, env->key.len);
    fuzz_touch(env->value.base, env->value.len);
    if (!structured) {
        FUZZ_ASSERT(env->value.base == req->body.base && env->value.len == req->body.len);
        return;
    }
    json_error_t jerr;
    json_t *ce = json_loadb(env->value.base, env->value.len, JSON_ALLOW_NUL, &jerr);
    FUZZ_ASSERT(json_is_object(ce));
    FUZZ_ASSERT(json_equal(json_object_get(ce, "data"), ev->doc));
    json_t *id = json_object_get(ce, "id");
    FUZZ_ASSERT(json_is_string(id) && json_string_length(id) == ev->id.len &&
                memcmp(json_string_value(id), ev->id.base, ev->id.len) == 0);
    json_decref(ce);
}

static void run_source(size_t i, const struct request_view *req)
{
    const struct conf_source *src = &sources[i];
    struct event ev;
    struct envelope env;
    enum normalize_result r = normalize_event(normalizers[i], req, 1773480765123, &ev);
    FUZZ_ASSERT(ev.id.base != NULL && ev.id.len != 0);
    FUZZ_ASSERT(ev.time.base != NULL && ev.time.len != 0);
    FUZZ_ASSERT(ev.key.base != NULL && ev.key.len != 0);
    fuzz_touch(ev.id.base, ev.id.len);
    fuzz_touch(ev.time.base, ev.time.len);
    fuzz_touch(ev.key.base, ev.key.len);
    FUZZ_ASSERT(strcmp(normalize_result_name(r), "unknown") != 0);
    if (r == NORMALIZE_OK) {
        /* only structured mode builds a tree */
        FUZZ_ASSERT((ev.doc != NULL) == (src->format == CE_FORMAT_STRUCTURED));
        FUZZ_ASSERT(ev.type.base != NULL && ev.type.len != 0);
        fuzz_touch(ev.type.base, ev.type.len);
        /* regress-envelope-structured-non-utf8-header: a type from a header that was not
         * UTF-8 made json_pack() fail, and the webhook was answered 500 on every retry */
        FUZZ_ASSERT(envelope_build(src, &ev, req, &env) == 0);
        check_envelope(&env, &ev, req, src->format == CE_FORMAT_STRUCTURED);
    } else {
        envelope_build_dead_letter(src, &ev, req, normalize_result_name(r), &env);
        check_envelope(&env, &ev, req, 0);
    }
    envelope_release(&env);
    event_release(&ev);
    FUZZ_ASSERT(ev.doc == NULL);
}

static void check_pointer(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    if (nl == NULL)
        return;
    size_t plen = (size_t)(nl - (const char *)data);
    if (memchr(data, '\0', plen) != NULL)
        return;
    char *ptr = copy((const char *)data, plen);
    const char *rest = nl + 1;
    size_t rlen = size - plen - 1;
    json_error_t jerr;
    json_t *doc = json_loadb(rest, rlen, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (doc != NULL) {
        json_t *found = jsonptr_get(doc, ptr);
        /* malformed (not a limit exceeded): the oracle finds nothing either */
        const char *why = conf_check_json_pointer(ptr, strlen(ptr));
        if (why != NULL && strstr(why, "at most") == NULL)
            FUZZ_ASSERT(found == NULL);
        if (ptr[0] == '\0')
            FUZZ_ASSERT(found == doc);
        FUZZ_ASSERT(jsonptr_get(doc, "") == doc);
        json_decref(doc);
    } else {
        conf_check_json_pointer(ptr, strlen(ptr));
    }
    free(ptr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        init();

    const char *nul = memchr(data, '\0', size);
    size_t blen = nul != NULL ? (size_t)(nul - (const char *)data) : size;
    char *body = copy((const char *)data, blen);

    struct header_view headers[MAX_HEADERS];
    char *values[MAX_HEADERS];
    size_t nh = 0;
    if (nul != NULL) {
        const char *p = nul + 1, *end = (const char *)data + size;
        while (p < end && nh != MAX_HEADERS) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (eol == NULL)
                eol = end;
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            const char *v = colon != NULL ? colon + 1 : eol;
            while (v < eol && *v == ' ')
                ++v;
            values[nh] = copy(v, (size_t)(eol - v));
            headers[nh].name = bytes_of(p, (size_t)((colon != NULL ? colon : eol) - p));
            headers[nh].value = bytes_of(values[nh], (size_t)(eol - v));
            ++nh;
            p = eol < end ? eol + 1 : end;
        }
    }
    struct request_view req = {
        .path = BYTES_LIT("/webhooks/mono"),
        .body = bytes_of(body, blen),
        .headers = headers,
        .nheaders = nh,
    };
    for (size_t i = 0; i != sizeof sources / sizeof sources[0]; ++i)
        run_source(i, &req);

    check_pointer(data, size);

    for (size_t i = 0; i != nh; ++i)
        free(values[i]);
    free(body);
    return 0;
}
