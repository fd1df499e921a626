/*
 * Producer. Design:
 * - One rd_kafka_t for the process, acks=all and idempotence forced: a delivery report of
 *   success means "in Kafka, replicated", which is what a 200 promises.
 * - A dedicated poll thread serves delivery reports, errors, logs and statistics, so no event
 *   loop ever calls into librdkafka for anything but a non-blocking produce. Rejected: polling
 *   from each loop through rd_kafka_queue_io_event_enable, which with one shared producer would
 *   hand every loop's reports to whichever loop polled first.
 * - Readiness comes from the statistics callback (brokers in state UP, idempotent producer id
 *   assigned) plus a metadata warm-up of the routed topics; the error callback's
 *   ALL_BROKERS_DOWN clears it at once, without waiting for the next statistics.
 */
#include "producer.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "health.h"
#include "security.h"

struct producer {
    rd_kafka_t *rk;
    producer_delivery_fn on_delivery;
    void *ctx;
    pthread_t thread;
    atomic_bool stop;
    atomic_int brokers_up;
    atomic_bool pid_assigned;
    atomic_bool warm;
    char **topics; /* routed topics to warm up */
    size_t ntopics;
    /* Handles of the routed topics, by name hash (open addressing, read-only after create):
     * producing by name takes librdkafka's write lock on its topic list for every record. */
    struct {
        const char *name;
        rd_kafka_topic_t *rkt;
    } *handles;
    size_t handle_mask;
    struct kafka_health health; /* acknowledging, or why not (readiness) */
    struct log_budget failures; /* lines about failed records: one per record in an outage */
};

static size_t hash_name(const char *s)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; ++s)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The cached handle of `topic`, or NULL (a topic that appeared with a reload). */
static rd_kafka_topic_t *handle_of(const struct producer *p, const char *topic)
{
    if (p->handles == NULL)
        return NULL;
    for (size_t i = hash_name(topic) & p->handle_mask;; i = (i + 1) & p->handle_mask) {
        if (p->handles[i].name == NULL)
            return NULL;
        if (strcmp(p->handles[i].name, topic) == 0)
            return p->handles[i].rkt;
    }
}

/* Releases the cached handles (before rd_kafka_destroy, which waits for them). */
static void destroy_handles(struct producer *p)
{
    for (size_t i = 0; p->handles != NULL && i <= p->handle_mask; ++i)
        if (p->handles[i].rkt != NULL)
            rd_kafka_topic_destroy(p->handles[i].rkt);
}

static void make_handles(struct producer *p)
{
    size_t size = 8;
    while (size < 2 * p->ntopics)
        size *= 2;
    if ((p->handles = calloc(size, sizeof(*p->handles))) == NULL)
        return; /* then every record goes by name: slower, still correct */
    p->handle_mask = size - 1;
    for (size_t t = 0; t != p->ntopics; ++t) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, p->topics[t], NULL);
        if (rkt == NULL)
            continue;
        size_t i = hash_name(p->topics[t]) & p->handle_mask;
        while (p->handles[i].name != NULL)
            i = (i + 1) & p->handle_mask;
        p->handles[i].name = p->topics[t];
        p->handles[i].rkt = rkt;
    }
}

/* Settings the delivery guarantee depends on: set here, refused in kafka.librdkafka. */
static const char *const fixed_props[] = {"acks", "request.required.acks", "enable.idempotence",
                                          "bootstrap.servers", "metadata.broker.list",
                                          "dr_msg_cb", "dr_cb", NULL};

/* Defaults an operator may override under kafka.librdkafka (listed in the schema's doc).
 * One produce request in flight per broker connection (a second waits queued behind it):
 * records gather while the request ahead is out, so a quiet bridge sends at once and a busy one
 * sends large batches. More in flight (up to 5 with idempotence) lets partitions led by the same
 * broker send side by side, but librdkafka 2.0.2 counts a partition's in-flight *messages*
 * against its 5-request window, so a busy partition waits for its one request anyway while the
 * broker thread spins: in tests/bench the 256-connection p99 went from 9 to 42 ms. A dozen busy
 * partitions on one leader is where 5 wins (tests/bench/README.md has both). linger.ms then
 * only gathers what arrives within half a millisecond. */
static const char *const default_props[][2] = {
    {"linger.ms", "0.5"},
    {"max.in.flight.requests.per.connection", "1"},
    {"message.timeout.ms", "30000"},
    {"queue.buffering.max.messages", "100000"},
    {"queue.buffering.max.kbytes", "65536"},
    {"statistics.interval.ms", "1000"},
    {"socket.keepalive.enable", "true"},
    {"client.id", "webhook-bridge"},
};

static bool is_fixed(const char *key)
{
    for (size_t i = 0; fixed_props[i] != NULL; ++i)
        if (strcmp(fixed_props[i], key) == 0)
            return true;
    return false;
}

/* librdkafka refuses a record over message.max.bytes, and that refusal is permanent: a body
 * that max_body_bytes accepts must fit with its key and headers. The bridge's default is set to
 * fit (set_record_size); a smaller value set by the operator is an error at its line. */
static void set_record_size(const struct bridge_config *cfg, rd_kafka_conf_t *conf)
{
    char v[32], errstr[256];
    size_t need = cfg->max_body_bytes + ENVELOPE_MAX_OVERHEAD;
    snprintf(v, sizeof(v), "%zu", need > 1000000 ? need : 1000000);
    rd_kafka_conf_set(conf, "message.max.bytes", v, errstr, sizeof(errstr));
}

static int check_record_size(const struct bridge_config *cfg, rd_kafka_conf_t *conf,
                             struct conf_error *err)
{
    char v[32];
    size_t vlen = sizeof(v);
    if (rd_kafka_conf_get(conf, "message.max.bytes", v, &vlen) != RD_KAFKA_CONF_OK)
        return 0;
    unsigned long long have = strtoull(v, NULL, 10);
    if (have >= cfg->max_body_bytes + ENVELOPE_MAX_OVERHEAD)
        return 0;
    const struct conf_pos *pos = NULL;
    for (size_t i = 0; i != cfg->kafka.nprops; ++i)
        if (strcmp(cfg->kafka.props[i].key, "message.max.bytes") == 0)
            pos = &cfg->kafka.props[i].pos;
    return conf_errorf(err, cfg->file, pos, "kafka.librdkafka.message.max.bytes",
                       "%llu leaves no room for a body of max_body_bytes (%zu) with its key and "
                       "headers: set it to at least %zu, or lower max_body_bytes",
                       have, cfg->max_body_bytes, cfg->max_body_bytes + ENVELOPE_MAX_OVERHEAD);
}

/* Builds a conf with defaults, the operator's properties and the fixed settings. */
static rd_kafka_conf_t *build_conf(const struct bridge_config *cfg, const char *bootstrap,
                                   struct conf_error *err)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf == NULL) {
        conf_errorf(err, cfg->file, NULL, "kafka", "out of memory");
        return NULL;
    }
    for (size_t i = 0; i != sizeof(default_props) / sizeof(default_props[0]); ++i)
        rd_kafka_conf_set(conf, default_props[i][0], default_props[i][1], errstr, sizeof(errstr));
    set_record_size(cfg, conf);
    for (size_t i = 0; i != cfg->kafka.nprops; ++i) {
        const struct conf_kv *kv = &cfg->kafka.props[i];
        char key[300];
        snprintf(key, sizeof(key), "kafka.librdkafka.%s", kv->key);
        if (is_fixed(kv->key)) {
            conf_errorf(err, cfg->file, &kv->pos, key,
                        "set by webhook-bridge itself (the delivery guarantee depends on it)");
            goto fail;
        }
        if (rd_kafka_conf_set(conf, kv->key, kv->value, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
            conf_errorf(err, cfg->file, &kv->pos, key, "%s", errstr);
            goto fail;
        }
    }
    if (check_record_size(cfg, conf, err) != 0)
        goto fail;
    static const char *const fixed[][2] = {{"acks", "all"}, {"enable.idempotence", "true"}};
    for (size_t i = 0; i != 2; ++i)
        rd_kafka_conf_set(conf, fixed[i][0], fixed[i][1], errstr, sizeof(errstr));
    if (bootstrap != NULL &&
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
        conf_errorf(err, cfg->file, &cfg->kafka.brokers_pos, "kafka.brokers", "%s", errstr);
        goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int producer_check_config(const struct bridge_config *cfg, struct conf_error *err)
{
    if (kafka_check_security(cfg, err) != 0)
        return -1;
    rd_kafka_conf_t *conf = build_conf(cfg, NULL, err);
    if (conf == NULL)
        return -1;
    rd_kafka_conf_destroy(conf);
    return 0;
}

/* What a librdkafka error means for the webhook. A record over a size limit (librdkafka's
 * message.max.bytes when producing, the broker's or topic's limit in the delivery report) can
 * never be taken however often the provider retries: a permanent outcome, not a 503. */
static enum bridge_status status_of(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return BRIDGE_ACCEPTED;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        return BRIDGE_KAFKA_TIMEOUT;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        return BRIDGE_QUEUE_FULL;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        return BRIDGE_RECORD_TOO_LARGE;
    default:
        return BRIDGE_KAFKA_ERROR;
    }
}

/* One line per failed record, within the log budget (an outage fails every record). */
static void log_failure(struct producer *p, const char *what, enum bridge_status st,
                        const char *topic, rd_kafka_resp_err_t e, size_t bytes)
{
    if (!log_budget_take(&p->failures))
        return;
    if (st == BRIDGE_RECORD_TOO_LARGE)
        log_warn(what, LOG_S("topic", topic), LOG_S("error", rd_kafka_err2str(e)),
                 LOG_I("value_bytes", bytes),
                 LOG_S("limit", "message.max.bytes, or the topic's max.message.bytes"));
    else
        log_warn(what, LOG_S("topic", topic), LOG_S("error", rd_kafka_err2str(e)));
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct producer *p = opaque;
    enum bridge_status st = status_of(m->err);
    if (st != BRIDGE_ACCEPTED)
        log_failure(p, "delivery failed", st, rd_kafka_topic_name(m->rkt), m->err, m->len);
    if (st == BRIDGE_ACCEPTED)
        kafka_health_on_ack(&p->health);
    p->on_delivery(m->_private, st, p->ctx);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct producer *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        atomic_store(&p->brokers_up, 0);
    int fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    char fatal_reason[256];
    if (fatal)
        rd_kafka_fatal_error(rk, fatal_reason, sizeof(fatal_reason));
    kafka_health_on_error(&p->health, err, fatal ? fatal_reason : reason);
    log_at(fatal ? LOG_ERROR : LOG_WARN, "kafka error",
           LOG_S("error", rd_kafka_err2name((rd_kafka_resp_err_t)err)),
           LOG_S("reason", fatal ? fatal_reason : reason));
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    enum log_severity sev = level <= 3 ? LOG_ERROR : level <= 4 ? LOG_WARN : level <= 6 ? LOG_INFO
                                                                                      : LOG_DEBUG;
    log_at(sev, "librdkafka", LOG_S("facility", fac), LOG_S("detail", buf));
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    struct producer *p = opaque;
    json_t *root = json_loadb(json, len, 0, NULL), *brokers, *b;
    const char *name;
    int up = 0;
    if (root == NULL)
        return 0;
    brokers = json_object_get(root, "brokers");
    json_object_foreach(brokers, name, b)
    {
        const char *state = json_string_value(json_object_get(b, "state"));
        if (json_integer_value(json_object_get(b, "nodeid")) >= 0 && state != NULL &&
            strcmp(state, "UP") == 0)
            ++up;
    }
    const char *idemp =
        json_string_value(json_object_get(json_object_get(root, "eos"), "idemp_state"));
    atomic_store(&p->brokers_up, up);
    atomic_store(&p->pid_assigned, idemp != NULL && strcmp(idemp, "Assigned") == 0);
    json_decref(root);
    return 0; /* librdkafka frees json */
}

/* Fetches metadata for every routed topic so that the first webhook does not wait for it. */
static bool warm_up(struct producer *p)
{
    for (size_t i = 0; i != p->ntopics; ++i) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, p->topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e =
            rkt == NULL ? RD_KAFKA_RESP_ERR__FAIL : rd_kafka_metadata(p->rk, 0, rkt, &md, 2000);
        bool ok = e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
                  md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1)
            e = md->topics[0].err; /* a missing topic: the request worked, the topic did not */
        if (md != NULL)
            rd_kafka_metadata_destroy(md);
        if (rkt != NULL)
            rd_kafka_topic_destroy(rkt);
        if (!ok) {
            log_warn("kafka warm-up: topic not ready", LOG_S("topic", p->topics[i]),
                     LOG_S("error", rd_kafka_err2str(e)));
            return false;
        }
    }
    log_info("kafka producer warmed up", LOG_I("topics", p->ntopics));
    return true;
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *poll_main(void *arg)
{
    struct producer *p = arg;
    uint64_t next_warm_up = 0, next_summary = monotonic_ms() + 10000;
    pthread_setname_np(pthread_self(), "kafka-poll");
    while (!atomic_load(&p->stop)) {
        if (monotonic_ms() >= next_summary) {
            log_budget_report(&p->failures, "failed records not logged (log_rate_limit)");
            next_summary += 10000;
        }
        /* a missing topic keeps the bridge unready: retry (and say so) every few seconds */
        if (!atomic_load(&p->warm) && atomic_load(&p->brokers_up) > 0 &&
            monotonic_ms() >= next_warm_up) {
            if (warm_up(p))
                atomic_store(&p->warm, true);
            next_warm_up = monotonic_ms() + 5000;
        }
        kafka_health_tick(&p->health, rd_kafka_outq_len(p->rk), monotonic_ms());
        rd_kafka_poll(p->rk, 100);
    }
    return NULL;
}

static void collect_topics(struct producer *p, const struct bridge_config *cfg)
{
    size_t cap = 0;
    for (size_t s = 0; s != cfg->nsources; ++s)
        for (size_t r = 0; r != cfg->sources[s].nroutes; ++r)
            cap += cfg->sources[s].routes[r].ntopics;
    cap += cfg->nsources + 1;
    if ((p->topics = calloc(cap, sizeof(char *))) == NULL)
        return;
#define ADD(t)                                                                                     \
    do {                                                                                           \
        size_t k_;                                                                                 \
        for (k_ = 0; k_ != p->ntopics && strcmp(p->topics[k_], (t)) != 0; ++k_)                    \
            ;                                                                                      \
        if (k_ == p->ntopics)                                                                      \
            p->topics[p->ntopics++] = strdup(t);                                                   \
    } while (0)
    for (size_t s = 0; s != cfg->nsources; ++s) {
        const struct conf_source *src = &cfg->sources[s];
        for (size_t r = 0; r != src->nroutes; ++r)
            for (size_t t = 0; t != src->routes[r].ntopics; ++t)
                ADD(src->routes[r].topics[t]);
        if (src->dead_letter_topic != NULL)
            ADD(src->dead_letter_topic);
    }
    if (cfg->dead_letter_topic != NULL)
        ADD(cfg->dead_letter_topic);
#undef ADD
}

/* Past the longest ack_timeout_ms with nothing acknowledged, no webhook can succeed. */
static unsigned stall_ms(const struct bridge_config *cfg)
{
    unsigned ms = 1000;
    for (size_t s = 0; s != cfg->nsources; ++s)
        if (cfg->sources[s].ack_timeout_ms > ms)
            ms = cfg->sources[s].ack_timeout_ms;
    return ms;
}

struct producer *producer_create(const struct bridge_config *cfg, const char *bootstrap,
                                 producer_delivery_fn fn, void *ctx, struct conf_error *err)
{
    char errstr[512];
    struct producer *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf;
    if (p == NULL) {
        conf_errorf(err, cfg->file, NULL, "kafka", "out of memory");
        return NULL;
    }
    p->on_delivery = fn;
    p->ctx = ctx;
    kafka_health_init(&p->health, stall_ms(cfg));
    log_budget_init(&p->failures, cfg->log_rate_limit);
    collect_topics(p, cfg);
    if ((conf = build_conf(cfg, bootstrap, err)) == NULL)
        goto fail;
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    if ((p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))) == NULL) {
        rd_kafka_conf_destroy(conf);
        conf_errorf(err, cfg->file, &cfg->kafka.brokers_pos, "kafka", "%s", errstr);
        goto fail;
    }
    make_handles(p);
    if (pthread_create(&p->thread, NULL, poll_main, p) != 0) {
        conf_errorf(err, cfg->file, NULL, "kafka", "cannot start the poll thread");
        destroy_handles(p);
        rd_kafka_destroy(p->rk);
        p->rk = NULL;
        goto fail;
    }
    return p;
fail:
    producer_destroy(p);
    return NULL;
}

enum bridge_status producer_send(struct producer *p, const char *topic, const struct envelope *env,
                                 void *opaque)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(env->nheaders);
    for (size_t i = 0; i != env->nheaders; ++i)
        rd_kafka_header_add(hdrs, env->headers[i].name, -1, env->headers[i].value.base,
                            (ssize_t)env->headers[i].value.len);
    rd_kafka_topic_t *rkt = handle_of(p, topic);
    rd_kafka_resp_err_t e =
        rkt != NULL
            ? rd_kafka_producev(p->rk, RD_KAFKA_V_RKT(rkt),
                                RD_KAFKA_V_KEY(env->key.base, env->key.len),
                                RD_KAFKA_V_VALUE((void *)env->value.base, env->value.len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
                                RD_KAFKA_V_END)
            : rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(env->key.base, env->key.len),
                                RD_KAFKA_V_VALUE((void *)env->value.base, env->value.len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
                                RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return BRIDGE_ACCEPTED; /* librdkafka owns hdrs now */
    rd_kafka_headers_destroy(hdrs);
    enum bridge_status st = status_of(e);
    if (st != BRIDGE_QUEUE_FULL) /* counted in metrics; a full queue is load, not a fault */
        log_failure(p, "produce failed", st, topic, e, env->value.len);
    return st;
}

bool producer_ready(const struct producer *p)
{
    return atomic_load(&((struct producer *)p)->brokers_up) > 0 &&
           atomic_load(&((struct producer *)p)->pid_assigned) &&
           atomic_load(&((struct producer *)p)->warm) &&
           !kafka_health_stalled(&((struct producer *)p)->health);
}

size_t producer_not_ready_reason(const struct producer *p, char *buf, size_t size)
{
    struct producer *q = (struct producer *)p;
    return kafka_health_reason(&q->health, atomic_load(&q->brokers_up),
                               atomic_load(&q->pid_assigned), atomic_load(&q->warm),
                               monotonic_ms(), buf, size);
}

int producer_brokers_up(const struct producer *p)
{
    return atomic_load(&((struct producer *)p)->brokers_up);
}

int producer_queue_depth(const struct producer *p)
{
    return rd_kafka_outq_len(p->rk);
}

int producer_flush(struct producer *p, int timeout_ms)
{
    /* rd_kafka_flush() would poll from this thread too; the poll thread serves reports, so
     * wait for the queue to drain instead. */
    for (int waited = 0; rd_kafka_outq_len(p->rk) > 0 && waited < timeout_ms; waited += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return rd_kafka_outq_len(p->rk);
}

void producer_destroy(struct producer *p)
{
    if (p == NULL)
        return;
    if (p->rk != NULL) {
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        /* serve the purge reports so every opaque is handed back exactly once */
        for (int i = 0; i < 50 && rd_kafka_outq_len(p->rk) > 0; ++i)
            rd_kafka_poll(p->rk, 10);
        atomic_store(&p->stop, true);
        pthread_join(p->thread, NULL);
        rd_kafka_poll(p->rk, 0);
        destroy_handles(p);
        rd_kafka_destroy(p->rk);
    }
    for (size_t i = 0; i != p->ntopics; ++i)
        free(p->topics[i]);
    free(p->topics);
    free(p->handles);
    kafka_health_release(&p->health);
    log_budget_release(&p->failures);
    free(p);
}
