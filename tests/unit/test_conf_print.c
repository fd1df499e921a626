/*
 * conf/: --check-config output (conf_print), secret masking, route match order, and the
 * committed config/reference.md against conf_print_reference().
 *
 * Regenerate the reference after changing the schema table:
 *   BRIDGE_UPDATE_REFERENCE=1 BRIDGE_SOURCE_DIR=$PWD build/tests/test_conf_print
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf/config.h"
#include "pipeline/route.h"

static char *print_to_string(const struct bridge_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (cfg != NULL)
        conf_print(cfg, f);
    else
        conf_print_reference(f);
    fclose(f);
    return buf;
}

static struct bridge_config *load(const char *yaml)
{
    struct bridge_config *cfg = NULL;
    struct conf_error err;
    if (conf_load_string("config/bridge.yaml", yaml, strlen(yaml), &cfg, &err) != 0)
        fprintf(stderr, "unexpected error: %s\n", err.msg);
    return cfg;
}

static void test_print(void)
{
    static const char yaml[] =
        "threads: 0\n"
        "max_body_bytes: 256KiB\n"
        "kafka:\n"
        "  brokers: embedded\n"
        "  embedded_brokers: 3\n"
        "  librdkafka:\n"
        "    compression.type: zstd\n"
        "    sasl.password: ${TEST_KAFKA_PASSWORD:-kafka-pw-default}\n"
        "dead_letter_topic: webhooks.dead-letter\n"
        "trusted_proxies: [10.0.0.0/8, \"::1\"]\n"
        "sources:\n"
        "  mono:\n"
        "    path: /webhooks/mono\n"
        "    verify:\n"
        "      scheme: shared-secret\n"
        "      header: mono-webhook-secret\n"
        "      secrets: [\"${TEST_MONO_SECRET:-mono-default-secret}\"]\n"
        "    event:\n"
        "      key: [/data/account/_id, /data/id]\n"
        "    routes:\n"
        "      \"*\": webhooks.unrouted\n"
        "      mono.*: mono.other\n"
        "      mono.events.account_*: membership.account-events\n"
        "      mono.events.account_connected: membership.account-connected\n"
        "      \"*x\": glob.suffix\n"
        "      direct_debit.payment_successful: [payments.payment-succeeded, "
        "notifications.payment-succeeded]\n"
        "      mono.events.*: membership.events\n"
        "      mono.events.account_*d: membership.d\n"
        "  gh:\n"
        "    path: /gh\n"
        "    verify: {scheme: hmac, header: x-hub-signature-256, prefix: \"sha256=\", "
        "secrets: [gh-secret-1, gh-secret-2]}\n"
        "    event: {type: X-GitHub-Event, id: null}\n"
        "    dead_letter_topic: null\n"
        "    allow_from: [192.0.2.0/24]\n"
        "    ack: enqueue\n"
        "    routes: {push: github.push}\n"
        "  open:\n"
        "    path: /open\n"
        "    verify: {scheme: none, insecure: true}\n"
        "    routes: {\"*\": open}\n";
    static const char want[] =
        "config: config/bridge.yaml\n"
        "listen: 0.0.0.0:8080\n"
        "admin_listen: 0.0.0.0:9090\n"
        "threads: 0 (one per CPU)\n"
        "max_body_bytes: 262144 (256 KiB)\n"
        "max_inflight: 10000\n"
        "max_connections: 10000\n"
        "max_connections_per_address: 256\n"
        "admin_max_connections: 64\n"
        "idle_timeout_ms: 30000\n"
        "http2: false\n"
        "admin_http2: false\n"
        "http2_max_requests: 16\n"
        "drain_delay_ms: 5000\n"
        "shutdown_timeout_ms: 20000\n"
        "log_level: info\n"
        "log_requests: false\n"
        "log_rate_limit: 20\n"
        "tls.cert_file: none\n"
        "tls.key_file: none\n"
        "tls.handshake_timeout_ms: 5000\n"
        "kafka.brokers: embedded (3 brokers)\n"
        "kafka.producers: 0 (from the metadata)\n"
        "kafka.create_topics: false\n"
        "kafka.topic_partitions: 3\n"
        "kafka.topic_replication: 3\n"
        "kafka.librdkafka.compression.type: zstd\n"
        "kafka.librdkafka.sasl.password: ********\n"
        "dead_letter_topic: webhooks.dead-letter\n"
        "trusted_proxies: 10.0.0.0/8, ::1\n"
        "source mono\n"
        "  path: /webhooks/mono\n"
        "  verify: shared-secret header=mono-webhook-secret secrets=1 (********)\n"
        "  event: type=/event id=/event_id time=/timestamp key=[/data/account/_id, /data/id]\n"
        "  ce_source: /webhook-bridge/mono\n"
        "  allow_from: any\n"
        "  dead_letter_topic: webhooks.dead-letter\n"
        "  ack: broker, timeout 5000 ms, success 200, format binary\n"
        "  routes (match order):\n"
        "    mono.events.account_connected -> membership.account-connected\n"
        "    direct_debit.payment_successful -> payments.payment-succeeded, "
        "notifications.payment-succeeded\n"
        "    mono.events.account_* -> membership.account-events\n"
        "    mono.events.account_*d -> membership.d\n"
        "    mono.events.* -> membership.events\n"
        "    mono.* -> mono.other\n"
        "    *x -> glob.suffix\n"
        "    * -> webhooks.unrouted\n"
        "source gh\n"
        "  path: /gh\n"
        "  verify: hmac header=x-hub-signature-256 algorithm=sha256 encoding=hex "
        "prefix=\"sha256=\" secrets=2 (********, ********)\n"
        "  event: type=header:x-github-event id=none time=/timestamp key=[]\n"
        "  ce_source: /webhook-bridge/gh\n"
        "  allow_from: 192.0.2.0/24\n"
        "  dead_letter_topic: none\n"
        "  ack: enqueue, timeout 5000 ms, success 200, format binary\n"
        "  routes (match order):\n"
        "    push -> github.push\n"
        "source open\n"
        "  path: /open\n"
        "  verify: none (insecure: requests are not authenticated)\n"
        "  event: type=/event id=/event_id time=/timestamp key=[]\n"
        "  ce_source: /webhook-bridge/open\n"
        "  allow_from: any\n"
        "  dead_letter_topic: webhooks.dead-letter\n"
        "  ack: broker, timeout 5000 ms, success 200, format binary\n"
        "  routes (match order):\n"
        "    * -> open\n";

    unsetenv("TEST_KAFKA_PASSWORD");
    unsetenv("TEST_MONO_SECRET");
    struct bridge_config *cfg = load(yaml);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    CHECK_STR(cfg->sources[0].verify.secrets[0].value, "mono-default-secret");
    char *out = print_to_string(cfg);
    CHECK_STR(out, want);
    /* Secrets are masked even when they come from a default. */
    CHECK(strstr(out, "mono-default-secret") == NULL);
    CHECK(strstr(out, "kafka-pw-default") == NULL);
    CHECK(strstr(out, "gh-secret") == NULL);
    free(out);
    conf_free(cfg);
}

static void test_print_secret_files(void)
{
    char path[] = "/tmp/test_conf_print_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, "file-secret-value\n", 18) == 18);
    close(fd);
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "kafka: {brokers: \"kafka-0:9092\"}\n"
             "sources:\n"
             "  st:\n"
             "    path: /st\n"
             "    verify: {scheme: stripe, secrets: [whsec_inline], secret_files: [%s], "
             "tolerance_s: 120}\n"
             "    routes: {\"*\": stripe.events}\n",
             path);
    struct bridge_config *cfg = load(yaml);
    CHECK(cfg != NULL);
    if (cfg != NULL) {
        char *out = print_to_string(cfg);
        char want[256];
        snprintf(want, sizeof(want),
                 "  verify: stripe tolerance=120s secrets=2 (********, ******** from %s)\n", path);
        CHECK_CONTAINS(out, want);
        CHECK_CONTAINS(out, "kafka.brokers: kafka-0:9092\n");
        CHECK_CONTAINS(out, "kafka.topic_replication: 3\n");
        CHECK(strstr(out, "whsec_inline") == NULL);
        CHECK(strstr(out, "file-secret-value") == NULL);
        free(out);
    }
    conf_free(cfg);
    unlink(path);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

static void test_reference(void)
{
    char *ref = print_to_string(NULL);
    /* Every key of the schema is documented, with its default and range. */
    CHECK_CONTAINS(ref, "\n## `listen`\n\n- Type: address (`host:port`)\n- Default: "
                        "`0.0.0.0:8080`\n");
    CHECK_CONTAINS(ref, "\n### `sources.<name>.verify.scheme`\n\n- Type: one of `shared-secret`, "
                        "`hmac`, `stripe`, `standard-webhooks`, `slack`, `none`\n- Required\n");
    CHECK_CONTAINS(ref, "\n## `threads`\n\n- Type: integer\n- Range: 0..256\n- Default: `0`\n");
    CHECK_CONTAINS(ref, "\n### `sources.<name>.verify.secrets`\n");
    CHECK_CONTAINS(ref, "- Secret: never printed or logged\n");

    const char *src = getenv("BRIDGE_SOURCE_DIR");
    if (src == NULL) {
        printf("BRIDGE_SOURCE_DIR not set: config/reference.md not compared\n");
        free(ref);
        return;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/config/reference.md", src);
    if (getenv("BRIDGE_UPDATE_REFERENCE") != NULL) {
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f != NULL) {
            fputs(ref, f);
            fclose(f);
            printf("wrote %s\n", path);
        }
    }
    char *committed = read_all(path);
    CHECK(committed != NULL && strcmp(committed, ref) == 0);
    if (committed == NULL || strcmp(committed, ref) != 0)
        fprintf(stderr,
                "%s is stale; regenerate it with BRIDGE_UPDATE_REFERENCE=1 "
                "BRIDGE_SOURCE_DIR=%s tests/test_conf_print\n",
                path, src);
    free(committed);
    free(ref);
}

/* Loads path, which must load without an error or a warning. */
static void check_example(const char *path)
{
    struct bridge_config *cfg = NULL;
    struct conf_error err;
    int r = conf_load(path, &cfg, &err);
    CHECK(r == 0);
    if (r != 0)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK(cfg == NULL || cfg->nwarnings == 0);
    for (size_t i = 0; cfg != NULL && i != cfg->nwarnings; ++i)
        fprintf(stderr, "  %s\n", cfg->warnings[i]);
    conf_free(cfg);
}

/* Every example configuration in dir must load; with base, each as a config directory of base
 * and the file (the provider files are drop-in sources). */
static void check_examples_in(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        /* config/ also holds other tools' YAML (kustomization.yaml): a bridge configuration
         * is one with a top-level sources: key. */
        char *text = read_all(path);
        bool bridge = text != NULL &&
                      (strncmp(text, "sources:", 8) == 0 || strstr(text, "\nsources:") != NULL);
        free(text);
        if (!bridge)
            continue;
        if (base == NULL) {
            check_example(path);
            continue;
        }
        char tmp[] = "/tmp/test_conf_print_XXXXXX", a[1200], b[1200];
        CHECK(mkdtemp(tmp) != NULL);
        snprintf(a, sizeof(a), "%s/00-base.yaml", tmp);
        snprintf(b, sizeof(b), "%s/%s", tmp, e->d_name);
        CHECK(symlink(base, a) == 0 && symlink(path, b) == 0);
        check_example(tmp);
        unlink(a);
        unlink(b);
        rmdir(tmp);
    }
    closedir(d);
}

/* --check-config prints the order the router matches in (issue 13: "*" then "**" printed "**"
 * first while the record went to the first route). */
static void test_print_order_is_match_order(void)
{
    const char *yaml = "kafka: {brokers: embedded}\n"
                       "sources:\n"
                       "  open:\n"
                       "    path: /open\n"
                       "    verify: {scheme: none, insecure: true}\n"
                       "    routes:\n"
                       "      \"*\": first.topic\n"
                       "      \"**\": second.topic\n"
                       "      \"a*\": a.topic\n"
                       "      exact: exact.topic\n";
    struct bridge_config *cfg = load(yaml);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    char *out = print_to_string(cfg);
    CHECK_CONTAINS(out, "  routes (match order):\n"
                        "    exact -> exact.topic\n"
                        "    a* -> a.topic\n"
                        "    * -> first.topic\n"
                        "    ** -> second.topic\n");
    const struct conf_source *src = &cfg->sources[0];
    struct route_table *t = route_table_create(src->routes, src->nroutes);
    CHECK(t != NULL);
    if (t != NULL) {
        const struct conf_route *r = route_match(t, bytes_str("zzz"));
        CHECK(r != NULL && strcmp(r->topics[0], "first.topic") == 0);
    }
    route_table_destroy(t);
    free(out);
    conf_free(cfg);
}

static void test_examples(void)
{
    const char *src = getenv("BRIDGE_SOURCE_DIR");
    if (src == NULL)
        return;
    /* the examples take their secrets from the environment, without public defaults */
    static const char *const vars[] = {"MONO_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET",
                                       "STRIPE_WEBHOOK_SECRET", "SHOPIFY_CLIENT_SECRET",
                                       "SLACK_SIGNING_SECRET", "FLUTTERWAVE_SECRET_HASH",
                                       "PAYSTACK_SECRET_KEY"};
    for (size_t i = 0; i != sizeof(vars) / sizeof(vars[0]); ++i)
        setenv(vars[i], "example-secret-of-24-bytes", 0);
    /* whsec_ + base64 of 32 bytes */
    setenv("STANDARD_WEBHOOKS_SECRET", "whsec_ZXhhbXBsZS1zdGFuZGFyZC13ZWJob29rcy1rZXktMzI=", 0);
    /* kubernetes.yaml reads its secret from a file (a mounted Secret), named by this variable */
    char secret_file[] = "/tmp/test_conf_print_secret_XXXXXX";
    int fd = mkstemp(secret_file);
    CHECK(fd >= 0 && write(fd, "example-secret-of-24-bytes\n", 27) == 27);
    if (fd >= 0)
        close(fd);
    setenv("MONO_WEBHOOK_SECRET_FILE", secret_file, 1);
    char dir[1024], base[1024];
    snprintf(dir, sizeof(dir), "%s/config", src);
    check_examples_in(dir, NULL);
    snprintf(dir, sizeof(dir), "%s/config/providers", src);
    snprintf(base, sizeof(base), "%s/config/base.yaml", src);
    check_examples_in(dir, base);
    unlink(secret_file);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_print);
    CHECK_RUN(test_print_secret_files);
    CHECK_RUN(test_print_order_is_match_order);
    CHECK_RUN(test_reference);
    CHECK_RUN(test_examples);
    conf_print(NULL, stdout);
    conf_print_reference(NULL);
    return check_done();
}
