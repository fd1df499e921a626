/*
 * Producer. Design:
 * - acks=all and idempotence forced: a delivery report of success means "in Kafka,
 *   replicated", which is what a 200 promises.
 * - Partitions chosen by the bridge, with the partitioner librdkafka would use (on the key,
 *   from the partition count metadata gives), so a key keeps its partition, hence its order.
 * - Up to 5 produce requests in flight per connection (default_props), so the partitions of one
 *   leader send side by side rather than in turns.
 * - Gates, where the brokers are a network away. librdkafka 2.0.2 (and its master) sets a
 *   partition's next wake-up to "now" once its oldest queued record is older than linger.ms,
 *   whether or not the partition may send, and with idempotence a partition may start no
 *   request while 5 of its *records* are in flight; so a busy partition's broker thread spins
 *   from one answer to the next. On loopback that lasts microseconds; 1 ms from the brokers
 *   (12 partitions) the three broker threads took 63 % of the 2 CPUs and the bridge a fifth of
 *   its throughput. A partition's gate lets records through while fewer than 5 of its records
 *   are out; the others wait in the gate and, once the reports bring it under 5, go together,
 *   in arrival order, as the next batch: librdkafka holds only records it can send at once, and
 *   its threads sleep (5 % each). The hand-off (report, release, send) costs a third of the
 *   throughput on loopback, so a lane's gates hold records only while the brokers' median round
 *   trip (librdkafka's statistics) is 500 us or more, two intervals in a row (the first holds
 *   the connections' set-up), and let all through again under 250 us; a log line says which.
 *   Held records count against queue.buffering.max.messages and fail at message.timeout.ms
 *   like librdkafka's own (tests/bench/README.md has the figures).
 * - Lanes: one or more idempotent rd_kafka_t (kafka.producers), each owning a share of every
 *   topic's partitions (partition p belongs to lane p mod N), each with a connection of its own
 *   to each broker: for more than 5 busy partitions on one leader. N is kafka.producers, or by
 *   default one per 5 partitions that one broker leads in a routed topic (at most 8), read from
 *   the metadata at warm-up: 1 for 12 partitions over 3 brokers, 3 for 12 on one.
 * - Each lane has a poll thread serving its delivery reports, errors, logs and statistics, so
 *   no event loop calls into librdkafka for anything but a non-blocking produce, and one slow
 *   callback delays one lane only. Rejected: polling from each loop through
 *   rd_kafka_queue_io_event_enable, which would hand every loop's reports to whichever loop
 *   polled first.
 * - Readiness: every lane has a broker up, its producer id and the routed topics' metadata, and
 *   is not stalled (health.c); the error callback's ALL_BROKERS_DOWN clears it at once.
 */
#include "producer.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "core/clock.h"
#include "core/log.h"
#include "health.h"
#include "security.h"

#define MAX_LANES 16
#define AUTO_MAX_LANES 8 /* an automatic count stops here: each lane has threads and sockets */
#define IDEMP_MAX_INFLIGHT 5 /* requests in flight per connection with idempotence, at most */
/* librdkafka 2.0.2 makes no new request for a partition with this many records in flight (it
 * compares records with its 5-request window), and records it holds then make it spin */
#define GATE_WINDOW 5
/* A gate costs hand-offs between threads per batch (report, release, send) and saves a broker
 * thread spinning through a round trip: it pays where the brokers' median round trip is this
 * long (across a network), not on loopback, where the spin is brief and the hand-offs would cut
 * throughput by a third (tests/bench/README.md). Off again below half of it. */
#define GATE_MIN_RTT_US 500
#define GATE_ON_INTERVALS 2 /* long statistics intervals in a row that turn the gates on */

typedef int32_t (*partitioner_fn)(const rd_kafka_topic_t *, const void *, size_t, int32_t,
                                  void *, void *);

struct producer;

/* A record the bridge holds back while its partition has records out (see the header
 * comment): its own copies, since the request that sent it may be gone when it goes. */
struct held {
    struct held *next;
    void *opaque;
    rd_kafka_headers_t *hdrs;
    void *value; /* malloc'd, handed to librdkafka with RD_KAFKA_MSG_F_FREE */
    size_t value_len;
    uint64_t since_ms;
    size_t key_len;
    char key[];
};

/* One partition's gate: records go to librdkafka while fewer than GATE_WINDOW of the
 * partition's are out; the others wait here and go together as one batch. */
struct gate {
    pthread_mutex_t lock;
    unsigned out;      /* records handed to librdkafka and not reported yet */
    bool releasing;    /* a poll thread is handing the held records over (outside the lock) */
    struct held *head; /* records waiting, in arrival order */
    struct held **tail;
};

struct gates {
    int32_t n; /* partitions when the gates were made; later ones go ungated */
    struct gate g[];
};

struct lane {
    struct producer *p;
    unsigned index;
    rd_kafka_t *rk;
    rd_kafka_topic_t **rkts; /* per routed topic (p->topics order); NULL entries go by name */
    pthread_t thread;
    bool started;
    atomic_int brokers_up;
    atomic_bool pid_assigned;
    atomic_bool warm;
    struct kafka_health health; /* acknowledging, or why not (readiness) */
    atomic_bool gated; /* the brokers' round trip is long enough for the gates to pay */
    unsigned long_intervals; /* statistics intervals in a row at GATE_MIN_RTT_US or more */
};

struct producer {
    struct publisher pub; /* first: the HTTP layer's view of the producer (pipeline/publish.h) */
    publish_delivery_fn *on_delivery;
    atomic_bool stop;
    rd_kafka_conf_t *conf;   /* the template every lane's configuration is copied from */
    unsigned want_lanes;     /* kafka.producers; 0 = from the metadata */
    unsigned stall;          /* kafka_health stall_ms */
    partitioner_fn partition_of;
    atomic_uint nlanes;      /* lanes serving records; 0 until the count is decided */
    struct lane lanes[MAX_LANES];
    char **topics; /* routed topics */
    size_t ntopics;
    atomic_int *partitions; /* per topic: its partition count, 0 = not known yet */
    _Atomic(struct gates *) *gates; /* per topic: its partitions' gates, NULL until known */
    atomic_size_t held;             /* records held in all gates */
    size_t max_held;                /* queue.buffering.max.messages: the bound held shares */
    uint64_t timeout_ms;            /* message.timeout.ms: a record held longer has failed */
    /* topic name -> index in topics, by name hash (open addressing, read-only after create) */
    size_t *slots; /* index + 1; 0 = empty */
    size_t slot_mask;
    struct log_budget failures; /* lines about failed records: one per record in an outage */
};

static size_t hash_name(const char *s)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; ++s)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The index of a routed topic, or -1 (a topic that appeared with a reload). */
static int topic_index(const struct producer *p, const char *topic)
{
    if (p->slots == NULL)
        return -1;
    for (size_t i = hash_name(topic) & p->slot_mask; p->slots[i] != 0; i = (i + 1) & p->slot_mask)
        if (strcmp(p->topics[p->slots[i] - 1], topic) == 0)
            return (int)(p->slots[i] - 1);
    return -1;
}

static int make_index(struct producer *p)
{
    size_t size = 8;
    while (size < 2 * p->ntopics)
        size *= 2;
    if ((p->slots = calloc(size, sizeof(*p->slots))) == NULL ||
        (p->partitions = calloc(p->ntopics + 1, sizeof(*p->partitions))) == NULL ||
        (p->gates = calloc(p->ntopics + 1, sizeof(*p->gates))) == NULL)
        return -1;
    p->slot_mask = size - 1;
    for (size_t t = 0; t != p->ntopics; ++t) {
        size_t i = hash_name(p->topics[t]) & p->slot_mask;
        while (p->slots[i] != 0)
            i = (i + 1) & p->slot_mask;
        p->slots[i] = t + 1;
        atomic_init(&p->partitions[t], 0);
        atomic_init(&p->gates[t], NULL);
    }
    return 0;
}

/* Opens the lane's handles of the routed topics: producing by name takes librdkafka's write
 * lock on its topic list for every record. */
static void make_handles(struct lane *l)
{
    struct producer *p = l->p;
    if ((l->rkts = calloc(p->ntopics + 1, sizeof(*l->rkts))) == NULL)
        return; /* then every record goes by name: slower, still correct */
    for (size_t t = 0; t != p->ntopics; ++t)
        l->rkts[t] = rd_kafka_topic_new(l->rk, p->topics[t], NULL);
}

/* Releases the lane's handles (before rd_kafka_destroy, which waits for them). */
static void destroy_handles(struct lane *l)
{
    for (size_t t = 0; l->rkts != NULL && t != l->p->ntopics; ++t)
        if (l->rkts[t] != NULL)
            rd_kafka_topic_destroy(l->rkts[t]);
    free(l->rkts);
    l->rkts = NULL;
}

/* Settings the delivery guarantee depends on: set here, refused in kafka.librdkafka. */
static const char *const fixed_props[] = {"acks", "request.required.acks", "enable.idempotence",
                                          "bootstrap.servers", "metadata.broker.list",
                                          "dr_msg_cb", "dr_cb", NULL};

/* Defaults an operator may override under kafka.librdkafka (listed in the schema's doc).
 * Up to 5 produce requests in flight per broker connection, so that partitions that share a
 * leader send side by side instead of taking turns (1, the default before the gates, made 12
 * partitions on 3 leaders wait 4 round trips). linger.ms gathers what arrives within half a
 * millisecond, and the records a gate releases, into one request: with 0 the broker thread
 * wakes on the first record and sends it alone, and on loopback spins (tests/bench/README.md). */
static const char *const default_props[][2] = {
    {"linger.ms", "0.5"},
    {"max.in.flight.requests.per.connection", "5"},
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

/* A numeric property of conf, or fallback. */
static uint64_t conf_number(rd_kafka_conf_t *conf, const char *name, uint64_t fallback)
{
    char v[32];
    size_t len = sizeof(v);
    if (rd_kafka_conf_get(conf, name, v, &len) != RD_KAFKA_CONF_OK)
        return fallback;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    return end != v && *end == '\0' ? n : fallback;
}

static int check_record_size(const struct bridge_config *cfg, rd_kafka_conf_t *conf,
                             struct conf_error *err)
{
    unsigned long long have = conf_number(conf, "message.max.bytes", UINT64_MAX);
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

rd_kafka_conf_t *producer_conf_new(const struct bridge_config *cfg, const char *bootstrap,
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
        if (is_fixed(kv->key)) {
            char key[300];
            snprintf(key, sizeof(key), "kafka.librdkafka.%s", kv->key);
            conf_errorf(err, cfg->file, &kv->pos, key,
                        "set by webhook-bridge itself (the delivery guarantee depends on it)");
            goto fail;
        }
    }
    if (kafka_conf_apply(conf, cfg, NULL, err) != 0 || check_record_size(cfg, conf, err) != 0)
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

int producer_check_config(struct bridge_config *cfg, struct conf_error *err)
{
    if (kafka_check_security(cfg, err) != 0)
        return -1;
    rd_kafka_conf_t *conf = producer_conf_new(cfg, NULL, err);
    if (conf == NULL)
        return -1;
    int rc = kafka_conf_validate(conf, cfg, err);
    rd_kafka_conf_destroy(conf);
    return rc;
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

static void free_held(struct held *h)
{
    rd_kafka_headers_destroy(h->hdrs);
    free(h->value);
    free(h);
}

static void free_gates(struct gates *gs)
{
    for (int32_t i = 0; gs != NULL && i != gs->n; ++i)
        pthread_mutex_destroy(&gs->g[i].lock);
    free(gs);
}

/* Makes topic t's gates once its partition count n is known. The first count stays: partitions
 * added while the bridge runs go ungated, which costs speed, never order. */
static void make_gates(struct producer *p, size_t t, int32_t n)
{
    if (n <= 0 || atomic_load(&p->gates[t]) != NULL)
        return;
    struct gates *gs = malloc(sizeof(*gs) + (size_t)n * sizeof(gs->g[0]));
    if (gs == NULL)
        return; /* ungated: slower, still correct */
    gs->n = n;
    for (int32_t i = 0; i != n; ++i) {
        pthread_mutex_init(&gs->g[i].lock, NULL);
        gs->g[i].out = 0;
        gs->g[i].releasing = false;
        gs->g[i].head = NULL;
        gs->g[i].tail = &gs->g[i].head;
    }
    struct gates *none = NULL;
    if (!atomic_compare_exchange_strong(&p->gates[t], &none, gs))
        free_gates(gs);
}

static struct gate *gate_of(struct producer *p, int t, int32_t part)
{
    if (t < 0 || part < 0)
        return NULL;
    struct gates *gs = atomic_load_explicit(&p->gates[t], memory_order_acquire);
    return gs != NULL && part < gs->n ? &gs->g[part] : NULL;
}

/* Lanes serving records: 1 before the count is decided (the first lane alone exists). */
static unsigned lanes_of(const struct producer *p)
{
    unsigned n = atomic_load_explicit(&((struct producer *)p)->nlanes, memory_order_acquire);
    return n == 0 ? 1 : n;
}

/* The lane that owns a partition (all of a key's records go through one producer). */
static struct lane *lane_of(struct producer *p, int32_t part)
{
    unsigned n = lanes_of(p);
    return &p->lanes[part >= 0 && n > 1 ? (unsigned)part % n : 0];
}

/* One record into librdkafka: by the lane's handle of topic t when it has one, else by name.
 * flags: RD_KAFKA_MSG_F_COPY (the caller keeps value) or _F_FREE (librdkafka frees it once
 * it returns no error). On error the caller still owns hdrs. */
static rd_kafka_resp_err_t produce(struct lane *l, int t, const char *topic, int32_t part,
                                   const void *key, size_t key_len, void *value, size_t value_len,
                                   int flags, rd_kafka_headers_t *hdrs, void *opaque)
{
    rd_kafka_topic_t *rkt = t >= 0 && l->rkts != NULL ? l->rkts[t] : NULL;
    if (rkt != NULL)
        return rd_kafka_producev(l->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                 RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                                 RD_KAFKA_V_MSGFLAGS(flags), RD_KAFKA_V_HEADERS(hdrs),
                                 RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    return rd_kafka_producev(l->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                             RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                             RD_KAFKA_V_MSGFLAGS(flags), RD_KAFKA_V_HEADERS(hdrs),
                             RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}

/* Copies a record into gate g (locked by the caller), behind the ones already there. */
static rd_kafka_resp_err_t hold(struct producer *p, struct gate *g, const struct envelope *env,
                                rd_kafka_headers_t *hdrs, void *opaque)
{
    if (atomic_load_explicit(&p->held, memory_order_relaxed) >= p->max_held)
        return RD_KAFKA_RESP_ERR__QUEUE_FULL;
    struct held *h = malloc(sizeof(*h) + env->key.len);
    void *value = malloc(env->value.len != 0 ? env->value.len : 1);
    if (h == NULL || value == NULL) {
        free(h);
        free(value);
        return RD_KAFKA_RESP_ERR__QUEUE_FULL; /* a 503: try again */
    }
    *h = (struct held){.opaque = opaque, .hdrs = hdrs, .value = value,
                       .value_len = env->value.len, .since_ms = monotonic_ms(),
                       .key_len = env->key.len};
    memcpy(value, env->value.base, env->value.len);
    memcpy(h->key, env->key.base, env->key.len);
    *g->tail = h;
    g->tail = &h->next;
    atomic_fetch_add_explicit(&p->held, 1, memory_order_relaxed);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* A record of gate g (topic t, partition part) was reported. Once fewer than GATE_WINDOW
 * are out, the records held meanwhile go to librdkafka together, in arrival order, so they
 * leave as one batch. They go outside the lock (the HTTP threads' records do not wait for a
 * batch to be copied in): `releasing` makes records that arrive meanwhile queue behind them
 * (and the loop takes them too while the window has room). Records that cannot go (held past
 * message.timeout.ms, or the producer is stopping) are reported failed. */
static void gate_reported(struct producer *p, struct gate *g, int t, int32_t part)
{
    pthread_mutex_lock(&g->lock);
    if (g->out > 0)
        --g->out;
    if (g->releasing || g->out >= GATE_WINDOW || g->head == NULL) {
        pthread_mutex_unlock(&g->lock);
        return;
    }
    g->releasing = true;
    struct lane *l = lane_of(p, part);
    while (g->head != NULL && g->out < GATE_WINDOW) {
        struct held *h = g->head;
        g->head = NULL;
        g->tail = &g->head;
        unsigned n = 0;
        for (const struct held *c = h; c != NULL; c = c->next)
            ++n;
        g->out += n; /* before they go: their reports may come before this loop ends */
        pthread_mutex_unlock(&g->lock);
        uint64_t now = monotonic_ms();
        bool stopping = atomic_load(&p->stop);
        unsigned failed = 0;
        while (h != NULL) {
            struct held *next = h->next;
            atomic_fetch_sub_explicit(&p->held, 1, memory_order_relaxed);
            rd_kafka_resp_err_t e =
                stopping ? RD_KAFKA_RESP_ERR__DESTROY
                : now - h->since_ms >= p->timeout_ms
                    ? RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
                    : produce(l, t, p->topics[t], part, h->key, h->key_len, h->value, h->value_len,
                              RD_KAFKA_MSG_F_FREE, h->hdrs, h->opaque);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
                free(h); /* librdkafka has the value and the headers */
            } else {
                enum bridge_status st = status_of(e);
                log_failure(p, "produce failed", st, p->topics[t], e, h->value_len);
                p->on_delivery(h->opaque, st);
                free_held(h);
                ++failed;
            }
            h = next;
        }
        pthread_mutex_lock(&g->lock);
        g->out = g->out >= failed ? g->out - failed : 0;
    }
    g->releasing = false;
    pthread_mutex_unlock(&g->lock);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct lane *l = opaque;
    struct producer *p = l->p;
    enum bridge_status st = status_of(m->err);
    if (st != BRIDGE_ACCEPTED)
        log_failure(p, "delivery failed", st, rd_kafka_topic_name(m->rkt), m->err, m->len);
    if (st == BRIDGE_ACCEPTED)
        kafka_health_on_ack(&l->health);
    int t = topic_index(p, rd_kafka_topic_name(m->rkt));
    struct gate *g = gate_of(p, t, m->partition);
    p->on_delivery(m->_private, st);
    if (g != NULL)
        gate_reported(p, g, t, m->partition);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct lane *l = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        atomic_store(&l->brokers_up, 0);
    int fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    char fatal_reason[256];
    if (fatal)
        rd_kafka_fatal_error(rk, fatal_reason, sizeof(fatal_reason));
    kafka_health_on_error(&l->health, err, fatal ? fatal_reason : reason);
    /* every lane meets the same brokers: the first one speaks for all but a fatal error */
    if (l->index == 0 || fatal)
        log_at(fatal ? LOG_ERROR : LOG_WARN, "kafka error",
               LOG_S("error", rd_kafka_err2name((rd_kafka_resp_err_t)err)),
               LOG_S("reason", fatal ? fatal_reason : reason), LOG_I("producer", l->index));
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* librdkafka logs a broker failure under FAIL and hands the same text to the error
     * callback, which on_error logs once for all lanes: one line per error, not 1 + lanes */
    if (strcmp(fac, "FAIL") == 0)
        return;
    enum log_severity sev = level <= 3 ? LOG_ERROR : level <= 4 ? LOG_WARN : level <= 6 ? LOG_INFO
                                                                                      : LOG_DEBUG;
    log_at(sev, "librdkafka", LOG_S("facility", fac), LOG_S("detail", buf));
}

/* Partition counts follow the cluster: librdkafka refreshes a topic's metadata on its own
 * (topic.metadata.refresh.interval.ms, and at once after an error), and the first lane's
 * statistics list the partitions it knows. */
static void note_partitions(struct producer *p, json_t *topics)
{
    const char *name;
    json_t *t;
    json_object_foreach(topics, name, t)
    {
        int idx = topic_index(p, name), n = 0;
        if (idx < 0)
            continue;
        const char *pk;
        json_t *pv;
        json_object_foreach(json_object_get(t, "partitions"), pk, pv)
        {
            (void)pv;
            n += strcmp(pk, "-1") != 0;
        }
        make_gates(p, (size_t)idx, n);
        if (n > 0 && atomic_load(&p->partitions[idx]) != n) {
            if (atomic_exchange(&p->partitions[idx], n) != 0)
                log_info("kafka topic partition count changed", LOG_S("topic", name),
                         LOG_I("partitions", n));
        }
    }
}

/* Gates on or off from the brokers' round trip in the last statistics interval: the lowest of
 * their medians (librdkafka's rtt.p50, microseconds from request sent to response read; its
 * minimum is no signal, some responses come back in tens of microseconds from a broker 1 ms
 * away). On after GATE_ON_INTERVALS long intervals in a row (the first interval holds the
 * connection's set-up requests, once 655 us on loopback), off after one short one. No request
 * in the interval: no change. */
static void note_round_trip(struct lane *l, json_t *brokers)
{
    const char *name;
    json_t *b;
    json_int_t shortest = -1;
    json_object_foreach(brokers, name, b)
    {
        json_t *rtt = json_object_get(b, "rtt");
        json_int_t p50 = json_integer_value(json_object_get(rtt, "p50"));
        if (json_integer_value(json_object_get(b, "nodeid")) >= 0 &&
            json_integer_value(json_object_get(rtt, "cnt")) > 0 && (shortest < 0 || p50 < shortest))
            shortest = p50;
    }
    if (shortest < 0)
        return;
    bool was = atomic_load_explicit(&l->gated, memory_order_relaxed);
    l->long_intervals = shortest >= GATE_MIN_RTT_US ? l->long_intervals + 1 : 0;
    bool gated = was ? shortest >= GATE_MIN_RTT_US / 2 : l->long_intervals >= GATE_ON_INTERVALS;
    if (gated != was) {
        atomic_store_explicit(&l->gated, gated, memory_order_relaxed);
        log_info(gated ? "kafka partition gates on" : "kafka partition gates off",
                 LOG_I("producer", l->index), LOG_I("round_trip_p50_us", shortest),
                 LOG_I("threshold_us", gated ? GATE_MIN_RTT_US : GATE_MIN_RTT_US / 2));
    }
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    struct lane *l = opaque;
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
    atomic_store(&l->brokers_up, up);
    note_round_trip(l, brokers);
    atomic_store(&l->pid_assigned, idemp != NULL && strcmp(idemp, "Assigned") == 0);
    if (l->index == 0)
        note_partitions(l->p, json_object_get(root, "topics"));
    json_decref(root);
    return 0; /* librdkafka frees json */
}

/* Fetches metadata for every routed topic so that the first webhook does not wait for it; the
 * first lane also records each topic's partition count and the most partitions one broker
 * leads (*per_leader). */
static bool warm_up(struct lane *l, unsigned *per_leader)
{
    struct producer *p = l->p;
    for (size_t i = 0; i != p->ntopics; ++i) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(l->rk, p->topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e =
            rkt == NULL ? RD_KAFKA_RESP_ERR__FAIL : rd_kafka_metadata(l->rk, 0, rkt, &md, 2000);
        bool ok = e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
                  md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1)
            e = md->topics[0].err; /* a missing topic: the request worked, the topic did not */
        if (ok && per_leader != NULL) {
            const struct rd_kafka_metadata_topic *t = &md->topics[0];
            atomic_store(&p->partitions[i], t->partition_cnt);
            make_gates(p, i, t->partition_cnt);
            for (int a = 0; a != t->partition_cnt; ++a) {
                unsigned same = 0;
                for (int b = 0; b != t->partition_cnt; ++b)
                    same += t->partitions[b].leader == t->partitions[a].leader;
                if (same > *per_leader)
                    *per_leader = same;
            }
        }
        if (md != NULL)
            rd_kafka_metadata_destroy(md);
        if (rkt != NULL)
            rd_kafka_topic_destroy(rkt);
        if (!ok) {
            log_warn("kafka warm-up: topic not ready", LOG_S("topic", p->topics[i]),
                     LOG_S("error", rd_kafka_err2str(e)), LOG_I("producer", l->index));
            return false;
        }
    }
    return true;
}

static int start_lane(struct producer *p, unsigned index, struct conf_error *err);

/* The first lane, once it knows the topics, decides how many lanes serve them and starts the
 * others; records wait for that (the bridge is not ready before). */
static void decide_lanes(struct producer *p, unsigned per_leader)
{
    unsigned wanted = (per_leader + IDEMP_MAX_INFLIGHT - 1) / IDEMP_MAX_INFLIGHT;
    unsigned n = p->want_lanes != 0        ? p->want_lanes
                 : wanted > AUTO_MAX_LANES ? AUTO_MAX_LANES
                 : wanted > 0              ? wanted
                                           : 1;
    struct conf_error err;
    unsigned started = 1;
    while (started < n && start_lane(p, started, &err) == 0)
        ++started;
    if (started < n)
        log_error("kafka: fewer producers than wanted", LOG_I("wanted", n),
                  LOG_I("started", started), LOG_S("error", err.msg));
    log_info("kafka producers started", LOG_I("producers", started),
             LOG_I("partitions_per_leader", per_leader),
             LOG_S("count", p->want_lanes != 0 ? "kafka.producers" : "from the metadata"));
    atomic_store_explicit(&p->nlanes, started, memory_order_release);
}

static void *poll_main(void *arg)
{
    struct lane *l = arg;
    struct producer *p = l->p;
    uint64_t next_warm_up = 0, next_summary = monotonic_ms() + 10000;
    char name[16];
    snprintf(name, sizeof(name), l->index == 0 ? "kafka-poll" : "kafka-poll-%u", l->index);
    pthread_setname_np(pthread_self(), name);
    while (!atomic_load(&p->stop)) {
        if (l->index == 0 && monotonic_ms() >= next_summary) {
            log_budget_report(&p->failures, "failed records not logged (log_rate_limit)");
            next_summary += 10000;
        }
        /* a missing topic keeps the bridge unready: retry (and say so) every few seconds */
        if (!atomic_load(&l->warm) && atomic_load(&l->brokers_up) > 0 &&
            monotonic_ms() >= next_warm_up) {
            unsigned per_leader = 0;
            if (warm_up(l, l->index == 0 ? &per_leader : NULL)) {
                atomic_store(&l->warm, true);
                log_info("kafka producer warmed up", LOG_I("topics", p->ntopics),
                         LOG_I("producer", l->index));
                if (l->index == 0 && atomic_load(&p->nlanes) == 0)
                    decide_lanes(p, per_leader);
            }
            next_warm_up = monotonic_ms() + 5000;
        }
        kafka_health_tick(&l->health, rd_kafka_outq_len(l->rk), monotonic_ms());
        rd_kafka_poll(l->rk, 100);
    }
    return NULL;
}

static void collect_topics(struct producer *p, const struct bridge_config *cfg)
{
    /* copied: the producer outlives the config it was created with (reloads) */
    if ((p->topics = calloc(cfg->ntopics + 1, sizeof(char *))) == NULL)
        return;
    for (size_t t = 0; t != cfg->ntopics; ++t)
        if ((p->topics[p->ntopics] = strdup(cfg->topics[t])) != NULL)
            ++p->ntopics;
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

/* librdkafka's partitioner of this configuration (`partitioner`, default consistent_random):
 * the bridge picks partitions with the very function librdkafka would have used. */
static partitioner_fn partitioner_of(rd_kafka_conf_t *conf)
{
    static const struct {
        const char *name;
        partitioner_fn fn;
    } known[] = {
        {"consistent_random", rd_kafka_msg_partitioner_consistent_random},
        {"consistent", rd_kafka_msg_partitioner_consistent},
        {"murmur2_random", rd_kafka_msg_partitioner_murmur2_random},
        {"murmur2", rd_kafka_msg_partitioner_murmur2},
        {"fnv1a_random", rd_kafka_msg_partitioner_fnv1a_random},
        {"fnv1a", rd_kafka_msg_partitioner_fnv1a},
        {"random", rd_kafka_msg_partitioner_random},
    };
    char v[64] = "consistent_random";
    size_t vlen = sizeof(v);
    rd_kafka_conf_get(conf, "partitioner", v, &vlen);
    for (size_t i = 0; i != sizeof(known) / sizeof(known[0]); ++i)
        if (strcmp(known[i].name, v) == 0)
            return known[i].fn;
    return rd_kafka_msg_partitioner_consistent_random;
}

static int start_lane(struct producer *p, unsigned index, struct conf_error *err)
{
    char errstr[512];
    struct lane *l = &p->lanes[index];
    l->p = p;
    l->index = index;
    atomic_init(&l->gated, false);
    l->long_intervals = 0;
    kafka_health_init(&l->health, p->stall);
    rd_kafka_conf_t *conf = rd_kafka_conf_dup(p->conf);
    if (conf == NULL) {
        kafka_health_release(&l->health);
        return conf_errorf(err, "kafka", NULL, NULL, "out of memory");
    }
    rd_kafka_conf_set_opaque(conf, l);
    if ((l->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))) == NULL) {
        rd_kafka_conf_destroy(conf);
        kafka_health_release(&l->health);
        return conf_errorf(err, "kafka", NULL, NULL, "%s", errstr);
    }
    make_handles(l);
    if (pthread_create(&l->thread, NULL, poll_main, l) != 0) {
        destroy_handles(l);
        rd_kafka_destroy(l->rk);
        l->rk = NULL;
        kafka_health_release(&l->health);
        return conf_errorf(err, "kafka", NULL, NULL, "cannot start a poll thread");
    }
    l->started = true;
    return 0;
}

static enum bridge_status publisher_send(struct publisher *pub, const char *topic,
                                         const struct envelope *env, void *opaque)
{
    return producer_send((struct producer *)pub, topic, env, opaque);
}

static bool publisher_ready(const struct publisher *pub)
{
    return producer_ready((const struct producer *)pub);
}

static size_t publisher_not_ready_reason(const struct publisher *pub, char *buf, size_t size)
{
    return producer_not_ready_reason((const struct producer *)pub, buf, size);
}

static const struct publisher_ops publisher_ops = {publisher_send, publisher_ready,
                                                   publisher_not_ready_reason};

struct publisher *producer_publisher(struct producer *p)
{
    return &p->pub;
}

struct producer *producer_create(const struct bridge_config *cfg, const char *bootstrap,
                                 publish_delivery_fn *fn, struct conf_error *err)
{
    struct producer *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        conf_errorf(err, cfg->file, NULL, "kafka", "out of memory");
        return NULL;
    }
    p->pub.ops = &publisher_ops;
    p->on_delivery = fn;
    p->stall = stall_ms(cfg);
    p->want_lanes = cfg->kafka.producers;
    log_budget_init(&p->failures, cfg->log_rate_limit);
    collect_topics(p, cfg);
    if (make_index(p) != 0) {
        conf_errorf(err, cfg->file, NULL, "kafka", "out of memory");
        goto fail;
    }
    if ((p->conf = producer_conf_new(cfg, bootstrap, err)) == NULL)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(p->conf, on_delivery);
    rd_kafka_conf_set_error_cb(p->conf, on_error);
    rd_kafka_conf_set_log_cb(p->conf, on_log);
    rd_kafka_conf_set_stats_cb(p->conf, on_stats);
    p->partition_of = partitioner_of(p->conf);
    p->max_held = conf_number(p->conf, "queue.buffering.max.messages", 100000);
    p->timeout_ms = conf_number(p->conf, "message.timeout.ms", 30000);
    if (start_lane(p, 0, err) != 0) {
        conf_errorf(err, cfg->file, &cfg->kafka.brokers_pos, "kafka", "%s", err->msg);
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
    int t = topic_index(p, topic);
    int32_t part = RD_KAFKA_PARTITION_UA;
    /* the partition librdkafka would pick: its gate, and the lane that owns it */
    const struct lane *first = &p->lanes[0];
    if (t >= 0 && first->rkts != NULL && first->rkts[t] != NULL) {
        int32_t cnt = atomic_load_explicit(&p->partitions[t], memory_order_relaxed);
        if (cnt > 0)
            part = p->partition_of(first->rkts[t], env->key.base, env->key.len, cnt, NULL, NULL);
    }
    struct lane *l = lane_of(p, part);
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(env->nheaders);
    for (size_t i = 0; i != env->nheaders; ++i)
        rd_kafka_header_add(hdrs, env->headers[i].name, -1, env->headers[i].value.base,
                            (ssize_t)env->headers[i].value.len);
    struct gate *g = gate_of(p, t, part);
    rd_kafka_resp_err_t e;
    if (g == NULL) {
        e = produce(l, t, topic, part, env->key.base, env->key.len, (void *)env->value.base,
                    env->value.len, RD_KAFKA_MSG_F_COPY, hdrs, opaque);
    } else {
        pthread_mutex_lock(&g->lock);
        if (g->head == NULL && !g->releasing &&
            (g->out < GATE_WINDOW || !atomic_load_explicit(&l->gated, memory_order_relaxed))) {
            e = produce(l, t, topic, part, env->key.base, env->key.len, (void *)env->value.base,
                        env->value.len, RD_KAFKA_MSG_F_COPY, hdrs, opaque);
            g->out += e == RD_KAFKA_RESP_ERR_NO_ERROR;
        } else {
            e = hold(p, g, env, hdrs, opaque);
        }
        pthread_mutex_unlock(&g->lock);
    }
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return BRIDGE_ACCEPTED; /* librdkafka, or the gate, owns hdrs now */
    rd_kafka_headers_destroy(hdrs);
    enum bridge_status st = status_of(e);
    if (st != BRIDGE_QUEUE_FULL) /* counted in metrics; a full queue is load, not a fault */
        log_failure(p, "produce failed", st, topic, e, env->value.len);
    return st;
}

static bool lane_ready(struct lane *l)
{
    return atomic_load(&l->brokers_up) > 0 && atomic_load(&l->pid_assigned) &&
           atomic_load(&l->warm) && !kafka_health_stalled(&l->health);
}

bool producer_ready(const struct producer *p)
{
    struct producer *q = (struct producer *)p;
    unsigned n = atomic_load_explicit(&q->nlanes, memory_order_acquire);
    for (unsigned i = 0; i != n; ++i)
        if (!lane_ready(&q->lanes[i]))
            return false;
    return n != 0;
}

size_t producer_not_ready_reason(const struct producer *p, char *buf, size_t size)
{
    struct producer *q = (struct producer *)p;
    unsigned n = lanes_of(q), i = 0;
    while (i + 1 < n && lane_ready(&q->lanes[i]))
        ++i;
    struct lane *l = &q->lanes[i];
    if (lane_ready(l) && atomic_load(&q->nlanes) == 0) {
        int len = snprintf(buf, size, "kafka: starting the producers\n");
        return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
    }
    return kafka_health_reason(&l->health, atomic_load(&l->brokers_up),
                               atomic_load(&l->pid_assigned), atomic_load(&l->warm),
                               monotonic_ms(), buf, size);
}

int producer_brokers_up(const struct producer *p)
{
    struct producer *q = (struct producer *)p;
    int up = atomic_load(&q->lanes[0].brokers_up);
    for (unsigned i = 1; i < lanes_of(q); ++i) {
        int v = atomic_load(&q->lanes[i].brokers_up);
        up = v < up ? v : up; /* the lane with the fewest: readiness needs every lane */
    }
    return up;
}

int producer_queue_depth(const struct producer *p)
{
    int n = 0;
    for (unsigned i = 0; i != lanes_of(p); ++i)
        if (p->lanes[i].rk != NULL)
            n += rd_kafka_outq_len(p->lanes[i].rk);
    return n + (int)atomic_load_explicit(&((struct producer *)p)->held, memory_order_relaxed);
}

void producer_destroy(struct producer *p)
{
    if (p == NULL)
        return;
    atomic_store(&p->stop, true);
    /* the first lane's thread starts the others: once it is joined, the set is final */
    for (unsigned i = 0; i != MAX_LANES; ++i)
        if (p->lanes[i].started)
            pthread_join(p->lanes[i].thread, NULL);
    for (unsigned i = 0; i != MAX_LANES; ++i) {
        struct lane *l = &p->lanes[i];
        if (!l->started)
            continue;
        rd_kafka_purge(l->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        /* serve the purge reports so every opaque is handed back exactly once */
        for (int k = 0; k < 50 && rd_kafka_outq_len(l->rk) > 0; ++k)
            rd_kafka_poll(l->rk, 10);
        rd_kafka_poll(l->rk, 0);
        destroy_handles(l);
        rd_kafka_destroy(l->rk);
        kafka_health_release(&l->health);
    }
    /* what a gate still holds (its partition's reports never came) fails now, once */
    for (size_t t = 0; p->gates != NULL && t != p->ntopics; ++t) {
        struct gates *gs = atomic_load(&p->gates[t]);
        for (int32_t i = 0; gs != NULL && i != gs->n; ++i)
            for (struct held *h = gs->g[i].head, *next; h != NULL; h = next) {
                next = h->next;
                p->on_delivery(h->opaque, BRIDGE_KAFKA_ERROR);
                free_held(h);
            }
        free_gates(gs);
    }
    free(p->gates);
    if (p->conf != NULL)
        rd_kafka_conf_destroy(p->conf);
    for (size_t i = 0; i != p->ntopics; ++i)
        free(p->topics[i]);
    free(p->topics);
    free(p->slots);
    free(p->partitions);
    log_budget_release(&p->failures);
    free(p);
}
