/*
 * --check-config --connect: the bridge's producer configuration, pointed at the real brokers,
 * asked what a start would need. Like `vector validate`: each check prints one line, "ok" or
 * "FAIL", and nothing is written to Kafka.
 *
 * One client does it all: a producer built by producer_conf_new(), so it connects, encrypts
 * and authenticates exactly as the bridge will, with two changes: allow.auto.create.topics is
 * off (a check must not create the topics it looks for) and its log is silent (its errors come
 * through the error callback and end up in the check's line).
 *
 * What is checked, and how:
 * - brokers: a metadata request answers within CONNECT_TIMEOUT_MS; an authentication or TLS
 *   error ends the wait at once (it will not fix itself), an unreachable broker fails at the
 *   bound with librdkafka's last error;
 * - each routed topic (cfg->topics, dead-letter topics included): a metadata request for it.
 *   Found: its partitions and replication. UNKNOWN_TOPIC_OR_PART: missing, a failure unless
 *   kafka.create_topics is on, and then CreateTopics with validate_only asks the cluster
 *   whether this principal may create it with topic_partitions and topic_replication (the
 *   controller validates replication against the brokers registered; nothing is created).
 *   TOPIC_AUTHORIZATION_FAILED: the principal may not Describe it, which a principal allowed to
 *   Write may always do;
 * - the idempotent producer gets its producer id (InitProducerId: IdempotentWrite on the
 *   cluster, or on Kafka 3.0+ Write on any topic).
 * Not checked: Write itself. Kafka answers that only to a Produce request, and a check that
 * writes a record to a production topic is worse than none; DescribeAcls needs rights the
 * bridge's principal should not have. A principal allowed to Describe a topic but not to Write
 * it passes here and gets TOPIC_AUTHORIZATION_FAILED on the first record (a 503).
 */
#include "connect.h"

#include <ctype.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "core/clock.h"

#define CONNECT_TIMEOUT_MS 10000
#define TOPIC_TIMEOUT_MS 5000

struct check {
    FILE *out;
    const struct bridge_config *cfg;
    int failed;
    /* from the callbacks, which run inside rd_kafka_poll() on this thread */
    char last_error[512];
    rd_kafka_resp_err_t last_err;
    bool stop_waiting;  /* an authentication, TLS or fatal error */
    bool pid_assigned;
};

static void ok(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct check *c, const char *mark, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void line(struct check *c, const char *mark, const char *fmt, va_list ap)
{
    fputs(mark, c->out);
    vfprintf(c->out, fmt, ap);
    fputc('\n', c->out);
    fflush(c->out);
}

static void ok(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(c, "ok   ", fmt, ap);
    va_end(ap);
}

static void fail(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(c, "FAIL ", fmt, ap);
    va_end(ap);
    ++c->failed;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct check *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[400];
        c->last_err = rd_kafka_fatal_error(rk, why, sizeof(why));
        snprintf(c->last_error, sizeof(c->last_error), "%s: %s", rd_kafka_err2name(c->last_err),
                 why);
        c->stop_waiting = true;
        return;
    }
    /* the error that ended the wait is the one to report; librdkafka's "all brokers down" that
     * follows a broker's own error says nothing more */
    if (c->stop_waiting ||
        (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && c->last_error[0] != '\0'))
        return;
    c->last_err = (rd_kafka_resp_err_t)err;
    snprintf(c->last_error, sizeof(c->last_error), "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL)
        c->stop_waiting = true;
}

static void on_quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    struct check *c = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    const char *idemp =
        json_string_value(json_object_get(json_object_get(root, "eos"), "idemp_state"));
    if (idemp != NULL && strcmp(idemp, "Assigned") == 0)
        c->pid_assigned = true;
    json_decref(root);
    return 0; /* librdkafka frees json */
}

/* How the client logs in, for the brokers line: "SASL_SSL, PLAIN as bridge". */
static void describe_login(rd_kafka_conf_t *conf, char *buf, size_t size)
{
    char proto[32] = "plaintext", mech[64] = "GSSAPI", user[128] = "", cert[8] = "";
    size_t n = sizeof(proto);
    rd_kafka_conf_get(conf, "security.protocol", proto, &n);
    n = sizeof(mech);
    rd_kafka_conf_get(conf, "sasl.mechanisms", mech, &n);
    n = sizeof(user);
    rd_kafka_conf_get(conf, "sasl.username", user, &n);
    n = sizeof(cert);
    bool has_cert = rd_kafka_conf_get(conf, "ssl.certificate.location", cert, &n) ==
                        RD_KAFKA_CONF_OK && n > 1;
    for (char *p = proto; *p; ++p)
        *p = (char)toupper((unsigned char)*p);
    if (strncmp(proto, "SASL_", 5) == 0)
        snprintf(buf, size, "%s, %s as %s", proto, mech, user[0] ? user : "(no sasl.username)");
    else if (strcmp(proto, "SSL") == 0)
        snprintf(buf, size, "SSL, %s", has_cert ? "client certificate" : "no client authentication");
    else
        snprintf(buf, size, "%s, no authentication", proto);
}

/* Serves callbacks for up to ms, or until one says that waiting longer is pointless. */
static void serve(rd_kafka_t *rk, struct check *c, int ms)
{
    uint64_t until = monotonic_ms() + (uint64_t)ms;
    while (!c->stop_waiting) {
        uint64_t now = monotonic_ms();
        if (now >= until)
            break;
        rd_kafka_poll(rk, until - now < 50 ? (int)(until - now) : 50);
    }
}

static bool check_brokers(rd_kafka_t *rk, struct check *c, const char *login)
{
    uint64_t deadline = monotonic_ms() + CONNECT_TIMEOUT_MS;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    const struct rd_kafka_metadata *md = NULL;
    while (!c->stop_waiting && monotonic_ms() < deadline) {
        uint64_t left = deadline - monotonic_ms();
        /* short requests, so that an authentication error ends the wait soon */
        e = rd_kafka_metadata(rk, 0, NULL, &md, (int)(left < 1000 ? left : 1000));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        serve(rk, c, 100);
    }
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ok(c, "brokers reachable (%d broker%s, %s)", md->broker_cnt,
           md->broker_cnt == 1 ? "" : "s", login);
        rd_kafka_metadata_destroy(md);
        return true;
    }
    if (c->last_err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
        fail(c, "brokers: authentication failed (%s): %s", login, c->last_error);
    else if (c->last_err == RD_KAFKA_RESP_ERR__SSL)
        fail(c, "brokers: TLS failed (%s): %s", login, c->last_error);
    else
        fail(c, "brokers %s not reachable within %d s (%s): %s", c->cfg->kafka.brokers,
             CONNECT_TIMEOUT_MS / 1000, login,
             c->last_error[0] ? c->last_error : rd_kafka_err2str(e));
    return false;
}

/* The topic's metadata error, and its layout when it exists. */
static rd_kafka_resp_err_t topic_metadata(rd_kafka_t *rk, const char *topic, int *partitions,
                                          int *replication, int *leaderless)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rkt == NULL)
        return rd_kafka_last_error();
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, TOPIC_TIMEOUT_MS);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const struct rd_kafka_metadata_topic *t = &md->topics[0];
            *partitions = t->partition_cnt;
            *replication = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
            *leaderless = 0;
            for (int p = 0; p != t->partition_cnt; ++p)
                *leaderless += t->partitions[p].leader < 0;
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return e;
}

/* CreateTopics with validate_only for the missing topics: may this principal create them, with
 * this layout, on this cluster? Reports one line per topic. */
static void check_creatable(rd_kafka_t *rk, struct check *c, const char **missing, size_t n)
{
    const struct bridge_config *cfg = c->cfg;
    char errstr[512];
    rd_kafka_NewTopic_t **nt = calloc(n, sizeof(*nt));
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    size_t made = 0;
    if (nt == NULL || opts == NULL || q == NULL) {
        fail(c, "topics: out of memory");
        goto out;
    }
    for (; made != n; ++made)
        if ((nt[made] = kafka_new_topic(cfg, missing[made], errstr, sizeof(errstr))) == NULL) {
            fail(c, "topic %s does not exist and cannot be created: %s", missing[made], errstr);
            goto out;
        }
    rd_kafka_AdminOptions_set_validate_only(opts, 1, errstr, sizeof(errstr));
    rd_kafka_AdminOptions_set_request_timeout(opts, TOPIC_TIMEOUT_MS, errstr, sizeof(errstr));
    rd_kafka_CreateTopics(rk, nt, n, opts, q);
    ev = rd_kafka_queue_poll(q, TOPIC_TIMEOUT_MS + 2000);
    if (ev == NULL || rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (size_t i = 0; i != n; ++i)
            fail(c, "topic %s does not exist; kafka.create_topics could not ask the cluster to "
                    "create it: %s", missing[i],
                 ev == NULL ? "no answer to CreateTopics" : rd_kafka_event_error_string(ev));
        goto out;
    }
    size_t nres = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &nres);
    for (size_t i = 0; i != nres; ++i) {
        const char *name = rd_kafka_topic_result_name(res[i]);
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        const char *why = rd_kafka_topic_result_error_string(res[i]);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            ok(c, "topic %s does not exist; kafka.create_topics creates it at start (%u partitions, "
                  "replication %u: the cluster accepts it)", name, cfg->kafka.topic_partitions,
               cfg->kafka.topic_replication);
        else
            fail(c, "topic %s does not exist and kafka.create_topics cannot create it: %s: %s",
                 name, rd_kafka_err2name(e), why != NULL ? why : rd_kafka_err2str(e));
    }
out:
    if (ev != NULL)
        rd_kafka_event_destroy(ev);
    if (q != NULL)
        rd_kafka_queue_destroy(q);
    if (opts != NULL)
        rd_kafka_AdminOptions_destroy(opts);
    if (nt != NULL)
        rd_kafka_NewTopic_destroy_array(nt, made);
    free(nt);
}

static void check_topics(rd_kafka_t *rk, struct check *c)
{
    const struct bridge_config *cfg = c->cfg;
    const char **missing = calloc(cfg->ntopics + 1, sizeof(*missing));
    size_t nmissing = 0;
    if (missing == NULL) {
        fail(c, "topics: out of memory");
        return;
    }
    for (size_t i = 0; i != cfg->ntopics; ++i) {
        const char *t = cfg->topics[i];
        int partitions = 0, replication = 0, leaderless = 0;
        rd_kafka_resp_err_t e = topic_metadata(rk, t, &partitions, &replication, &leaderless);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && leaderless == 0)
            ok(c, "topic %s exists (%d partitions, replication %d)", t, partitions, replication);
        else if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            fail(c, "topic %s: %d of its %d partitions have no leader", t, leaderless, partitions);
        else if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && cfg->kafka.create_topics)
            missing[nmissing++] = t;
        else if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            fail(c, "topic %s does not exist, and kafka.create_topics is off: create it (a "
                    "KafkaTopic, kafka-topics.sh --create) or set kafka.create_topics: true", t);
        else if (e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
            fail(c, "topic %s: not authorized (TOPIC_AUTHORIZATION_FAILED): this principal may "
                    "not describe it; it needs Write and Describe on the topic", t);
        else
            fail(c, "topic %s: %s: %s", t, rd_kafka_err2name(e), rd_kafka_err2str(e));
    }
    if (nmissing > 0)
        check_creatable(rk, c, missing, nmissing);
    free(missing);
}

static void check_producer_id(rd_kafka_t *rk, struct check *c)
{
    uint64_t deadline = monotonic_ms() + CONNECT_TIMEOUT_MS;
    c->stop_waiting = false; /* from here only a fatal error ends the wait early */
    while (!c->pid_assigned && !c->stop_waiting && monotonic_ms() < deadline)
        rd_kafka_poll(rk, 50);
    if (c->pid_assigned)
        ok(c, "idempotent producer id assigned (InitProducerId allowed)");
    else if (c->last_err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
             c->last_err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        fail(c, "idempotent producer id refused: %s (the principal needs IdempotentWrite on the "
                "cluster, or Write on a topic with Kafka 3.0 and later)", c->last_error);
    else
        fail(c, "no idempotent producer id within %d s: %s", CONNECT_TIMEOUT_MS / 1000,
             c->last_error[0] ? c->last_error : "no answer to InitProducerId");
}

int kafka_connect_check(const struct bridge_config *cfg, FILE *out)
{
    struct check c = {.out = out, .cfg = cfg};
    char errstr[512], login[256];
    if (strcmp(cfg->kafka.brokers, "embedded") == 0) {
        ok(&c, "kafka.brokers is embedded: the in-process cluster, nothing to connect to");
        return 0;
    }
    struct conf_error err;
    rd_kafka_conf_t *conf = producer_conf_new(cfg, cfg->kafka.brokers, &err);
    if (conf == NULL) {
        fail(&c, "%s", err.msg);
        return 1;
    }
    describe_login(conf, login, sizeof(login));
    rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "statistics.interval.ms", "100", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "client.id", "webhook-bridge-check", errstr, sizeof(errstr));
    rd_kafka_conf_set_opaque(conf, &c);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_quiet_log);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        fail(&c, "kafka client: %s", errstr);
        return 1;
    }
    if (check_brokers(rk, &c, login)) {
        check_topics(rk, &c);
        check_producer_id(rk, &c);
    }
    rd_kafka_destroy(rk);
    return c.failed == 0 ? 0 : 1;
}
