/*
 * What a consumer relies on in a record (issue 15): ce_time always RFC 3339 UTC with
 * milliseconds (offsets converted, Unix seconds read, a non-time replaced by the receive time
 * and flagged), ce_partitionkey and ce_partitionkeyfrom, and dead letters that are CloudEvents
 * keeping what a replay needs but never an authentication header. Configs go through the real
 * loader, requests through the real decide().
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline/decide.h"

static const int64_t now = 1773480765123; /* 2026-03-14T09:32:45.123Z */

static char *time_of(const char *text)
{
    static char out[40];
    int64_t ms;
    if (normalize_parse_time(bytes_str(text), &ms) != 0)
        return "invalid";
    normalize_format_time(ms, out);
    return out;
}

static const char base_yaml[] =
    "kafka: {brokers: embedded}\n"
    "dead_letter_topic: webhooks.dead-letter\n"
    "sources:\n"
    "  github:\n"
    "    path: /webhooks/github\n"
    "    verify: {scheme: none, insecure: true}\n"
    "    event:\n"
    "      type: x-github-event\n"
    "      id: x-github-delivery\n"
    "      time: /head_commit/timestamp\n"
    "      key: [/repository/full_name]\n"
    "      keep_headers: [X-GitHub-Event, x-github-delivery, x-github-hook-id]\n"
    "    routes: {push: github.push}\n"
    "  stripe:\n"
    "    path: /webhooks/stripe\n"
    "    verify: {scheme: none, insecure: true}\n"
    "    event: {type: /type, id: /id, time: /created, key: [/data/object/customer]}\n"
    "    routes: {\"*\": stripe.events}\n"
    "  slack:\n"
    "    path: /webhooks/slack\n"
    "    verify: {scheme: none, insecure: true}\n"
    "    event: {type: /event/type, id: /event_id, time: /event_time, time_format: unix}\n"
    "    routes: {\"*\": slack.events}\n"
    "  strict:\n"
    "    path: /webhooks/strict\n"
    "    verify: {scheme: none, insecure: true}\n"
    "    event: {time_format: rfc3339}\n"
    "    routes: {\"*\": strict.events}\n";

static struct runtime *rt;

static const char *hdr(const struct envelope *env, const char *name)
{
    static char buf[8][512];
    static int n;
    for (size_t i = 0; i != env->nheaders; ++i)
        if (strcmp(env->headers[i].name, name) == 0) {
            char *b = buf[n++ % 8];
            snprintf(b, 512, "%.*s", (int)env->headers[i].value.len, env->headers[i].value.base);
            return b;
        }
    return NULL;
}

/* decide() on a POST of body with headers h (NULL-terminated name, value pairs) to path. */
static void post(const char *path, const char *body, const char *const *h, struct decision *d)
{
    struct header_view hv[16];
    size_t nh = 0;
    for (; h != NULL && h[2 * nh] != NULL; ++nh)
        hv[nh] = (struct header_view){bytes_str(h[2 * nh]), bytes_str(h[2 * nh + 1])};
    struct request_view rv = {.path = bytes_str(path), .body = bytes_str(body), .headers = hv,
                              .nheaders = nh};
    const struct source_rt *src = runtime_find(rt, rv.path);
    CHECK(src != NULL);
    decide(src, &rv, now, 1, d);
}

static void test_times(void)
{
    CHECK_STR(time_of("2026-03-14T12:00:00+01:00"), "2026-03-14T11:00:00.000Z");
    CHECK_STR(time_of("2026-03-14T09:12:45.318Z"), "2026-03-14T09:12:45.318Z");
    CHECK_STR(time_of("2026-03-14t23:30:00.5-02:30"), "2026-03-15T02:00:00.500Z");
    CHECK_STR(time_of("2026-03-14 09:12:45.318999999z"), "2026-03-14T09:12:45.318Z");
    CHECK_STR(time_of("2026-03-14T05:00:00+0530"), "2026-03-13T23:30:00.000Z");
    CHECK_STR(time_of("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00.000Z");
    CHECK_STR(time_of("2016-12-31T23:59:60Z"), "2017-01-01T00:00:00.000Z");
    CHECK_STR(time_of("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00.000Z");
    CHECK_STR(time_of("1969-12-31T23:59:59.250Z"), "1969-12-31T23:59:59.250Z");
    static const char *const bad[] = {
        "yesterday", "", "2026-03-14", "2026-03-14T12:00:00", "2026-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-03-14T24:00:00Z", "2026-03-14T12:00:00.Z",
        "2026-03-14T12:00:00+25:00", "2026-03-14T12:00:00Z ", " 2026-03-14T12:00:00Z",
        "2026-03-14T12:00Z", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01",
        "1773480765"};
    for (size_t i = 0; i != sizeof(bad) / sizeof(bad[0]); ++i)
        CHECK_STR(time_of(bad[i]), "invalid");

    int64_t ms = 0;
    CHECK(normalize_time_value(BYTES_LIT("1773480765"), true, TIME_FORMAT_AUTO, &ms) == 0 &&
          ms == 1773480765000);
    CHECK(normalize_time_value(BYTES_LIT("1773480765.25"), true, TIME_FORMAT_AUTO, &ms) == 0 &&
          ms == 1773480765250);
    CHECK(normalize_time_value(BYTES_LIT("1773480765"), false, TIME_FORMAT_UNIX, &ms) == 0 &&
          ms == 1773480765000);
    CHECK(normalize_time_value(BYTES_LIT("1773480765123"), true, TIME_FORMAT_UNIX_MS, &ms) == 0 &&
          ms == 1773480765123);
    CHECK(normalize_time_value(BYTES_LIT("1773480765"), false, TIME_FORMAT_AUTO, &ms) != 0);
    CHECK(normalize_time_value(BYTES_LIT("1773480765"), true, TIME_FORMAT_RFC3339, &ms) != 0);
    CHECK(normalize_time_value(BYTES_LIT("-5"), true, TIME_FORMAT_AUTO, &ms) != 0);
    CHECK(normalize_time_value(BYTES_LIT("1e300"), true, TIME_FORMAT_AUTO, &ms) != 0);
    CHECK(normalize_time_value(BYTES_LIT("12abc"), false, TIME_FORMAT_UNIX, &ms) != 0);
}

static void test_record_times(void)
{
    struct decision d;
    static const char *const gh[] = {"x-github-event", "push", "x-github-delivery", "d-1", NULL};

    /* an offset is converted to UTC */
    post("/webhooks/github",
         "{\"head_commit\":{\"timestamp\":\"2026-03-14T12:00:00+01:00\"},"
         "\"repository\":{\"full_name\":\"octo/hello\"}}", gh, &d);
    CHECK(d.status == BRIDGE_ACCEPTED);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T11:00:00.000Z");
    CHECK(!d.ev.time_invalid);
    CHECK_STR(hdr(&d.env, "ce_partitionkey"), "octo/hello");
    CHECK_STR(hdr(&d.env, "ce_partitionkeyfrom"), "/repository/full_name");
    decision_release(&d);

    /* not a time: the receive time, flagged for the metric and the log line; still routed */
    post("/webhooks/github", "{\"head_commit\":{\"timestamp\":\"yesterday\"}}", gh, &d);
    CHECK(d.status == BRIDGE_ACCEPTED);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:32:45.123Z");
    CHECK(d.ev.time_invalid);
    CHECK_STR(hdr(&d.env, "ce_partitionkey"), "d-1"); /* no key pointer matched: the id */
    CHECK_STR(hdr(&d.env, "ce_partitionkeyfrom"), "id");
    decision_release(&d);

    /* an object where the time should be is no time either; an absent time is not flagged */
    post("/webhooks/github", "{\"head_commit\":{\"timestamp\":{\"at\":1}}}", gh, &d);
    CHECK(d.ev.time_invalid);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:32:45.123Z");
    decision_release(&d);
    post("/webhooks/github", "{}", gh, &d);
    CHECK(!d.ev.time_invalid);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:32:45.123Z");
    decision_release(&d);

    /* Stripe's /created is Unix seconds, detected as a JSON number */
    post("/webhooks/stripe",
         "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":1773480000,"
         "\"data\":{\"object\":{\"customer\":\"cus_9\"}}}", NULL, &d);
    CHECK(d.status == BRIDGE_ACCEPTED);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:20:00.000Z");
    CHECK_STR(hdr(&d.env, "ce_partitionkey"), "cus_9");
    CHECK_STR(hdr(&d.env, "ce_partitionkeyfrom"), "/data/object/customer");
    decision_release(&d);

    /* time_format: unix reads seconds as a number or as digits in a string */
    post("/webhooks/slack", "{\"event_id\":\"Ev1\",\"event_time\":1773480000,"
         "\"event\":{\"type\":\"message\"}}", NULL, &d);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:20:00.000Z");
    decision_release(&d);
    post("/webhooks/slack", "{\"event_id\":\"Ev2\",\"event_time\":\"1773480001\","
         "\"event\":{\"type\":\"message\"}}", NULL, &d);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:20:01.000Z");
    CHECK(!d.ev.time_invalid);
    decision_release(&d);

    /* time_format: rfc3339 takes no number */
    post("/webhooks/strict", "{\"event\":\"x\",\"timestamp\":1773480000}", NULL, &d);
    CHECK(d.ev.time_invalid);
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:32:45.123Z");
    decision_release(&d);
}

static void test_dead_letter(void)
{
    struct decision d;
    static const char *const gh[] = {
        "X-GitHub-Event", "issues", "X-GitHub-Delivery", "d-2", "X-Hub-Signature-256",
        "sha256=00", "Content-Type", "application/json; charset=utf-8", "x-github-hook-id",
        "bad\x01value", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "authorization", "Bearer x", NULL};
    post("/webhooks/github", "{\"action\":\"opened\"}", gh, &d);
    CHECK(d.status == BRIDGE_DEAD_LETTERED);
    CHECK_STR(d.reason, "unrouted");
    CHECK_STR(hdr(&d.env, "ce_specversion"), "1.0");
    CHECK_STR(hdr(&d.env, "ce_id"), "d-2");
    CHECK_STR(hdr(&d.env, "ce_source"), "/webhook-bridge/github");
    CHECK_STR(hdr(&d.env, "ce_type"), "issues");
    CHECK_STR(hdr(&d.env, "ce_time"), "2026-03-14T09:32:45.123Z");
    CHECK_STR(hdr(&d.env, "dead_letter_reason"), "unrouted");
    CHECK_STR(hdr(&d.env, "dead_letter_path"), "/webhooks/github");
    CHECK_STR(hdr(&d.env, "dead_letter_verified"), "none");
    CHECK_STR(hdr(&d.env, "content-type"), "application/json; charset=utf-8");
    CHECK_STR(hdr(&d.env, "x-github-event"), "issues");
    CHECK_STR(hdr(&d.env, "x-github-delivery"), "d-2");
    CHECK(hdr(&d.env, "x-github-hook-id") == NULL); /* not text: left out */
    CHECK(hdr(&d.env, "x-hub-signature-256") == NULL);
    CHECK(hdr(&d.env, "authorization") == NULL);
    CHECK_STR(hdr(&d.env, "traceparent"),
              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    for (size_t i = 0; i != d.env.nheaders; ++i)
        CHECK(strstr(d.env.headers[i].value.base, "sha256=") == NULL ||
              d.env.headers[i].value.base == NULL);
    decision_release(&d);
}

/* What webhook-bridge explain shows beside the record: the answers before any decision,
 * the route that matched, where the id came from, and the answer body. */
static void test_explained(void)
{
    const struct source_rt *src = (const struct source_rt *)1;
    CHECK(decide_admit(rt, BYTES_LIT("/webhooks/nope"), BYTES_LIT("POST"), 2, 10, &src) ==
          BRIDGE_NOT_FOUND);
    CHECK(src == NULL);
    CHECK(decide_admit(rt, BYTES_LIT("/webhooks/github"), BYTES_LIT("GET"), 2, 10, &src) ==
          BRIDGE_METHOD_NOT_ALLOWED);
    CHECK(src != NULL && strcmp(src->conf->name, "github") == 0);
    CHECK(decide_admit(rt, BYTES_LIT("/webhooks/github"), BYTES_LIT("post"), 2, 10, &src) ==
          BRIDGE_METHOD_NOT_ALLOWED); /* methods are case-sensitive */
    CHECK(decide_admit(rt, BYTES_LIT("/webhooks/github"), BYTES_LIT("POST"), 11, 10, &src) ==
          BRIDGE_BODY_TOO_LARGE);
    CHECK(decide_admit(rt, BYTES_LIT("/webhooks/github"), BYTES_LIT("POST"), 10, 10, &src) ==
          BRIDGE_ACCEPTED);

    struct decision d;
    static const char *const gh[] = {"X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1", NULL};
    post("/webhooks/github", "{\"repository\":{\"full_name\":\"o/r\"}}", gh, &d);
    CHECK(d.status == BRIDGE_ACCEPTED);
    CHECK(d.route != NULL && strcmp(d.route->pattern, "push") == 0);
    CHECK_STR(d.ev.id_from, "x-github-delivery");
    CHECK_STR(d.ev.key_from, "/repository/full_name");
    CHECK(d.ev.time_from == NULL); /* no /head_commit/timestamp: the receive time */
    char body[BRIDGE_STATUS_BODY_MAX + 1];
    size_t n = bridge_status_body(d.status, d.ev.id.base, d.ev.id.len, body);
    body[n] = '\0';
    CHECK_STR(body, "{\"status\":\"accepted\",\"id\":\"d-1\"}\n");
    decision_release(&d);
    post("/webhooks/github", "{}", (const char *const[]){"X-GitHub-Event", "issues", NULL}, &d);
    CHECK(d.status == BRIDGE_DEAD_LETTERED && d.route == NULL && d.ev.id_from == NULL);
    decision_release(&d);
    n = bridge_status_body(BRIDGE_UNAUTHORIZED, NULL, 0, body);
    body[n] = '\0';
    CHECK_STR(body, "{\"status\":\"unauthorized\"}\n");
    /* an id past 64 bytes is left out, a quote escaped */
    n = bridge_status_body(BRIDGE_ACCEPTED, "a\"b", 3, body);
    body[n] = '\0';
    CHECK_STR(body, "{\"status\":\"accepted\",\"id\":\"a\\\"b\"}\n");
    static const char long_id[] = "0123456789012345678901234567890123456789012345678901234567890123X";
    n = bridge_status_body(BRIDGE_METHOD_NOT_ALLOWED, long_id, sizeof(long_id) - 1, body);
    body[n] = '\0';
    CHECK_STR(body, "{\"status\":\"method_not_allowed\"}\n");
}

static struct conf_error err;

static const char *load_error(const char *yaml)
{
    struct bridge_config *cfg = NULL;
    memset(&err, 0, sizeof(err));
    if (conf_load_string("t.yaml", yaml, strlen(yaml), &cfg, &err) == 0) {
        conf_free(cfg);
        return "loaded";
    }
    return err.msg;
}

static void test_keep_headers_refused(void)
{
    char yaml[1024];
    static const char *const cases[][2] = {
        {"x-hub-signature-256",
         "t.yaml:6:44: sources.gh.event.keep_headers[1]: x-hub-signature-256 is the source's "
         "verify.header; authentication headers are never kept"},
        {"Stripe-Signature",
         "t.yaml:6:44: sources.gh.event.keep_headers[1]: stripe-signature is an authentication "
         "header; those are never kept"},
        {"authorization",
         "t.yaml:6:44: sources.gh.event.keep_headers[1]: authorization looks like it holds a "
         "credential; such headers are never kept"},
        {"x-shopify-hmac-sha256",
         "t.yaml:6:44: sources.gh.event.keep_headers[1]: x-shopify-hmac-sha256 looks like it "
         "holds a credential; such headers are never kept"},
        {"ce_id", "t.yaml:6:44: sources.gh.event.keep_headers[1]: ce_id is a name the record "
                  "itself uses"},
    };
    for (size_t i = 0; i != sizeof(cases) / sizeof(cases[0]); ++i) {
        snprintf(yaml, sizeof(yaml),
                 "kafka: {brokers: embedded}\n"
                 "sources:\n"
                 "  gh:\n"
                 "    path: /gh\n"
                 "    verify: {scheme: hmac, header: x-hub-signature-256, secrets: [abcdefgh12345678]}\n"
                 "    event: {keep_headers: [x-github-event, %s]}\n"
                 "    routes: {\"*\": t}\n",
                 cases[i][0]);
        CHECK_STR(load_error(yaml), cases[i][1]);
    }
    CHECK_STR(load_error("kafka: {brokers: embedded}\n"
                         "sources:\n"
                         "  gh:\n"
                         "    path: /gh\n"
                         "    verify: {scheme: none, insecure: true}\n"
                         "    event: {keep_headers: [a, b, c, d, e, f, g, h, i]}\n"
                         "    routes: {\"*\": t}\n"),
              "t.yaml:6:13: sources.gh.event.keep_headers: at most 8 headers");
    CHECK_STR(load_error("kafka: {brokers: embedded}\n"
                         "sources:\n"
                         "  gh:\n"
                         "    path: /gh\n"
                         "    verify: {scheme: none, insecure: true}\n"
                         "    event: {time_format: iso}\n"
                         "    routes: {\"*\": t}\n"),
              "t.yaml:6:26: sources.gh.event.time_format: unknown value \"iso\" (expected one "
              "of auto, rfc3339, unix, unix_ms)");
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_times);

    struct bridge_config *cfg = NULL;
    if (conf_load_string("records.yaml", base_yaml, strlen(base_yaml), &cfg, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    CHECK(cfg->sources[2].time_format == TIME_FORMAT_UNIX);
    CHECK(cfg->sources[0].nkeep_headers == 3);
    CHECK_STR(cfg->sources[0].keep_headers[0], "x-github-event"); /* stored lowercase */
    /* --check-config shows both */
    char *printed = NULL;
    size_t plen = 0;
    FILE *mem = open_memstream(&printed, &plen);
    conf_print(cfg, mem);
    fclose(mem);
    CHECK_CONTAINS(printed, "  dead letters keep: x-github-event, x-github-delivery, x-github-hook-id\n");
    CHECK_CONTAINS(printed, " time=/event_time time_format=unix key=[]\n");
    CHECK(strstr(printed, "time_format=auto") == NULL); /* the default goes unsaid */
    free(printed);
    rt = runtime_create(cfg, 1, &err);
    if (rt == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    CHECK_RUN(test_record_times);
    CHECK_RUN(test_dead_letter);
    CHECK_RUN(test_explained);
    runtime_release(rt);

    CHECK_RUN(test_keep_headers_refused);
    return check_done();
}
