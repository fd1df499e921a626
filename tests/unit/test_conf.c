/*
 * conf/: loading, defaults, environment expansion and every class of error, with the exact
 * FILE:LINE:COL: key: message a user sees.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf/config.h"

static struct conf_error err;

static struct bridge_config *load(const char *yaml)
{
    struct bridge_config *cfg = NULL;
    memset(&err, 0, sizeof(err));
    if (conf_load_string("bad.yaml", yaml, strlen(yaml), &cfg, &err) != 0) {
        CHECK(cfg == NULL);
        return NULL;
    }
    return cfg;
}

/* Loads yaml, expecting failure with exactly `want`. */
#define CHECK_ERR(yaml, want)                                                                      \
    do {                                                                                           \
        struct bridge_config *c_ = load(yaml);                                                     \
        CHECK(c_ == NULL);                                                                         \
        conf_free(c_);                                                                             \
        CHECK_STR(err.msg, want);                                                                  \
    } while (0)

/* The same, for a snippet with neither kafka nor sources: those two errors follow want. */
#define CHECK_ERR_BARE(yaml, want)                                                                 \
    CHECK_ERR(yaml,                                                                                \
              want "\nbad.yaml: kafka: required key is missing\nbad.yaml: sources: required "      \
                   "key is missing")

/* The shape of config/production.yaml, every key written out. */
static const char full_yaml[] =
    "listen: 127.0.0.1:8081\n"
    "admin_listen: \"[::]:9091\"\n"
    "threads: 4\n"
    "max_body_bytes: 2MiB\n"
    "max_inflight: 500\n"
    "max_connections: 600\n"
    "idle_timeout_ms: 31000\n"
    "drain_delay_ms: 0\n"
    "shutdown_timeout_ms: 21000\n"
    "log_level: warn\n"
    "log_requests: true\n"
    "tls: {cert_file: /etc/tls/crt.pem, key_file: /etc/tls/key.pem}\n"
    "kafka:\n"
    "  brokers: kafka-0.kafka:9092, 10.1.2.3:9093\n"
    "  embedded_brokers: 2\n"
    "  create_topics: true\n"
    "  topic_partitions: 12\n"
    "  topic_replication: 2\n"
    "  librdkafka:\n"
    "    compression.type: zstd\n"
    "    linger.ms: 5\n"
    "    enable.ssl.certificate.verification: false\n"
    "dead_letter_topic: webhooks.dead-letter\n"
    "trusted_proxies: [10.0.0.0/8, 192.0.2.7, \"fd00::/8\"]\n"
    "sources:\n"
    "  mono:\n"
    "    path: /webhooks/mono\n"
    "    verify:\n"
    "      scheme: shared-secret\n"
    "      header: Mono-Webhook-Secret\n"
    "      secrets: [\"${MONO_WEBHOOK_SECRET}\", second-secret]\n"
    "      tolerance_s: 60\n"
    "      insecure: false\n"
    "    event:\n"
    "      type: /event\n"
    "      id: /event_id\n"
    "      time: X-Event-Time\n"
    "      key: [/data/account/_id, /data/id]\n"
    "    allow_from: [203.0.113.0/24]\n"
    "    ce_source: urn:mono\n"
    "    success_status: 202\n"
    "    ack: enqueue\n"
    "    ack_timeout_ms: 7000\n"
    "    format: structured\n"
    "    dead_letter_topic: mono.dead-letter\n"
    "    routes:\n"
    "      mono.events.account_connected: membership.account-connected\n"
    "      mono.events.account_*: membership.account-events\n"
    "      direct_debit.payment_successful: [payments.payment-succeeded, "
    "notifications.payment-succeeded]\n"
    "      \"*\": webhooks.unrouted\n"
    "  github:\n"
    "    path: /webhooks/github\n"
    "    verify:\n"
    "      scheme: hmac\n"
    "      header: X-Hub-Signature-256\n"
    "      algorithm: sha512\n"
    "      encoding: base64\n"
    "      prefix: \"sha256=\"\n"
    "      secrets: [gh-bridge-test-secret]\n"
    "    event: {type: X-GitHub-Event, id: null, time: \"\"}\n"
    "    routes: {push: github.push}\n";

static void test_full(void)
{
    setenv("MONO_WEBHOOK_SECRET", "mono-s3cret", 1);
    struct bridge_config *cfg = load(full_yaml);
    CHECK(cfg != NULL);
    if (cfg == NULL) {
        fprintf(stderr, "  error: %s\n", err.msg);
        return;
    }
    CHECK_STR(cfg->file, "bad.yaml");
    CHECK_STR(cfg->listen, "127.0.0.1:8081");
    CHECK_STR(cfg->admin_listen, "[::]:9091");
    CHECK(cfg->threads == 4);
    CHECK(cfg->max_body_bytes == 2 * 1024 * 1024);
    CHECK(cfg->max_inflight == 500);
    CHECK(cfg->max_connections == 600);
    CHECK(cfg->idle_timeout_ms == 31000);
    CHECK(cfg->drain_delay_ms == 0);
    CHECK(cfg->shutdown_timeout_ms == 21000);
    CHECK(cfg->log_level == LOG_LEVEL_WARN);
    CHECK(cfg->log_requests);
    CHECK_STR(cfg->tls_cert_file, "/etc/tls/crt.pem");
    CHECK_STR(cfg->tls_key_file, "/etc/tls/key.pem");

    CHECK_STR(cfg->kafka.brokers, "kafka-0.kafka:9092,10.1.2.3:9093");
    CHECK(cfg->kafka.brokers_pos.line == 14 && cfg->kafka.brokers_pos.col == 12);
    CHECK(cfg->kafka.embedded_brokers == 2);
    CHECK(cfg->kafka.create_topics);
    CHECK(cfg->kafka.topic_partitions == 12);
    CHECK(cfg->kafka.topic_replication == 2);
    CHECK(cfg->kafka.nprops == 3);
    if (cfg->kafka.nprops == 3) {
        CHECK_STR(cfg->kafka.props[0].key, "compression.type");
        CHECK_STR(cfg->kafka.props[0].value, "zstd");
        CHECK(cfg->kafka.props[0].pos.line == 20 && cfg->kafka.props[0].pos.col == 5);
        CHECK_STR(cfg->kafka.props[1].key, "linger.ms");
        CHECK_STR(cfg->kafka.props[1].value, "5");
        CHECK_STR(cfg->kafka.props[2].value, "false");
    }
    CHECK_STR(cfg->dead_letter_topic, "webhooks.dead-letter");
    CHECK(cfg->ntrusted_proxies == 3);
    if (cfg->ntrusted_proxies == 3) {
        static const unsigned char v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10};
        static const unsigned char host[16] = {0, 0, 0,    0,    0,   0, 0, 0,
                                               0, 0, 0xff, 0xff, 192, 0, 2, 7};
        static const unsigned char v6[16] = {0xfd};
        CHECK(memcmp(cfg->trusted_proxies[0].addr, v4, 16) == 0);
        CHECK(cfg->trusted_proxies[0].prefix == 104);
        CHECK_STR(cfg->trusted_proxies[0].text, "10.0.0.0/8");
        CHECK(memcmp(cfg->trusted_proxies[1].addr, host, 16) == 0);
        CHECK(cfg->trusted_proxies[1].prefix == 128);
        CHECK(memcmp(cfg->trusted_proxies[2].addr, v6, 16) == 0);
        CHECK(cfg->trusted_proxies[2].prefix == 8);
    }

    CHECK(cfg->nsources == 2);
    if (cfg->nsources != 2) {
        conf_free(cfg);
        return;
    }
    const struct conf_source *s = &cfg->sources[0];
    CHECK_STR(s->name, "mono");
    CHECK(s->pos.line == 26 && s->pos.col == 3);
    CHECK_STR(s->path, "/webhooks/mono");
    CHECK(s->verify.scheme == VERIFY_SCHEME_SHARED_SECRET);
    CHECK_STR(s->verify.header, "mono-webhook-secret");
    CHECK(s->verify.pos.line == 28 && s->verify.pos.col == 5);
    CHECK(s->verify.nsecrets == 2);
    if (s->verify.nsecrets == 2) {
        CHECK_STR(s->verify.secrets[0].value, "mono-s3cret");
        CHECK(s->verify.secrets[0].len == 11);
        CHECK(s->verify.secrets[0].file == NULL);
        CHECK(s->verify.secrets[0].pos.line == 31 && s->verify.secrets[0].pos.col == 17);
        CHECK_STR(s->verify.secrets[1].value, "second-secret");
    }
    CHECK(s->verify.tolerance_s == 60);
    CHECK(!s->verify.insecure);
    CHECK(s->type.from == FIELD_POINTER);
    CHECK_STR(s->type.value, "/event");
    CHECK(s->type.pos.line == 35 && s->type.pos.col == 13);
    CHECK(s->id.from == FIELD_POINTER);
    CHECK_STR(s->id.value, "/event_id");
    CHECK(s->time.from == FIELD_HEADER);
    CHECK_STR(s->time.value, "x-event-time");
    CHECK(s->nkey == 2);
    if (s->nkey == 2) {
        CHECK_STR(s->key[0], "/data/account/_id");
        CHECK_STR(s->key[1], "/data/id");
    }
    CHECK(s->nallow_from == 1);
    if (s->nallow_from == 1) {
        CHECK(s->allow_from[0].prefix == 120);
        CHECK_STR(s->allow_from[0].text, "203.0.113.0/24");
    }
    CHECK_STR(s->ce_source, "urn:mono");
    CHECK(s->success_status == 202);
    CHECK(s->ack == ACK_ENQUEUE);
    CHECK(s->ack_timeout_ms == 7000);
    CHECK(s->format == CE_FORMAT_STRUCTURED);
    CHECK_STR(s->dead_letter_topic, "mono.dead-letter");
    CHECK(s->nroutes == 4);
    if (s->nroutes == 4) {
        CHECK_STR(s->routes[0].pattern, "mono.events.account_connected");
        CHECK(s->routes[0].ntopics == 1);
        CHECK_STR(s->routes[0].topics[0], "membership.account-connected");
        CHECK(s->routes[0].pos.line == 47 && s->routes[0].pos.col == 7);
        CHECK_STR(s->routes[1].pattern, "mono.events.account_*");
        CHECK(s->routes[2].ntopics == 2);
        if (s->routes[2].ntopics == 2) {
            CHECK_STR(s->routes[2].topics[0], "payments.payment-succeeded");
            CHECK_STR(s->routes[2].topics[1], "notifications.payment-succeeded");
        }
        CHECK_STR(s->routes[3].pattern, "*");
        CHECK_STR(s->routes[3].topics[0], "webhooks.unrouted");
    }

    const struct conf_source *g = &cfg->sources[1];
    CHECK_STR(g->name, "github");
    CHECK(g->verify.scheme == VERIFY_SCHEME_HMAC);
    CHECK_STR(g->verify.header, "x-hub-signature-256");
    CHECK(g->verify.algorithm == HMAC_SHA512);
    CHECK(g->verify.encoding == SIG_BASE64);
    CHECK_STR(g->verify.prefix, "sha256=");
    CHECK(g->type.from == FIELD_HEADER);
    CHECK_STR(g->type.value, "x-github-event");
    CHECK(g->id.from == FIELD_ABSENT && g->id.value == NULL);
    CHECK(g->time.from == FIELD_ABSENT && g->time.value == NULL);
    CHECK(g->nkey == 0);
    CHECK_STR(g->ce_source, "/webhook-bridge/github");
    CHECK_STR(g->dead_letter_topic, "webhooks.dead-letter"); /* inherited */

    CHECK(conf_find_source(cfg, "/webhooks/github", 16) == g);
    CHECK(conf_find_source(cfg, "/webhooks/mono?x", 14) == s); /* (base, len), not C string */
    CHECK(conf_find_source(cfg, "/webhooks/mon", 13) == NULL);
    CHECK(conf_find_source(cfg, "/webhooks/monoo", 15) == NULL);
    CHECK(conf_find_source(cfg, "", 0) == NULL);
    CHECK(conf_find_source(NULL, "/webhooks/mono", 14) == NULL);
    conf_free(cfg);
}

static const char minimal_yaml[] = "kafka:\n"
                                   "  brokers: embedded\n"
                                   "sources:\n"
                                   "  mono:\n"
                                   "    path: /webhooks/mono\n"
                                   "    verify:\n"
                                   "      scheme: shared-secret\n"
                                   "      header: mono-webhook-secret\n"
                                   "      secrets: [inline-secret]\n"
                                   "    routes:\n"
                                   "      \"*\": webhooks.unrouted\n";

static void test_defaults(void)
{
    struct bridge_config *cfg = load(minimal_yaml);
    CHECK(cfg != NULL);
    if (cfg == NULL) {
        fprintf(stderr, "  error: %s\n", err.msg);
        return;
    }
    CHECK_STR(cfg->listen, "0.0.0.0:8080");
    CHECK_STR(cfg->admin_listen, "0.0.0.0:9090");
    CHECK(cfg->threads == 0);
    CHECK(cfg->max_body_bytes == 1048576);
    CHECK(cfg->max_inflight == 10000);
    CHECK(cfg->max_connections == 10000);
    CHECK(cfg->idle_timeout_ms == 30000);
    CHECK(cfg->drain_delay_ms == 5000);
    CHECK(cfg->shutdown_timeout_ms == 20000);
    CHECK(cfg->log_level == LOG_LEVEL_INFO);
    CHECK(!cfg->log_requests);
    CHECK(cfg->tls_cert_file == NULL && cfg->tls_key_file == NULL);
    CHECK_STR(cfg->kafka.brokers, "embedded");
    CHECK(cfg->kafka.embedded_brokers == 1);
    CHECK(!cfg->kafka.create_topics);
    CHECK(cfg->kafka.topic_partitions == 3);
    CHECK(cfg->kafka.topic_replication == 1); /* embedded */
    CHECK(cfg->kafka.nprops == 0);
    CHECK(cfg->dead_letter_topic == NULL);
    CHECK(cfg->ntrusted_proxies == 0);
    CHECK(cfg->nsources == 1);
    const struct conf_source *s = &cfg->sources[0];
    CHECK(s->verify.algorithm == HMAC_SHA256);
    CHECK(s->verify.encoding == SIG_HEX);
    CHECK_STR(s->verify.prefix, "");
    CHECK(s->verify.tolerance_s == 300);
    CHECK(!s->verify.insecure);
    CHECK(s->type.from == FIELD_POINTER);
    CHECK_STR(s->type.value, "/event");
    CHECK(s->type.pos.line == 0); /* a default */
    CHECK_STR(s->id.value, "/event_id");
    CHECK_STR(s->time.value, "/timestamp");
    CHECK(s->nkey == 0);
    CHECK(s->nallow_from == 0);
    CHECK_STR(s->ce_source, "/webhook-bridge/mono");
    CHECK(s->success_status == 200);
    CHECK(s->ack == ACK_BROKER);
    CHECK(s->ack_timeout_ms == 5000);
    CHECK(s->format == CE_FORMAT_BINARY);
    CHECK(s->dead_letter_topic == NULL);
    conf_free(cfg);

    /* Not embedded: replication defaults to 3. */
    static const char external[] = "kafka: {brokers: \"kafka:9092\"}\n"
                                   "sources:\n"
                                   "  s: {path: /s, verify: {scheme: slack, secrets: [x-secret-value]},"
                                   " routes: {\"*\": t}}\n";
    cfg = load(external);
    CHECK(cfg != NULL);
    if (cfg != NULL) {
        CHECK(cfg->kafka.topic_replication == 3);
        CHECK(cfg->sources[0].verify.header == NULL); /* the verifier knows Slack's headers */
    }
    conf_free(cfg);
}

static void test_env(void)
{
    static const char tmpl[] = "kafka:\n"
                               "  brokers: ${TEST_BROKERS:-embedded}\n"
                               "  librdkafka:\n"
                               "    client.id: \"a$$b-${TEST_CLIENT}-$x\"\n"
                               "sources:\n"
                               "  mono:\n"
                               "    path: /webhooks/${TEST_PATH:-mono}\n"
                               "    verify:\n"
                               "      scheme: shared-secret\n"
                               "      header: mono-webhook-secret\n"
                               "      secrets: [\"${TEST_SECRET}\"]\n"
                               "    routes:\n"
                               "      \"*\": webhooks.unrouted\n";
    unsetenv("TEST_BROKERS");
    unsetenv("TEST_PATH");
    setenv("TEST_CLIENT", "bridge", 1);
    setenv("TEST_SECRET", "from-env", 1);
    struct bridge_config *cfg = load(tmpl);
    CHECK(cfg != NULL);
    if (cfg != NULL) {
        CHECK_STR(cfg->kafka.brokers, "embedded");             /* default */
        CHECK_STR(cfg->kafka.props[0].value, "a$b-bridge-$x"); /* $$ and a lone $ */
        CHECK_STR(cfg->sources[0].path, "/webhooks/mono");
        CHECK_STR(cfg->sources[0].verify.secrets[0].value, "from-env");
    }
    conf_free(cfg);

    setenv("TEST_BROKERS", "k1:9092,k2:9092", 1);
    setenv("TEST_PATH", "", 1); /* :- also replaces an empty value */
    cfg = load(tmpl);
    CHECK(cfg != NULL);
    if (cfg != NULL) {
        CHECK_STR(cfg->kafka.brokers, "k1:9092,k2:9092");
        CHECK_STR(cfg->sources[0].path, "/webhooks/mono");
    }
    conf_free(cfg);

    unsetenv("TEST_SECRET");
    CHECK_ERR(tmpl, "bad.yaml:11:17: sources.mono.verify.secrets[0]: environment variable "
                    "TEST_SECRET is not set and has no default");
    setenv("TEST_SECRET", "", 1);
    CHECK_ERR(tmpl, "bad.yaml:11:17: sources.mono.verify.secrets[0]: secret is empty");
    setenv("TEST_SECRET", "ok", 1);
    setenv("TEST_BROKERS", "not a broker", 1);
    CHECK_ERR(tmpl, "bad.yaml:2:12: kafka.brokers: invalid broker address \"not a broker\": "
                    "expected host:port (expected embedded or host:port[,host:port...])\n"
                    "bad.yaml:11:17: sources.mono.verify.secrets[0]: a secret of 2 bytes is too "
                    "short to resist guessing: use at least 8 (16 or more recommended), or set "
                    "insecure: true");

    unsetenv("TEST_BROKERS");
    CHECK_ERR_BARE("threads: ${TEST_THREADS:-x}y}\n",
                   "bad.yaml:1:10: threads: expected an integer, got \"${TEST_THREADS:-x}y}\"");
    CHECK_ERR_BARE("threads: ${TEST THREADS}\n",
                   "bad.yaml:1:10: threads: invalid ${...} expression (expected ${NAME} or "
                   "${NAME:-default}; write $$ for a literal $)");
    CHECK_ERR_BARE("threads: ${TEST_THREADS\n",
                   "bad.yaml:1:10: threads: unterminated ${ in value (write $$ for a literal $)");

    /* A message quotes the value as written, never its expansion (which may be a secret). */
    setenv("TEST_THREADS", "hunter2", 1);
    CHECK_ERR_BARE("threads: ${TEST_THREADS}\n",
                   "bad.yaml:1:10: threads: expected an integer, got \"${TEST_THREADS}\"");
    CHECK(strstr(err.msg, "hunter2") == NULL);
    setenv("TEST_THREADS", "8", 1);
    struct bridge_config *c8 = load("threads: ${TEST_THREADS}\nkafka: {brokers: embedded}\n"
                                    "sources: {a: {path: /a, verify: {scheme: none, insecure: "
                                    "true}, routes: {\"*\": t}}}\n");
    CHECK(c8 != NULL && c8->threads == 8);
    conf_free(c8);
    unsetenv("TEST_THREADS");
}

/* minimal_yaml with line `line` (1-based) replaced by `text` */
static char *edit(int line, const char *text)
{
    static char buf[4096];
    const char *p = minimal_yaml;
    size_t n = 0;
    for (int l = 1; *p != '\0'; ++l) {
        const char *eol = strchr(p, '\n');
        size_t len = (size_t)(eol - p) + 1;
        if (l == line) {
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", text);
        } else {
            memcpy(buf + n, p, len);
            n += len;
        }
        p += len;
    }
    buf[n] = '\0';
    return buf;
}

static void test_errors(void)
{
    /* unknown keys */
    CHECK_ERR("kafka:\n  brokers: embedded\nkafak: 1\n",
              "bad.yaml:3:1: kafak: unknown key (did you mean kafka?)\n"
              "bad.yaml: sources: required key is missing");
    CHECK_ERR(edit(9, "      secrets: [x]\n      secret: y\n"),
              "bad.yaml:10:7: sources.mono.verify.secret: unknown key (did you mean secrets?)");
    CHECK_ERR(edit(11, "      \"*\": t\n    \"on.off\": x\n"),
              "bad.yaml:12:5: sources.mono.\"on.off\": unknown key");

    /* wrong types */
    CHECK_ERR_BARE("threads: many\n", "bad.yaml:1:10: threads: expected an integer, got \"many\"");
    CHECK_ERR_BARE("threads: 4.5\n", "bad.yaml:1:10: threads: expected an integer, got \"4.5\"");
    CHECK_ERR_BARE("listen: {host: x}\n",
                   "bad.yaml:1:9: listen: expected host:port, got a mapping");
    CHECK_ERR_BARE("listen:\n", "bad.yaml:1:8: listen: expected host:port, got null");
    CHECK_ERR_BARE("log_requests: yes\n",
                   "bad.yaml:1:15: log_requests: expected true or false, got \"yes\"");
    CHECK_ERR("kafka: [embedded]\n", "bad.yaml:1:8: kafka: expected a mapping, got a list\n"
                                     "bad.yaml: sources: required key is missing");
    CHECK_ERR_BARE("trusted_proxies: 10.0.0.0/8\n",
                   "bad.yaml:1:18: trusted_proxies: expected a list of networks, got a string");
    CHECK_ERR(edit(9, "      secrets: [{a: b}]\n"),
              "bad.yaml:9:17: sources.mono.verify.secrets[0]: expected a string, got a mapping");
    CHECK_ERR("- a\n- b\n",
              "bad.yaml:1:1: the top level must be a mapping of settings, got a list");

    /* out of range */
    CHECK_ERR_BARE("threads: 257\n", "bad.yaml:1:10: threads: 257 is out of range (0..256)");
    CHECK_ERR_BARE("threads: -1\n", "bad.yaml:1:10: threads: -1 is out of range (0..256)");
    CHECK_ERR_BARE("max_body_bytes: 65MiB\n",
                   "bad.yaml:1:17: max_body_bytes: 68157440 is out of range (1..67108864)");
    CHECK_ERR_BARE("max_body_bytes: 99999999999999999999999\n",
                   "bad.yaml:1:17: max_body_bytes: \"99999999999999999999999\" is out of range "
                   "(1..67108864)");
    CHECK_ERR_BARE("max_body_bytes: 1MB\n",
                   "bad.yaml:1:17: max_body_bytes: expected a size in bytes (optionally with KiB, "
                   "MiB or GiB), got \"1MB\"");
    CHECK_ERR(edit(10, "    success_status: 300\n    routes:\n"),
              "bad.yaml:10:21: sources.mono.success_status: 300 is out of range (200..299)");

    /* enums */
    CHECK_ERR(edit(7, "      scheme: hmca\n"),
              "bad.yaml:7:15: sources.mono.verify.scheme: unknown value \"hmca\" (expected one "
              "of shared-secret, hmac, stripe, standard-webhooks, slack, none)");
    CHECK_ERR_BARE("log_level: verbose\n", "bad.yaml:1:12: log_level: unknown value \"verbose\" "
                                           "(expected one of debug, info, warn, error)");

    /* JSON pointers */
    CHECK_ERR(edit(10, "    event: {key: [/data/~2]}\n    routes:\n"),
              "bad.yaml:10:19: sources.mono.event.key[0]: invalid JSON pointer \"/data/~2\": "
              "'~' must be followed by 0 or 1 in a JSON pointer (RFC 6901)");
    CHECK_ERR(edit(10, "    event:\n      type: /a~\n    routes:\n"),
              "bad.yaml:11:13: sources.mono.event.type: invalid JSON pointer \"/a~\": '~' must "
              "be followed by 0 or 1 in a JSON pointer (RFC 6901)");
    CHECK_ERR(edit(10, "    event: {key: [data]}\n    routes:\n"),
              "bad.yaml:10:19: sources.mono.event.key[0]: invalid JSON pointer \"data\": a "
              "JSON pointer starts with '/'");
    CHECK_ERR(edit(10, "    event: {type: \"bad header\"}\n    routes:\n"),
              "bad.yaml:10:19: sources.mono.event.type: invalid header name \"bad header\": a "
              "header name has only letters, digits and !#$%&'*+-.^_`|~");

    /* listen addresses */
    CHECK_ERR_BARE("listen: 0.0.0.0:99999\n", "bad.yaml:1:9: listen: invalid address "
                                              "\"0.0.0.0:99999\": port out of range (1..65535)");
    CHECK_ERR_BARE(
        "listen: 0.0.0.0:0\n",
        "bad.yaml:1:9: listen: invalid address \"0.0.0.0:0\": port out of range (1..65535)");
    CHECK_ERR_BARE("listen: 8080\n",
                   "bad.yaml:1:9: listen: invalid address \"8080\": expected host:port");
    CHECK_ERR_BARE("listen: :8080\n", "bad.yaml:1:9: listen: invalid address \":8080\": missing "
                                      "host (use 0.0.0.0 or [::] for every address)");
    CHECK_ERR_BARE("listen: 300.1.1.1:80\n",
                   "bad.yaml:1:9: listen: invalid address \"300.1.1.1:80\": invalid IPv4 address");
    CHECK_ERR_BARE("listen: ::1:8080\n",
                   "bad.yaml:1:9: listen: invalid address \"::1:8080\": an "
                   "IPv6 address must be written in brackets, e.g. [::1]:8080");
    CHECK_ERR_BARE("listen: \"[::g]:80\"\n",
                   "bad.yaml:1:9: listen: invalid address \"[::g]:80\": invalid IPv6 address");
    CHECK_ERR_BARE("listen: bad_host-:80\n",
                   "bad.yaml:1:9: listen: invalid address \"bad_host-:80\": invalid host name");
    CHECK_ERR_BARE("admin_listen: localhost:http\n", "bad.yaml:1:15: admin_listen: invalid address "
                                                     "\"localhost:http\": port is not a number");

    /* routes and topics */
    CHECK_ERR(edit(11, "      \"mono.x\": []\n"),
              "bad.yaml:11:7: sources.mono.routes.\"mono.x\": route has no topic");
    CHECK_ERR(edit(11, "      mono_x:\n"),
              "bad.yaml:11:7: sources.mono.routes.mono_x: route has no topic");
    CHECK_ERR(edit(11, "      \"*\": bad topic\n"),
              "bad.yaml:11:12: sources.mono.routes.\"*\": invalid topic name \"bad topic\": a "
              "topic name has only the characters a-z A-Z 0-9 . _ -");
    CHECK_ERR(edit(11, "      \"*\": [ok, \"..\"]\n"),
              "bad.yaml:11:17: sources.mono.routes.\"*\"[1]: invalid topic name \"..\": a topic "
              "name cannot be \".\" or \"..\"");
    CHECK_ERR(edit(11, "      {}\n"),
              "bad.yaml:11:7: sources.mono.routes: at least one route is required");
    CHECK_ERR_BARE("dead_letter_topic: dead/letter\n",
                   "bad.yaml:1:20: dead_letter_topic: invalid topic name \"dead/letter\": a topic "
                   "name has only the characters a-z A-Z 0-9 . _ -");

    /* duplicate keys, at any depth */
    CHECK_ERR_BARE("listen: 0.0.0.0:1\nlisten: 0.0.0.0:2\n",
                   "bad.yaml:2:1: listen: duplicate key (first at 1:1)");
    CHECK_ERR(edit(11, "      a.b: t\n      a.b: u\n"),
              "bad.yaml:12:7: sources.mono.routes.\"a.b\": duplicate key (first at 11:7)");

    /* verification rules */
    CHECK_ERR(edit(7, "      scheme: none\n"),
              "bad.yaml:7:15: sources.mono.verify.scheme: scheme none accepts unauthenticated "
              "requests and requires insecure: true");
    CHECK_ERR(edit(7, "      scheme: none\n      insecure: true\n"),
              "bad.yaml:10:7: sources.mono.verify.secrets: scheme none takes no secrets");
    CHECK_ERR(edit(9, "      secrets: []\n"),
              "bad.yaml:6:5: sources.mono.verify: scheme shared-secret requires at least one "
              "secret (secrets or secret_files)");
    CHECK_ERR(edit(8, ""), "bad.yaml:6:5: sources.mono.verify: scheme shared-secret requires "
                           "header");
    CHECK_ERR(edit(8, "      header: x\n      algorithm: sha1\n"),
              "bad.yaml:9:7: sources.mono.verify.algorithm: applies only to scheme hmac (this "
              "scheme is shared-secret)");
    CHECK_ERR(edit(9, "      secrets: [\"\"]\n"),
              "bad.yaml:9:17: sources.mono.verify.secrets[0]: secret is empty");
    /* a guessable secret: under 8 bytes refused (its length named, never its text) unless
     * insecure: true; under 16 loaded with a warning at its place */
    CHECK_ERR(edit(9, "      secrets: [long-enough-secret-1, s3cr3t]\n"),
              "bad.yaml:9:39: sources.mono.verify.secrets[1]: a secret of 6 bytes is too short to "
              "resist guessing: use at least 8 (16 or more recommended), or set insecure: true");
    CHECK(strstr(err.msg, "s3cr3t") == NULL);
    struct bridge_config *shortok = load(edit(9, "      secrets: [s3cr3t]\n      insecure: true\n"));
    CHECK(shortok != NULL && shortok->nwarnings == 1);
    if (shortok != NULL && shortok->nwarnings == 1)
        CHECK_STR(shortok->warnings[0], "bad.yaml:9:17: sources.mono.verify.secrets[0]: warning: a "
                                        "secret of 6 bytes is short; 16 or more are recommended");
    conf_free(shortok);
    struct bridge_config *good = load(edit(9, "      secrets: [sixteen-bytes-ok]\n"));
    CHECK(good != NULL && good->nwarnings == 0);
    conf_free(good);

    /* required keys and structure */
    CHECK_ERR("", "bad.yaml: kafka: required key is missing\n"
                  "bad.yaml: sources: required key is missing");
    CHECK_ERR("kafka: {brokers: embedded}\n", "bad.yaml: sources: required key is missing");
    CHECK_ERR("kafka: {}\n", "bad.yaml:1:1: kafka.brokers: required key is missing\n"
                             "bad.yaml: sources: required key is missing");
    CHECK_ERR("kafka: {brokers: embedded}\nsources: {}\n",
              "bad.yaml:2:10: sources: at least one source is required");
    CHECK_ERR(edit(5, ""), "bad.yaml:4:3: sources.mono.path: required key is missing");
    CHECK_ERR(edit(5, "    path: webhooks/mono\n"),
              "bad.yaml:5:11: sources.mono.path: invalid path \"webhooks/mono\": a path starts "
              "with '/'");
    CHECK_ERR("kafka: {brokers: embedded}\n"
              "sources:\n"
              "  a: {path: /x, verify: {scheme: slack, secrets: [s-secret-value]}, routes: {\"*\": t}}\n"
              "  b: {path: /x, verify: {scheme: slack, secrets: [s-secret-value]}, routes: {\"*\": t}}\n",
              "bad.yaml:4:13: sources.b.path: path \"/x\" is already used by source a");
    CHECK_ERR("kafka: {brokers: embedded}\n"
              "sources:\n"
              "  \"a b\": {path: /x, verify: {scheme: slack, secrets: [s-secret-value]}, routes: {\"*\": t}}\n",
              "bad.yaml:3:3: sources.\"a b\": invalid source name (use only a-z A-Z 0-9 . _ -)");
    CHECK_ERR(edit(1, "tls: {cert_file: /c.pem}\nkafka:\n"),
              "bad.yaml:1:1: tls: cert_file and key_file must be given together");
    /* the embedded cluster keeps min(embedded_brokers, 3) replicas whatever is asked: that is
     * the value, and another one is a warning (it was accepted, and ignored, at 2 of 3) */
    struct bridge_config *emb =
        load(edit(2, "  brokers: embedded\n  embedded_brokers: 3\n  topic_replication: 2\n"));
    CHECK(emb != NULL && emb->kafka.topic_replication == 3 && emb->nwarnings == 2);
    if (emb != NULL && emb->nwarnings == 2) /* in file order; the other: the secret is short */
        CHECK_STR(emb->warnings[0], "bad.yaml:4:22: kafka.topic_replication: warning: 2 does not "
                                    "apply to the embedded cluster, which keeps 3 replicas of "
                                    "each topic (min(embedded_brokers, 3))");
    conf_free(emb);
    emb = load(edit(2, "  brokers: embedded\n  embedded_brokers: 2\n"));
    CHECK(emb != NULL && emb->kafka.topic_replication == 2 && emb->nwarnings == 1);
    conf_free(emb);
    /* a pointer the scanner cannot hold is refused at its line, not later at the source's */
    CHECK_ERR(edit(10, "    event: {key: [/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17]}\n    routes:\n"),
              "bad.yaml:10:19: sources.mono.event.key[0]: invalid JSON pointer "
              "\"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17\": a JSON pointer has at most 16 "
              "tokens");
    CHECK_ERR_BARE("trusted_proxies: [10.0.0.1/8]\n",
                   "bad.yaml:1:19: trusted_proxies[0]: invalid network \"10.0.0.1/8\": address has "
                   "bits set beyond the prefix length");
    /* one network rule: the matcher's old parser refused a leading zero, the loader took it */
    CHECK_ERR_BARE(
        "trusted_proxies: [10.0.0.0/08]\n",
        "bad.yaml:1:19: trusted_proxies[0]: invalid network \"10.0.0.0/08\": invalid prefix "
        "length");
    CHECK_ERR_BARE("trusted_proxies: [10.0.0.0/33]\n",
                   "bad.yaml:1:19: trusted_proxies[0]: invalid network \"10.0.0.0/33\": prefix "
                   "length out of range (0..32)");

    /* libyaml syntax errors and what the tree refuses */
    CHECK_ERR("kafka:\n  brokers: embedded\n bad: x\n",
              "bad.yaml:3:2: did not find expected key (while parsing a block mapping at 1:1)");
    CHECK_ERR("listen: [::]:8080\n", "bad.yaml:1:10: did not find expected node content (while "
                                     "parsing a flow node at 1:10)");
    CHECK_ERR("a: &x 1\nb: *x\n",
              "bad.yaml:1:4: anchors (&x) are not supported, nor aliases: write each value out");
    CHECK_ERR("a: *x\n", "bad.yaml:1:4: aliases (*x) are not supported; to start a value with "
                         "'*', quote it, e.g. \"*.created\": topic");
    CHECK_ERR("a: 1\n---\nb: 2\n", "bad.yaml:2:1: only one YAML document is allowed");
    CHECK_ERR("? [a]\n: 1\n", "bad.yaml:1:3: a mapping key must be a string");
    CHECK_ERR("a: \x01\n", "bad.yaml:1:4: control characters are not allowed");
    char deep[400] = "";
    for (int i = 0; i < 100; ++i)
        strcat(deep, "[");
    CHECK_ERR(deep, "bad.yaml:1:66: nesting deeper than 64 levels");

    /* a secret never appears in a message */
    CHECK_ERR(edit(9, "      secrets: {p: hunter2}\n"),
              "bad.yaml:9:16: sources.mono.verify.secrets: expected a list of strings, got a "
              "mapping");
    CHECK(strstr(err.msg, "hunter2") == NULL);
}

static void test_files(void)
{
    char dir[] = "/tmp/test_conf_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], secret1[256], secret2[256], yaml[1024];
    snprintf(secret1, sizeof(secret1), "%s/secret1", dir);
    snprintf(secret2, sizeof(secret2), "%s/secret2", dir);
    snprintf(path, sizeof(path), "%s/bridge.yaml", dir);
    FILE *f = fopen(secret1, "w");
    fputs("file-secret\n", f);
    fclose(f);
    f = fopen(secret2, "w");
    fputs("crlf-secret\r\n\r\n", f); /* only one line end is stripped */
    fclose(f);

    snprintf(yaml, sizeof(yaml),
             "kafka: {brokers: embedded}\n"
             "sources:\n"
             "  s:\n"
             "    path: /s\n"
             "    verify:\n"
             "      scheme: standard-webhooks\n"
             "      secret_files: [%s, %s]\n"
             "      secrets: [inline-secret]\n"
             "    routes: {\"*\": t}\n",
             secret1, secret2);
    f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    struct bridge_config *cfg = NULL;
    CHECK(conf_load(path, &cfg, &err) == 0);
    if (cfg != NULL) {
        const struct conf_verify *v = &cfg->sources[0].verify;
        CHECK_STR(cfg->file, path);
        CHECK(v->nsecrets == 3);
        if (v->nsecrets == 3) {
            CHECK_STR(v->secrets[0].value, "inline-secret"); /* secrets before secret_files */
            CHECK(v->secrets[0].file == NULL);
            CHECK_STR(v->secrets[1].value, "file-secret");
            CHECK(v->secrets[1].len == 11);
            CHECK_STR(v->secrets[1].file, secret1);
            CHECK(v->secrets[1].pos.line == 7 && v->secrets[1].pos.col == 22);
            CHECK(v->secrets[2].len == 13 && memcmp(v->secrets[2].value, "crlf-secret\r\n", 13) == 0);
        }
    }
    conf_free(cfg);

    /* unreadable secret file: named with its position, its content never shown */
    char missing[300], want[600];
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    snprintf(yaml, sizeof(yaml),
             "kafka: {brokers: embedded}\n"
             "sources:\n"
             "  s:\n"
             "    path: /s\n"
             "    verify:\n"
             "      scheme: standard-webhooks\n"
             "      secret_files:\n"
             "        - %s\n"
             "    routes: {\"*\": t}\n",
             missing);
    CHECK_ERR(yaml, (snprintf(want, sizeof(want),
                              "bad.yaml:8:11: sources.s.verify.secret_files[0]: cannot read "
                              "secret file %s: No such file or directory",
                              missing),
                     want));
    snprintf(yaml, sizeof(yaml),
             "kafka: {brokers: embedded}\n"
             "sources:\n"
             "  s:\n"
             "    path: /s\n"
             "    verify: {scheme: stripe, secret_files: [%s]}\n"
             "    routes: {\"*\": t}\n",
             dir);
    CHECK_ERR(yaml, (snprintf(want, sizeof(want),
                              "bad.yaml:5:45: sources.s.verify.secret_files[0]: cannot read "
                              "secret file %s: Is a directory",
                              dir),
                     want));
    f = fopen(secret2, "w");
    fputs("\n", f);
    fclose(f);
    snprintf(yaml, sizeof(yaml),
             "kafka: {brokers: embedded}\n"
             "sources:\n"
             "  s:\n"
             "    path: /s\n"
             "    verify: {scheme: stripe, secret_files: [%s]}\n"
             "    routes: {\"*\": t}\n",
             secret2);
    CHECK_ERR(yaml, (snprintf(want, sizeof(want),
                              "bad.yaml:5:45: sources.s.verify.secret_files[0]: secret file %s "
                              "is empty",
                              secret2),
                     want));
    CHECK(strstr(err.msg, "file-secret") == NULL);

    /* a missing configuration file */
    snprintf(want, sizeof(want), "%s/nope.yaml: cannot open: No such file or directory", dir);
    snprintf(path, sizeof(path), "%s/nope.yaml", dir);
    cfg = (struct bridge_config *)1;
    CHECK(conf_load(path, &cfg, &err) == -1);
    CHECK(cfg == NULL);
    CHECK_STR(err.msg, want);

    unlink(secret1);
    unlink(secret2);
    snprintf(path, sizeof(path), "%s/bridge.yaml", dir);
    unlink(path);
    rmdir(dir);
}

/* Every error of a file at once, in file order; a broken section's cross-key rules stay quiet
 * (they would only report consequences); at most 50 lines, then how many more. */
static void test_all_errors(void)
{
    CHECK_ERR(
        "listen: nowhere\n"
        "kafka:\n"
        "  brokers: embedded\n"
        "  topic_partitions: 0\n"
        "sources:\n"
        "  a:\n"
        "    path: /a\n"
        "    verify: {scheme: hmca}\n"
        "    routes: {\"*\": \"bad topic\", ok: fine, \"x\": []}\n"
        "  b:\n"
        "    pth: /b\n"
        "    verify: {scheme: none, insecure: true}\n"
        "    routes: {\"*\": b}\n",
        "bad.yaml:1:9: listen: invalid address \"nowhere\": expected host:port\n"
        "bad.yaml:4:21: kafka.topic_partitions: 0 is out of range (1..100000)\n"
        "bad.yaml:8:22: sources.a.verify.scheme: unknown value \"hmca\" (expected one of "
        "shared-secret, hmac, stripe, standard-webhooks, slack, none)\n"
        "bad.yaml:9:19: sources.a.routes.\"*\": invalid topic name \"bad topic\": a topic name "
        "has only the characters a-z A-Z 0-9 . _ -\n"
        "bad.yaml:9:42: sources.a.routes.x: route has no topic\n"
        "bad.yaml:10:3: sources.b.path: required key is missing\n"
        "bad.yaml:11:5: sources.b.pth: unknown key (did you mean path?)");

    /* duplicates everywhere are all reported, and only the first of each is loaded */
    CHECK_ERR(
        "kafka: {brokers: embedded}\nthreads: 1\nthreads: x\nthreads: 2\n"
        "sources: {a: {path: /a, verify: {scheme: none, insecure: true}, routes: {\"*\": t}}}\n",
        "bad.yaml:3:1: threads: duplicate key (first at 2:1)\n"
        "bad.yaml:4:1: threads: duplicate key (first at 2:1)");

    char big[4096] = "";
    for (int i = 0; i != 60; ++i)
        snprintf(big + strlen(big), sizeof(big) - strlen(big), "k%d: 1\n", i);
    struct bridge_config *c = load(big);
    CHECK(c == NULL);
    size_t lines = 0;
    for (const char *p = err.msg; (p = strchr(p, '\n')) != NULL; ++p)
        ++lines;
    CHECK(lines == 50);
    CHECK(strncmp(err.msg, "bad.yaml:1:1: k0: unknown key\nbad.yaml:2:1: k1: unknown key\n", 60) ==
          0);
    CHECK_CONTAINS(err.msg, "bad.yaml:50:1: k49: unknown key\nbad.yaml: 12 more errors not shown");
    CHECK(err.msg[strlen(err.msg) - 1] == 'n');
}

/* Findings that load but do not work as meant: warnings at their place, in file order. */
static void test_lint_warnings(void)
{
    char dir[] = "/tmp/test_conf_lint_XXXXXX", path[300], secret[300], yaml[2048];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(secret, sizeof(secret), "%s/secret", dir);
    FILE *f = fopen(secret, "w");
    fputs(" file-secret-of-enough-bytes\n", f); /* one line end is stripped, not the space */
    fclose(f);
    snprintf(yaml, sizeof(yaml),
             "kafka:\n"
             "  brokers: PLAINTEXT://k1:9092,k2:9092\n"
             "dead_letter_topic: __transaction_state\n"
             "sources:\n"
             "  s:\n"
             "    path: /s\n"
             "    verify:\n"
             "      scheme: stripe\n"
             "      secrets: [\"${LINT_UNSET_SECRET}\", \"${LINT_UNSET_A}-${LINT_UNSET_B}\"]\n"
             "      secret_files: [%s]\n"
             "    routes: {\"*\": t}\n",
             secret);
    snprintf(path, sizeof(path), "%s/bridge.yaml", dir);
    f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    unsetenv("LINT_UNSET_SECRET");
    unsetenv("LINT_UNSET_A");
    unsetenv("LINT_UNSET_B");
    struct bridge_config *cfg = NULL;
    CHECK(conf_load(path, &cfg, &err) == -1);
    CHECK_CONTAINS(err.msg, "environment variable LINT_UNSET_SECRET is not set");
    struct conf_options opt = {.placeholders = true};
    CHECK(conf_load_opts(path, &opt, &cfg, &err) == 0);
    if (cfg != NULL) {
        CHECK_STR(cfg->kafka.brokers, "k1:9092,k2:9092");
        CHECK(cfg->sources[0].verify.nsecrets == 3);
        /* a secret that is one ${VAR}: a placeholder every scheme takes (this one is stripe) */
        CHECK_STR(cfg->sources[0].verify.secrets[0].value,
                  "whsec_cGxhY2Vob2xkZXItc2VjcmV0LW9mLTMyLWJ5dGVzISE=");
        CHECK_STR(cfg->sources[0].verify.secrets[1].value,
                  "placeholder-lint-unset-a-placeholder-lint-unset-b");
        CHECK(cfg->nwarnings == 5);
        const char *want[] = {
            ":2:12: kafka.brokers: warning: broker \"PLAINTEXT://k1:9092\" is written with a "
            "scheme: "
            "the bridge drops \"PLAINTEXT://\" and uses host:port; TLS and SASL are set by "
            "kafka.librdkafka security.protocol",
            ":3:20: dead_letter_topic: warning: topic \"__transaction_state\" is named like "
            "Kafka's internal topics (__consumer_offsets, __transaction_state): brokers refuse "
            "records to those",
            ":9:17: sources.s.verify.secrets[0]: warning: ${LINT_UNSET_SECRET} is not set: "
            "checked with a placeholder (--placeholders)",
            ":9:41: sources.s.verify.secrets[1]: warning: ${LINT_UNSET_A}, ${LINT_UNSET_B} are "
            "not set: checked with a placeholder (--placeholders)",
            ":10:22: sources.s.verify.secret_files[0]: warning: the secret starts with "
            "whitespace: it is compared byte for byte, so a request with the secret as the "
            "provider shows it gets 401",
            NULL,
        };
        for (size_t i = 0; want[i] != NULL && i < cfg->nwarnings; ++i) {
            CHECK(strncmp(cfg->warnings[i], path, strlen(path)) == 0);
            CHECK_STR(cfg->warnings[i] + strlen(path), want[i]);
        }
        CHECK(cfg->nwarnings < 5 || strstr(cfg->warnings[4], "file-secret") == NULL);
    }
    conf_free(cfg);
    unlink(secret);
    unlink(path);
    rmdir(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* A config directory: every *.yaml, in name order, merged; positions name their own file;
 * conf_stamp() changes with an edit, an addition and a removal, and only then. */
static void test_dir(void)
{
    char dir[] = "/tmp/test_conf_dir_XXXXXX", path[512], want[2048];
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "00-base.yaml", "kafka: {brokers: embedded}\ndead_letter_topic: dl\n");
    write_file(dir, "20-b.yaml",
               "sources:\n  b: {path: /b, verify: {scheme: none, insecure: true}, "
               "routes: {\"*\": b}}\n");
    write_file(dir, "10-a.yaml",
               "# a\nsources:\n  a: {path: /a, verify: {scheme: none, insecure: "
               "true}, routes: {\"*\": a}}\n");
    write_file(dir, ".hidden.yaml", "junk: [");
    write_file(dir, "notes.yml", "junk: [");
    snprintf(path, sizeof(path), "%s/sub.yaml", dir);
    CHECK(mkdir(path, 0700) == 0);
    uint64_t s0 = conf_stamp(dir);
    CHECK(s0 != 0 && conf_stamp(dir) == s0);

    struct bridge_config *cfg = NULL;
    CHECK(conf_load(dir, &cfg, &err) == 0);
    if (cfg != NULL) {
        CHECK_STR(cfg->file, dir);
        CHECK(cfg->nfiles == 3 && cfg->nsources == 2);
        if (cfg->nfiles == 3 && cfg->nsources == 2) {
            snprintf(path, sizeof(path), "%s/10-a.yaml", dir);
            CHECK_STR(cfg->files[1], path);
            CHECK_STR(cfg->sources[0].name, "a"); /* 10-a before 20-b */
            CHECK(cfg->sources[0].pos.file == cfg->files[1] && cfg->sources[0].pos.line == 3);
            CHECK_STR(cfg->sources[1].dead_letter_topic, "dl"); /* inherited across files */
        }
    } else {
        fprintf(stderr, "  %s\n", err.msg);
    }
    conf_free(cfg);

    /* errors name their own file; a key in two files names both */
    write_file(dir, "30-c.yaml",
               "dead_letter_topic: other\nsources:\n  a: {path: /c}\n"
               "  c: {path: c, verify: {scheme: none, insecure: true}, "
               "routes: {\"*\": c}}\n");
    uint64_t s1 = conf_stamp(dir);
    CHECK(s1 != s0);
    CHECK(conf_load(dir, &cfg, &err) == -1);
    snprintf(want, sizeof(want),
             "%s/30-c.yaml:1:1: dead_letter_topic: also set at %s/00-base.yaml:2:1 (in a config "
             "directory, each top-level key is set in one file)\n"
             "%s/30-c.yaml:3:3: sources.a: also defined at %s/10-a.yaml:3:3 (in a config "
             "directory, each source is defined in one file)\n"
             "%s/30-c.yaml:4:13: sources.c.path: invalid path \"c\": a path starts with '/'",
             dir, dir, dir, dir, dir);
    CHECK_STR(err.msg, want);

    /* an edit of the same size (saved by a rename, as editors and the kubelet do) and a
     * removal change the stamp */
    write_file(dir, "30-c.yaml.tmp", "dead_letter_topic: 0ther\n");
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s/30-c.yaml.tmp", dir);
    CHECK(conf_stamp(dir) == s1); /* not a *.yaml */
    snprintf(path, sizeof(path), "%s/30-c.yaml", dir);
    CHECK(rename(tmp, path) == 0);
    uint64_t s2 = conf_stamp(dir);
    unlink(path);
    uint64_t s3 = conf_stamp(dir);
    CHECK(s2 != s1);
    CHECK(s3 != s2 && s3 != s1);

    /* a syntax error in one file, and a list at another's top level: both named */
    write_file(dir, "40-d.yaml", "sources: [\n");
    write_file(dir, "50-e.yaml", "- x\n");
    CHECK(conf_load(dir, &cfg, &err) == -1);
    snprintf(want, sizeof(want),
             "%s/40-d.yaml:2:1: did not find expected node content (while parsing a flow node "
             "at 2:1)",
             dir);
    CHECK_STR(err.msg, want);
    snprintf(path, sizeof(path), "%s/40-d.yaml", dir);
    unlink(path);
    CHECK(conf_load(dir, &cfg, &err) == -1);
    snprintf(want, sizeof(want),
             "%s/50-e.yaml:1:1: the top level must be a mapping of settings, got a list", dir);
    CHECK_STR(err.msg, want);

    const char *names[] = {"00-base.yaml", "10-a.yaml",    "20-b.yaml",
                           "50-e.yaml",    ".hidden.yaml", "notes.yml"};
    for (size_t i = 0; i != sizeof(names) / sizeof(names[0]); ++i) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/sub.yaml", dir);
    rmdir(path);
    CHECK(conf_load(dir, &cfg, &err) == -1);
    snprintf(want, sizeof(want), "%s: no *.yaml file in the directory", dir);
    CHECK_STR(err.msg, want);
    rmdir(dir);
    CHECK(conf_stamp(dir) != 0); /* a missing file has a stamp too: its absence */
}

static void test_errorf(void)
{
    struct conf_error e;
    struct conf_pos pos = {3, 7, NULL}, zero = {0, 0, NULL};
    CHECK(conf_errorf(&e, "f.yaml", &pos, "a.b", "bad %d", 1) == -1);
    CHECK_STR(e.msg, "f.yaml:3:7: a.b: bad 1");
    conf_errorf(&e, "f.yaml", &zero, "a.b", "x");
    CHECK_STR(e.msg, "f.yaml: a.b: x");
    conf_errorf(&e, "f.yaml", NULL, NULL, "x");
    CHECK_STR(e.msg, "f.yaml: x");
    char big[10000];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    conf_errorf(&e, "f.yaml", &pos, big, "x"); /* truncated, not overflowed */
    CHECK(strlen(e.msg) == sizeof(e.msg) - 1);
    CHECK(conf_errorf(NULL, "f", NULL, NULL, "x") == -1);
    conf_free(NULL);
}

static void on_changed(const char *key, void *arg)
{
    char *keys = arg;
    strcat(keys, key);
    strcat(keys, " ");
}

/* A reload names every restart-only key whose value changed, by value, never the value. */
static void test_restart_changes(void)
{
    static const char base[] = "threads: 2\n"
                               "kafka:\n"
                               "  brokers: embedded\n"
                               "  librdkafka: {linger.ms: 5, sasl.password: pw-one-value}\n"
                               "sources:\n"
                               "  mono:\n"
                               "    path: /webhooks/mono\n"
                               "    verify: {scheme: none, insecure: true}\n"
                               "    routes: {\"*\": t}\n";
    struct bridge_config *old = load(base), *cur;
    char text[1024], keys[256];
    CHECK(old != NULL);
    if (old == NULL)
        return;
    /* the same file: nothing */
    cur = load(base);
    keys[0] = '\0';
    CHECK(cur != NULL && conf_restart_changes(old, cur, on_changed, keys) == 0);
    conf_free(cur);
    /* a property's value, same count; a source's routes (applied by a reload): only the first */
    snprintf(text, sizeof(text), "%s", base);
    memcpy(strstr(text, "pw-one-value"), "pw-two-value", 12);
    memcpy(strstr(text, "\"*\": t"), "\"*\": u", 6);
    cur = load(text);
    keys[0] = '\0';
    CHECK(cur != NULL && conf_restart_changes(old, cur, on_changed, keys) == 1);
    CHECK_STR(keys, "kafka.librdkafka ");
    CHECK(strstr(keys, "pw-") == NULL);
    conf_free(cur);
    /* topic creation and the listener settings */
    snprintf(text, sizeof(text), "max_connections: 7\n%s", base);
    memcpy(strstr(text, "  brokers: embedded\n"), "  brokers: kafka:92\n", 20);
    cur = load(text);
    keys[0] = '\0';
    CHECK(cur != NULL && conf_restart_changes(old, cur, on_changed, keys) == 3);
    CHECK_STR(keys, "max_connections kafka.brokers kafka.topic_replication ");
    conf_free(cur);
    conf_free(old);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_full);
    CHECK_RUN(test_defaults);
    CHECK_RUN(test_env);
    CHECK_RUN(test_errors);
    CHECK_RUN(test_files);
    CHECK_RUN(test_all_errors);
    CHECK_RUN(test_lint_warnings);
    CHECK_RUN(test_dir);
    CHECK_RUN(test_errorf);
    CHECK_RUN(test_restart_changes);
    return check_done();
}
