/* core: status table, constant-time compare, JSON log lines, metrics exposition. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/ratelimit.h"
#include "core/status.h"

static char *read_all(int fd)
{
    static char buf[8192];
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static void test_status(void)
{
    /* status table */
    CHECK(bridge_status_http(BRIDGE_UNAUTHORIZED) == 401);
    CHECK(bridge_status_http(BRIDGE_KAFKA_TIMEOUT) == 503);
    CHECK(bridge_status_retriable(BRIDGE_QUEUE_FULL));
    CHECK(!bridge_status_retriable(BRIDGE_BAD_PAYLOAD));
    CHECK_STR(bridge_status_name(BRIDGE_METHOD_NOT_ALLOWED), "method_not_allowed");
    CHECK(bridge_status_ok(BRIDGE_DEAD_LETTERED) && !bridge_status_ok(BRIDGE_OVERLOADED));
}

static void test_bytes(void)
{
    /* constant-time compare checks length and content */
    CHECK(bytes_ct_eq(BYTES_LIT("secret"), BYTES_LIT("secret")));
    CHECK(!bytes_ct_eq(BYTES_LIT("secre"), BYTES_LIT("secret")));
    CHECK(!bytes_ct_eq(BYTES_LIT("secrett"), BYTES_LIT("secret")));
    CHECK(!bytes_ct_eq(BYTES_LIT("secreT"), BYTES_LIT("secret")));
    CHECK(!bytes_ct_eq(BYTES_LIT(""), BYTES_LIT("secret")));
    CHECK(bytes_case_eq(BYTES_LIT("Mono-Webhook-Secret"), BYTES_LIT("mono-webhook-secret")));
}

static void test_log_lines(void)
{
    /* log lines: one JSON object, escaped, levels filtered */
    FILE *tmp = tmpfile();
    log_set_fd(fileno(tmp));
    log_set_level(LOG_INFO);
    log_debug("hidden", LOG_S("k", "v"));
    log_info("hello \"world\"", LOG_S("source", "mono"), LOG_I("status", 200),
             LOG_B("event_id", "a\nb\x01", 4), LOG_S("absent", NULL));
    char *line = read_all(fileno(tmp));
    CHECK(strstr(line, "hidden") == NULL);
    CHECK_CONTAINS(line, "\"level\":\"info\",\"msg\":\"hello \\\"world\\\"\"");
    CHECK_CONTAINS(line, "\"source\":\"mono\",\"status\":200,\"event_id\":\"a\\nb\\u0001\"}\n");
    CHECK(strstr(line, "absent") == NULL);
    CHECK(strncmp(line, "{\"ts\":\"", 7) == 0);
    /* a list of strings is a JSON array; a NULL list is left out */
    static const char *const topics[] = {"a.b", "c\"d"};
    CHECK(ftruncate(fileno(tmp), 0) == 0 && lseek(fileno(tmp), 0, SEEK_SET) == 0);
    log_info("fan-out", LOG_A("topics", topics, 2), LOG_A("none", NULL, 0), LOG_A("empty", topics, 0));
    line = read_all(fileno(tmp));
    CHECK_CONTAINS(line, "\"msg\":\"fan-out\",\"topics\":[\"a.b\",\"c\\\"d\"],\"empty\":[]}\n");
    log_set_fd(2);
    fclose(tmp);
}

static void test_log_escape(void)
{
    /* escaping by code point: well-formed UTF-8 stays as it is (JSON text), a byte that is not
     * UTF-8 (stray, overlong, surrogate, cut short) and control bytes are escaped */
    static const struct {
        const char *in, *want;
    } esc[] = {
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"a\xff" "b", "a\\u00ffb"},
        {"\xc0\xaf", "\\u00c0\\u00af"},
        {"\xed\xa0\x80", "\\u00ed\\u00a0\\u0080"},
        {"\xe2\x82", "\\u00e2\\u0082"},
        {"\xc3\xa9\x1b[", "\xc3\xa9\\u001b["},
    };
    for (size_t i = 0; i != sizeof(esc) / sizeof(esc[0]); ++i) {
        char buf[128];
        size_t n = log_json_escape(buf, sizeof(buf), esc[i].in, strlen(esc[i].in));
        buf[n] = '\0';
        CHECK_STR(buf, esc[i].want);
    }
}

static void test_metrics(void)
{
    /* metrics exposition */
    static const char *const labels[] = {"source", "status", NULL};
    struct metric_family *f =
        metrics_family("t_requests_total", "Requests.", METRIC_COUNTER, labels, NULL, 0);
    struct metric *a = metrics_series(f, (const char *const[]){"mono", "accepted"});
    CHECK(a == metrics_series(f, (const char *const[]){"mono", "accepted"}));
    metric_add(a, 2);
    metric_add(metrics_series(f, (const char *const[]){"we\"ird\\", "x"}), 1);
    static const double bounds[] = {0.01, 0.1};
    struct metric *h = metrics_series(
        metrics_family("t_seconds", "Latency.", METRIC_HISTOGRAM, (const char *const[]){"source", NULL}, bounds, 2),
        (const char *const[]){"mono"});
    metric_observe(h, 0.005);
    metric_observe(h, 0.05);
    metric_observe(h, 5);
    struct metric_family *info = metrics_family("t_config_info", "Config.", METRIC_GAUGE,
                                                (const char *const[]){"sha", NULL}, NULL, 0);
    metrics_info(info, (const char *const[]){"old"});
    metrics_info(info, (const char *const[]){"new"});
    size_t len;
    char *text = metrics_render(&len);
    CHECK(text != NULL && strlen(text) == len);
    CHECK_CONTAINS(text, "# TYPE t_config_info gauge\nt_config_info{sha=\"new\"} 1\n");
    CHECK(strstr(text, "\"old\"") == NULL);
    CHECK_CONTAINS(text, "# HELP t_requests_total Requests.\n# TYPE t_requests_total counter\n");
    CHECK_CONTAINS(text, "t_requests_total{source=\"mono\",status=\"accepted\"} 2\n");
    CHECK_CONTAINS(text, "t_requests_total{source=\"we\\\"ird\\\\\",status=\"x\"} 1\n");
    CHECK_CONTAINS(text, "t_seconds_bucket{source=\"mono\",le=\"0.01\"} 1\n");
    CHECK_CONTAINS(text, "t_seconds_bucket{source=\"mono\",le=\"0.1\"} 2\n");
    CHECK_CONTAINS(text, "t_seconds_bucket{source=\"mono\",le=\"+Inf\"} 3\n");
    CHECK_CONTAINS(text, "t_seconds_count{source=\"mono\"} 3\n");
    CHECK_CONTAINS(text, "t_seconds_sum{source=\"mono\"} 5.055000\n");
    free(text);
    metrics_shutdown();
}

static void test_ratelimit(void)
{
    /* token bucket: a burst, then the rate, refilled by elapsed time, never above the burst */
    struct ratelimit rl;
    ratelimit_init(&rl, 10, 3);
    uint64_t t = 1000000000;
    int ok = 0;
    for (int i = 0; i < 5; ++i)
        ok += ratelimit_take(&rl, t);
    CHECK(ok == 3);
    CHECK(!ratelimit_take(&rl, t + 50000000));   /* 50 ms: half a token */
    CHECK(ratelimit_take(&rl, t + 100000000));   /* 100 ms: one token */
    CHECK(!ratelimit_take(&rl, t + 100000000));
    ok = 0;
    for (int i = 0; i < 10; ++i)
        ok += ratelimit_take(&rl, t + 10000000000ull); /* 10 s later: the bucket holds 3, not 100 */
    CHECK(ok == 3);
    ratelimit_release(&rl);
    ratelimit_init(&rl, 0, 0); /* 0: unlimited */
    ok = 0;
    for (int i = 0; i < 1000; ++i)
        ok += ratelimit_take(&rl, t);
    CHECK(ok == 1000);
    ratelimit_release(&rl);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_status);
    CHECK_RUN(test_bytes);
    CHECK_RUN(test_log_lines);
    CHECK_RUN(test_log_escape);
    CHECK_RUN(test_metrics);
    CHECK_RUN(test_ratelimit);
    return check_done();
}
