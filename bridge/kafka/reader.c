/*
 * Topic reader. Partitions are assigned by hand (rd_kafka_assign) at the group's committed
 * offsets, and offsets are committed by hand: the group is used only to remember positions.
 * Rejected: rd_kafka_subscribe, whose join and rebalance cost seconds per run and would let
 * two runs of replay share the topic's partitions instead of failing loudly on each other's
 * commits; a replay is one operator's command, not a service.
 * The end offsets are the high watermarks at open, so a run reads a bounded amount even while
 * the bridge keeps writing dead letters.
 */
#include "reader.h"

#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "security.h"

struct topic_reader {
    rd_kafka_t *rk;
    char *topic;
    int npart;
    int64_t *end;    /* high watermark at open, per partition */
    int64_t *next;   /* offset of the next record expected, per partition */
    int64_t *marked; /* last offset marked done, -1 for none */
};

/* A message that is not about a line of the config file. */
__attribute__((format(printf, 2, 3))) static void errf(struct conf_error *err, const char *fmt,
                                                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* the bridge's kafka.librdkafka settings are a producer's: their warnings say nothing */
    if (strstr(buf, "is a producer property") != NULL)
        return;
    enum log_severity sev = level <= 3 ? LOG_ERROR : level <= 4 ? LOG_WARN : level <= 6 ? LOG_INFO
                                                                                      : LOG_DEBUG;
    log_at(sev, "librdkafka", LOG_S("facility", fac), LOG_S("detail", buf));
}

static rd_kafka_conf_t *reader_conf(const struct bridge_config *cfg, const char *bootstrap,
                                    const char *group, struct conf_error *err)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (kafka_conf_apply(conf, cfg, NULL, err) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    static const char *const fixed[][2] = {
        {"enable.auto.commit", "false"}, {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"}, {"enable.partition.eof", "false"},
        {"client.id", "webhook-bridge-replay"}, {"statistics.interval.ms", "0"}};
    for (size_t i = 0; i != sizeof(fixed) / sizeof(fixed[0]); ++i)
        rd_kafka_conf_set(conf, fixed[i][0], fixed[i][1], errstr, sizeof(errstr));
    if (rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
        conf_errorf(err, cfg->file, &cfg->kafka.brokers_pos, "kafka.brokers", "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, on_log);
    return conf;
}

struct topic_reader *reader_open(const struct bridge_config *cfg, const char *bootstrap,
                                 const char *topic, const char *group, int timeout_ms,
                                 struct conf_error *err)
{
    char errstr[512];
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    struct topic_reader *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->topic = strdup(topic)) == NULL) {
        conf_errorf(err, cfg->file, NULL, NULL, "out of memory");
        goto fail;
    }
    rd_kafka_conf_t *conf = reader_conf(cfg, bootstrap, group, err);
    if (conf == NULL)
        goto fail;
    if ((r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr))) == NULL) {
        rd_kafka_conf_destroy(conf);
        conf_errorf(err, cfg->file, &cfg->kafka.brokers_pos, "kafka", "%s", errstr);
        goto fail;
    }
    /* all topics: asking for one by name may create it (auto.create.topics.enable) */
    rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 1, NULL, &md, timeout_ms);
    const rd_kafka_metadata_topic_t *mt = NULL;
    for (int i = 0; e == 0 && i != md->topic_cnt; ++i)
        if (strcmp(md->topics[i].topic, topic) == 0)
            mt = &md->topics[i];
    if (e != 0 || mt == NULL || mt->err != 0 || mt->partition_cnt == 0) {
        errf(err, "topic %s: %s", topic,
             e != 0            ? rd_kafka_err2str(e)
             : mt == NULL      ? "no such topic"
             : mt->err != 0    ? rd_kafka_err2str(mt->err)
                               : "no partitions");
        goto fail;
    }
    r->npart = mt->partition_cnt;
    r->end = calloc((size_t)r->npart, sizeof(*r->end));
    r->next = calloc((size_t)r->npart, sizeof(*r->next));
    r->marked = calloc((size_t)r->npart, sizeof(*r->marked));
    parts = rd_kafka_topic_partition_list_new(r->npart);
    if (r->end == NULL || r->next == NULL || r->marked == NULL || parts == NULL) {
        conf_errorf(err, cfg->file, NULL, NULL, "out of memory");
        goto fail;
    }
    for (int i = 0; i != r->npart; ++i)
        rd_kafka_topic_partition_list_add(parts, topic, mt->partitions[i].id);
    if ((e = rd_kafka_committed(r->rk, parts, timeout_ms)) != 0) {
        errf(err, "group %s: committed offsets: %s", group,
                    rd_kafka_err2str(e));
        goto fail;
    }
    for (int i = 0; i != parts->cnt; ++i) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int64_t lo = 0, hi = 0;
        if ((e = rd_kafka_query_watermark_offsets(r->rk, topic, tp->partition, &lo, &hi,
                                                  timeout_ms)) != 0) {
            errf(err, "topic %s [%d]: end offsets: %s", topic,
                        (int)tp->partition, rd_kafka_err2str(e));
            goto fail;
        }
        if (tp->partition < 0 || tp->partition >= r->npart) {
            errf(err, "topic %s: partition ids are not 0..%d", topic,
                        r->npart - 1);
            goto fail;
        }
        /* no commit yet, or one the log no longer holds: start at the first record kept */
        if (tp->offset < lo)
            tp->offset = lo;
        r->next[tp->partition] = tp->offset;
        r->end[tp->partition] = hi;
        r->marked[tp->partition] = -1;
    }
    if ((e = rd_kafka_assign(r->rk, parts)) != 0) {
        errf(err, "topic %s: assign: %s", topic, rd_kafka_err2str(e));
        goto fail;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_metadata_destroy(md);
    return r;
fail:
    if (parts != NULL)
        rd_kafka_topic_partition_list_destroy(parts);
    if (md != NULL)
        rd_kafka_metadata_destroy(md);
    reader_close(r);
    return NULL;
}

int reader_partitions(const struct topic_reader *r)
{
    return r->npart;
}

static bool at_end(const struct topic_reader *r)
{
    for (int i = 0; i != r->npart; ++i)
        if (r->next[i] < r->end[i])
            return false;
    return true;
}

int reader_next(struct topic_reader *r, int timeout_ms, struct reader_record *rec,
                struct conf_error *err)
{
    memset(rec, 0, offsetof(struct reader_record, headers));
    rec->nheaders = 0;
    rec->msg = NULL;
    int64_t deadline = (int64_t)monotonic_ms() + timeout_ms;
    while (!at_end(r)) {
        int64_t left = deadline - (int64_t)monotonic_ms();
        if (left <= 0) {
            errf(err, "topic %s: no record for %d ms before the end "
                        "offsets", r->topic, timeout_ms);
            return -1;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, left > 200 ? 200 : (int)left);
        if (m == NULL)
            continue;
        if (m->err != 0) {
            bool fatal = m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
                         m->err != RD_KAFKA_RESP_ERR__TRANSPORT &&
                         m->err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
            if (fatal)
                errf(err, "topic %s: %s", r->topic,
                            rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            if (fatal)
                return -1;
            continue;
        }
        int32_t p = m->partition;
        if (p < 0 || p >= r->npart || m->offset >= r->end[p]) {
            /* past the end seen at open: for the next run */
            if (p >= 0 && p < r->npart)
                r->next[p] = r->end[p];
            rd_kafka_message_destroy(m);
            continue;
        }
        r->next[p] = m->offset + 1;
        rec->partition = p;
        rec->offset = m->offset;
        rd_kafka_timestamp_type_t tstype;
        rec->timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
        rec->key = bytes_of(m->key, m->key_len);
        rec->value = bytes_of(m->payload != NULL ? m->payload : "", m->len);
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(m, &hdrs) == 0) {
            const char *name;
            const void *val;
            size_t vlen;
            for (size_t i = 0; rec->nheaders < sizeof(rec->headers) / sizeof(rec->headers[0]) &&
                               rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) == 0;
                 ++i)
                rec->headers[rec->nheaders++] =
                    (struct record_header){name, bytes_of(val != NULL ? val : "", vlen)};
        }
        rec->msg = m;
        return 1;
    }
    return 0;
}

void reader_record_release(struct reader_record *rec)
{
    if (rec->msg != NULL)
        rd_kafka_message_destroy(rec->msg);
    rec->msg = NULL;
}

void reader_mark(struct topic_reader *r, int32_t partition, int64_t offset)
{
    if (partition >= 0 && partition < r->npart && offset > r->marked[partition])
        r->marked[partition] = offset;
}

int reader_commit(struct topic_reader *r, struct conf_error *err)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(r->npart);
    for (int i = 0; i != r->npart; ++i)
        if (r->marked[i] >= 0)
            rd_kafka_topic_partition_list_add(parts, r->topic, i)->offset = r->marked[i] + 1;
    rd_kafka_resp_err_t e = parts->cnt != 0 ? rd_kafka_commit(r->rk, parts, 0) : 0;
    for (int i = 0; e == 0 && i != parts->cnt; ++i)
        e = parts->elems[i].err;
    rd_kafka_topic_partition_list_destroy(parts);
    if (e != 0) {
        errf(err, "topic %s: commit: %s", r->topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

void reader_close(struct topic_reader *r)
{
    if (r == NULL)
        return;
    if (r->rk != NULL) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    free(r->topic);
    free(r->end);
    free(r->next);
    free(r->marked);
    free(r);
}
