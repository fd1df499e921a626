/* Normalization (type, id, time, key) and the Kafka record it becomes. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "pipeline/envelope.h"
#include "pipeline/normalize.h"

static char *keys[] = {"/data/account/_id", "/data/account/id", "/data/object/account", "/data/id"};

static struct conf_source mono(void)
{
    struct conf_source s = {
        .name = "mono",
        .path = "/webhooks/mono",
        .type = {.from = FIELD_POINTER, .value = "/event"},
        .id = {.from = FIELD_POINTER, .value = "/event_id"},
        .time = {.from = FIELD_POINTER, .value = "/timestamp"},
        .key = keys,
        .nkey = 4,
        .ce_source = "/webhook-bridge/mono",
        .success_status = 200,
    };
    return s;
}

/* The source's compiled normalizer; kept until exit (a test's handful). */
static const struct normalizer *nz(const struct conf_source *src)
{
    static struct {
        const struct conf_source *src;
        struct conf_source copy;
        struct normalizer *n;
    } cache[16];
    static size_t n;
    for (size_t i = 0; i != n; ++i)
        if (cache[i].src == src && memcmp(&cache[i].copy, src, sizeof(*src)) == 0)
            return cache[i].n;
    struct conf_error err;
    cache[n].src = src;
    cache[n].copy = *src;
    cache[n].n = normalizer_create("test.yaml", src, &err);
    if (cache[n].n == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return cache[n++].n;
}

static struct request_view req_of(const char *body, const struct header_view *h, size_t nh)
{
    return (struct request_view){.path = BYTES_LIT("/webhooks/mono"), .body = bytes_str(body),
                                 .headers = h, .nheaders = nh};
}

static const char *hdr(const struct envelope *env, const char *name, char *buf)
{
    for (size_t i = 0; i != env->nheaders; ++i)
        if (strcmp(env->headers[i].name, name) == 0) {
            memcpy(buf, env->headers[i].value.base, env->headers[i].value.len);
            buf[env->headers[i].value.len] = '\0';
            return buf;
        }
    return NULL;
}

static char *str(struct bytes b)
{
    static char buf[8][256];
    static int i;
    char *s = buf[i++ % 8];
    snprintf(s, 256, "%.*s", (int)b.len, b.base ? b.base : "");
    return s;
}

static void test_normalize_and_envelope(void)
{
    struct conf_source src = mono();
    struct event ev;
    struct envelope env;
    char buf[8192];
    const int64_t now = 1773480765123; /* 2026-03-14T09:32:45.123Z */

    /* full body: provider id, time and the first key pointer that holds a string */
    const char *full = "{\"event\":\"mono.events.account_updated\",\"event_id\":\"evt_1\","
                       "\"timestamp\":\"2026-03-14T09:12:51.702Z\",\"data\":{\"account\":"
                       "{\"_id\":\"acc_9\"},\"id\":\"other\"}}";
    struct header_view tp[] = {{BYTES_LIT("TraceParent"),
                                BYTES_LIT("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")}};
    struct request_view rv = req_of(full, tp, 1);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_OK);
    CHECK_STR(str(ev.type), "mono.events.account_updated");
    CHECK_STR(str(ev.id), "evt_1");
    CHECK_STR(str(ev.time), "2026-03-14T09:12:51.702Z");
    CHECK_STR(str(ev.key), "acc_9");
    /* where each came from, for webhook-bridge explain: the config's pointers */
    CHECK_STR(ev.id_from, "/event_id");
    CHECK_STR(ev.time_from, "/timestamp");
    CHECK_STR(ev.key_from, "/data/account/_id");
    CHECK(envelope_build(&src, &ev, &rv, &env) == 0);
    CHECK(env.value.base == rv.body.base && env.value.len == rv.body.len); /* bytes as received */
    CHECK_STR(str(env.key), "acc_9");
    CHECK(env.nheaders == 9);
    CHECK_STR(hdr(&env, "ce_partitionkey", buf), "acc_9");
    CHECK_STR(hdr(&env, "ce_partitionkeyfrom", buf), "/data/account/_id");
    CHECK_STR(hdr(&env, "ce_specversion", buf), "1.0");
    CHECK_STR(hdr(&env, "ce_id", buf), "evt_1");
    CHECK_STR(hdr(&env, "ce_source", buf), "/webhook-bridge/mono");
    CHECK_STR(hdr(&env, "ce_type", buf), "mono.events.account_updated");
    CHECK_STR(hdr(&env, "ce_time", buf), "2026-03-14T09:12:51.702Z");
    CHECK_STR(hdr(&env, "content-type", buf), "application/json");
    CHECK_STR(hdr(&env, "traceparent", buf), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    envelope_release(&env);
    event_release(&ev);

    /* legacy body: no id (hash of source and body), no time (receive time), key from a later
     * pointer; an object at an earlier pointer is skipped */
    const char *legacy = "{\"event\":\"mono.events.account_connected\",\"data\":{\"account\":{\"id\":5},"
                         "\"object\":{\"account\":\"acc_obj\"}}}";
    rv = req_of(legacy, NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_OK);
    char want[65];
    normalize_hash_id("mono", rv.body, want);
    CHECK_STR(str(ev.id), want);
    CHECK(strlen(want) == 64);
    CHECK_STR(str(ev.time), "2026-03-14T09:32:45.123Z");
    CHECK_STR(str(ev.key), "acc_obj");
    CHECK(ev.id_from == NULL && ev.time_from == NULL); /* hashed, the receive time */
    CHECK_STR(ev.key_from, "/data/object/account");
    CHECK(envelope_build(&src, &ev, &rv, &env) == 0);
    CHECK(hdr(&env, "traceparent", buf) == NULL);
    envelope_release(&env);
    event_release(&ev);

    /* the same body from another source gets another id; a changed body too */
    char other[65];
    normalize_hash_id("paystack", rv.body, other);
    CHECK(strcmp(other, want) != 0);
    /* known vector, from python3 hashlib.sha256(b"mono\0{}") */
    normalize_hash_id("mono", BYTES_LIT("{}"), other);
    CHECK_STR(other, "49cd8c020469042eba5d69efc779566eb3e375e71920fa233d29b3ad5f6810dd");

    /* no key pointer holds a string: the key is the id */
    rv = req_of("{\"event\":\"x\",\"event_id\":\"e2\",\"data\":{}}", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_OK);
    CHECK_STR(str(ev.key), "e2");
    CHECK_STR(ev.key_from, "id");
    CHECK_STR(ev.id_from, "/event_id");
    event_release(&ev);
    /* a time that is no time: the receive time, and no pointer named as its origin */
    rv = req_of("{\"event\":\"x\",\"event_id\":7,\"timestamp\":\"yesterday\"}", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_OK);
    CHECK(ev.time_invalid && ev.time_from == NULL);
    CHECK_STR(str(ev.id), "7");
    CHECK_STR(ev.id_from, "/event_id"); /* an integer id is the provider's too */
    event_release(&ev);

    /* failures: not JSON, not an object, no type, a type that is not a string */
    rv = req_of("{\"event\":", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_INVALID_JSON);
    CHECK(ev.id.len == 64); /* the dead-letter record still gets an id */
    envelope_build_dead_letter(&src, &ev, &rv, normalize_result_name(NORMALIZE_INVALID_JSON), &env);
    CHECK_STR(hdr(&env, "dead_letter_reason", buf), "invalid_json");
    CHECK(hdr(&env, "ce_type", buf) == NULL);
    CHECK(env.value.base == rv.body.base);
    envelope_release(&env);
    event_release(&ev);
    rv = req_of("[1,2]", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_INVALID_JSON);
    event_release(&ev);
    rv = req_of("{\"data\":{}}", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_NO_TYPE);
    event_release(&ev);
    rv = req_of("{\"event\":42}", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_NO_TYPE);
    event_release(&ev);
    rv = req_of("{\"event\":\"\"}", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_NO_TYPE);
    event_release(&ev);

    /* type and id from headers (GitHub style); integer ids are formatted */
    struct conf_source gh = mono();
    gh.name = "github";
    gh.type = (struct conf_field){FIELD_HEADER, "x-github-event", {0, 0, NULL}};
    gh.id = (struct conf_field){FIELD_HEADER, "x-github-delivery", {0, 0, NULL}};
    struct header_view ghh[] = {{BYTES_LIT("X-GitHub-Event"), BYTES_LIT("push")},
                                {BYTES_LIT("X-GitHub-Delivery"), BYTES_LIT("72d3162e-cc78")}};
    rv = req_of("{\"zen\":1}", ghh, 2);
    CHECK(normalize_event(nz(&gh), &rv, now, &ev) == NORMALIZE_OK);
    CHECK_STR(str(ev.type), "push");
    CHECK_STR(str(ev.id), "72d3162e-cc78");
    CHECK_STR(ev.id_from, "x-github-delivery");
    event_release(&ev);
    /* a header attribute that is not UTF-8 text is refused, and the dead letter gets safe values */
    struct header_view badh[] = {{BYTES_LIT("X-GitHub-Event"), BYTES_LIT("pu\xffsh")},
                                 {BYTES_LIT("X-GitHub-Delivery"), BYTES_LIT("id\x01")}};
    rv = req_of("{\"zen\":1}", badh, 2);
    CHECK(normalize_event(nz(&gh), &rv, now, &ev) == NORMALIZE_BAD_ATTRIBUTE);
    CHECK_STR(normalize_result_name(NORMALIZE_BAD_ATTRIBUTE), "invalid_attribute");
    CHECK(ev.type.base == NULL);
    CHECK(ev.id.len == 64 && ev.key.base == ev.id.base);
    CHECK(ev.id_from == NULL); /* the header's bytes were refused: hashed */
    event_release(&ev);
    /* a body that is not JSON: the dead letter still gets a safe id, not the header's bytes */
    rv = req_of("not json", badh, 2);
    CHECK(normalize_event(nz(&gh), &rv, now, &ev) == NORMALIZE_INVALID_JSON);
    CHECK(ev.id.len == 64 && normalize_text_valid(ev.id));
    event_release(&ev);
    /* no type header at all is still no_event_type, even with a bad id header */
    struct header_view idonly[] = {{BYTES_LIT("X-GitHub-Delivery"), BYTES_LIT("id\x01")}};
    rv = req_of("{\"zen\":1}", idonly, 1);
    CHECK(normalize_event(nz(&gh), &rv, now, &ev) == NORMALIZE_NO_TYPE);
    event_release(&ev);
    /* attributes from the body follow the same rule as headers: escaped control bytes in the
     * type, id, time or key, or an attribute over its bound, are an invalid_attribute */
    static const char *const bad_bodies[] = {
        "{\"event\":\"a\\r\\nb\"}",
        "{\"event\":\"ok\",\"event_id\":\"x\\u0000y\"}",
        "{\"event\":\"ok\",\"timestamp\":\"\\u001b[31m\"}",
        "{\"event\":\"ok\",\"data\":{\"id\":\"k\\ney\"}}",
        "{\"event\":\"ok\\u007f\"}",
    };
    for (size_t i = 0; i != sizeof(bad_bodies) / sizeof(bad_bodies[0]); ++i) {
        rv = req_of(bad_bodies[i], NULL, 0);
        CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_BAD_ATTRIBUTE);
        CHECK(ev.id.len > 0 && normalize_text_valid(ev.id));
        CHECK(ev.time.len > 0 && normalize_text_valid(ev.time));
        event_release(&ev);
    }
    /* the bounds: 256 bytes of type (and of id, key) pass, 257 do not; time up to 64 */
    char big[600];
    for (size_t len = 256; len <= 257; ++len) {
        snprintf(big, sizeof(big), "{\"event\":\"%0*d\"}", (int)len, 0);
        rv = req_of(big, NULL, 0);
        CHECK(normalize_event(nz(&src), &rv, now, &ev) ==
              (len == 256 ? NORMALIZE_OK : NORMALIZE_BAD_ATTRIBUTE));
        event_release(&ev);
        snprintf(big, sizeof(big), "{\"event\":\"e\",\"data\":{\"id\":\"%0*d\"}}", (int)len, 0);
        rv = req_of(big, NULL, 0);
        CHECK(normalize_event(nz(&src), &rv, now, &ev) ==
              (len == 256 ? NORMALIZE_OK : NORMALIZE_BAD_ATTRIBUTE));
        event_release(&ev);
    }
    snprintf(big, sizeof(big), "{\"event\":\"e\",\"timestamp\":\"%0*d\"}", 65, 0);
    rv = req_of(big, NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_BAD_ATTRIBUTE);
    CHECK(ev.time.len == 24); /* the receive time instead */
    event_release(&ev);
    /* valid non-ASCII text is not an attribute error */
    rv = req_of("{\"event\":\"caf\\u00e9\",\"event_id\":\"\xc3\xa9\"}", NULL, 0);
    CHECK(normalize_event(nz(&src), &rv, now, &ev) == NORMALIZE_OK);
    CHECK_STR(str(ev.type), "caf\xc3\xa9");
    event_release(&ev);
    /* a dead letter keeps a short text content-type, drops a long or raw one */
    static char long_ct[4100];
    memset(long_ct, 'a', sizeof(long_ct) - 1);
    struct header_view cth[][1] = {{{BYTES_LIT("Content-Type"), BYTES_LIT("text/plain")}},
                                   {{BYTES_LIT("Content-Type"), bytes_str(long_ct)}},
                                   {{BYTES_LIT("Content-Type"), BYTES_LIT("text/plain\r\nx: y")}}};
    for (int i = 0; i != 3; ++i) {
        rv = req_of("not json", cth[i], 1);
        normalize_event(nz(&src), &rv, now, &ev);
        envelope_build_dead_letter(&src, &ev, &rv, "invalid_json", &env);
        const char *ct = hdr(&env, "content-type", buf);
        if (i == 0)
            CHECK_STR(ct, "text/plain");
        else
            CHECK(ct == NULL);
        envelope_release(&env);
        event_release(&ev);
    }
    CHECK(normalize_text_valid(BYTES_LIT("caf\xc3\xa9 \xf0\x9f\x98\x80")));
    CHECK(!normalize_text_valid(BYTES_LIT("\xc0\xaf")));         /* overlong */
    CHECK(!normalize_text_valid(BYTES_LIT("\xed\xa0\x80")));    /* surrogate */
    CHECK(!normalize_text_valid(BYTES_LIT("\xf4\x90\x80\x80"))); /* past U+10FFFF */
    CHECK(!normalize_text_valid(BYTES_LIT("\xe2\x82")));         /* cut short */
    CHECK(!normalize_text_valid(BYTES_LIT("a\tb")));              /* control */

    struct conf_source ps = mono();
    ps.id = (struct conf_field){FIELD_POINTER, "/data/id", {0, 0, NULL}};
    rv = req_of("{\"event\":\"charge.success\",\"data\":{\"id\":302961}}", NULL, 0);
    CHECK(normalize_event(nz(&ps), &rv, now, &ev) == NORMALIZE_OK);
    CHECK_STR(str(ev.id), "302961");
    event_release(&ev);

    /* structured mode: a CloudEvents JSON object with the parsed body as data */
    struct conf_source st = mono();
    st.format = CE_FORMAT_STRUCTURED;
    rv = req_of(full, tp, 1);
    CHECK(normalize_event(nz(&st), &rv, now, &ev) == NORMALIZE_OK);
    CHECK(envelope_build(&st, &ev, &rv, &env) == 0);
    json_t *ce = json_loadb(env.value.base, env.value.len, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(ce, "specversion")), "1.0");
    CHECK_STR(json_string_value(json_object_get(ce, "id")), "evt_1");
    CHECK_STR(json_string_value(json_object_get(ce, "type")), "mono.events.account_updated");
    CHECK_STR(json_string_value(json_object_get(ce, "source")), "/webhook-bridge/mono");
    CHECK_STR(json_string_value(json_object_get(ce, "time")), "2026-03-14T09:12:51.702Z");
    CHECK_STR(json_string_value(json_object_get(ce, "datacontenttype")), "application/json");
    CHECK(json_equal(json_object_get(ce, "data"), ev.doc));
    CHECK_STR(hdr(&env, "content-type", buf), "application/cloudevents+json");
    json_decref(ce);
    envelope_release(&env);
    event_release(&ev);

    /* traceparent validation */
    CHECK(envelope_traceparent_valid(BYTES_LIT("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")));
    CHECK(!envelope_traceparent_valid(BYTES_LIT("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")));
    CHECK(!envelope_traceparent_valid(BYTES_LIT("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0\n")));
    CHECK(!envelope_traceparent_valid(BYTES_LIT("garbage")));
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_normalize_and_envelope);
    return check_done();
}
