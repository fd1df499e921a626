/*
 * Topic creation with librdkafka's Admin API on a short-lived client of its own.
 *
 * First a metadata request lists the cluster's topics, then CreateTopics asks only for the
 * missing ones. Asking for all of them and ignoring TOPIC_ALREADY_EXISTS would be simpler,
 * but a principal allowed to write to existing topics and not to create any gets
 * TOPIC_AUTHORIZATION_FAILED for every topic, existing or not, and the bridge could not start.
 * TOPIC_ALREADY_EXISTS still counts as success (another replica may create it first).
 *
 * The admin client is separate from the producer so that the producer's configuration stays
 * exactly what the delivery guarantee needs, and so that a failure here leaves nothing behind.
 * It gets only the connection settings of kafka.librdkafka (an allowlist of prefixes):
 * producer settings mean nothing to it and some (transactional.id) would change what it does.
 */
#include "topics.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "core/log.h"
#include "pipeline/envelope.h"
#include "security.h"

#define TOPICS_TIMEOUT_MS 10000

/* Prefixes of the librdkafka properties that concern reaching and talking to brokers. */
static const char *const admin_prefixes[] = {"security.",
                                             "ssl.",
                                             "ssl_",
                                             "sasl.",
                                             "enable.ssl.",
                                             "enable.sasl.",
                                             "socket.",
                                             "broker.address.",
                                             "broker.version.fallback",
                                             "api.version.",
                                             "client.id",
                                             "client.dns.",
                                             "client.rack",
                                             "reconnect.backoff.",
                                             "connections.max.idle.ms",
                                             "https.ca.",
                                             "debug",
                                             NULL};

static bool is_admin_prop(const char *key)
{
    for (size_t i = 0; admin_prefixes[i] != NULL; ++i)
        if (strncmp(key, admin_prefixes[i], strlen(admin_prefixes[i])) == 0)
            return true;
    return false;
}

/* An admin client with the operator's connection settings (security, client.*, ...) and none
 * of the producer's, which an admin client would refuse or ignore. */
static rd_kafka_t *admin_client(const struct bridge_config *cfg, const char *bootstrap,
                                struct conf_error *err)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf == NULL) {
        conf_errorf(err, cfg->file, NULL, "kafka.create_topics", "out of memory");
        return NULL;
    }
    rd_kafka_conf_set(conf, "client.id", "webhook-bridge-admin", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    if (kafka_conf_apply(conf, cfg, is_admin_prop, err) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
        conf_errorf(err, cfg->file, &cfg->kafka.brokers_pos, "kafka.brokers", "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        conf_errorf(err, cfg->file, NULL, "kafka.create_topics", "admin client: %s", errstr);
        rd_kafka_conf_destroy(conf); /* still ours when rd_kafka_new fails */
    }
    return rk;
}

/* Marks in `exists` (parallel to cfg->topics) the topics the cluster already has. */
static int find_existing(rd_kafka_t *rk, const struct bridge_config *cfg, bool *exists,
                         struct conf_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, TOPICS_TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        conf_errorf(err, "kafka", NULL, "kafka.create_topics", "listing topics: %s",
                    rd_kafka_err2str(e));
        return -1;
    }
    for (int i = 0; i != md->topic_cnt; ++i)
        for (size_t j = 0; j != cfg->ntopics; ++j)
            if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                strcmp(md->topics[i].topic, cfg->topics[j]) == 0)
                exists[j] = true;
    rd_kafka_metadata_destroy(md);
    return 0;
}

rd_kafka_NewTopic_t *kafka_new_topic(const struct bridge_config *cfg, const char *name,
                                     char *errstr, size_t errstr_size)
{
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(name, (int)cfg->kafka.topic_partitions,
                              (int)cfg->kafka.topic_replication, errstr, errstr_size);
    char max_message[32];
    snprintf(max_message, sizeof(max_message), "%zu", cfg->max_body_bytes + ENVELOPE_MAX_OVERHEAD);
    if (nt != NULL && rd_kafka_NewTopic_set_config(nt, "max.message.bytes", max_message) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        rd_kafka_NewTopic_destroy(nt);
        return NULL;
    }
    return nt;
}

int kafka_create_topics(const struct bridge_config *cfg, const char *bootstrap,
                        struct conf_error *err)
{
    char errstr[512];
    bool *exists = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_NewTopic_t **nt = NULL;
    rd_kafka_AdminOptions_t *opts = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    size_t nnew = 0;
    int rc = -1;

    if (cfg->ntopics == 0)
        return 0;
    exists = calloc(cfg->ntopics, sizeof(*exists));
    nt = calloc(cfg->ntopics, sizeof(*nt));
    if (exists == NULL || nt == NULL) {
        conf_errorf(err, cfg->file, NULL, "kafka.create_topics", "out of memory");
        goto out;
    }
    if ((rk = admin_client(cfg, bootstrap, err)) == NULL)
        goto out;
    if (find_existing(rk, cfg, exists, err) != 0)
        goto out;

    for (size_t i = 0; i != cfg->ntopics; ++i) {
        if (exists[i])
            continue;
        if ((nt[nnew] = kafka_new_topic(cfg, cfg->topics[i], errstr, sizeof(errstr))) == NULL) {
            conf_errorf(err, cfg->file, NULL, "kafka.create_topics", "topic \"%s\": %s", cfg->topics[i],
                        errstr);
            goto out;
        }
        ++nnew;
    }
    if (nnew == 0) {
        rc = 0;
        goto out;
    }

    opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, TOPICS_TIMEOUT_MS, errstr, sizeof(errstr));
    /* Wait for the controller to have the topics, so the producer finds them at once. */
    rd_kafka_AdminOptions_set_operation_timeout(opts, TOPICS_TIMEOUT_MS - 1000, errstr,
                                                sizeof(errstr));
    q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, nnew, opts, q);
    ev = rd_kafka_queue_poll(q, TOPICS_TIMEOUT_MS + 2000);
    if (ev == NULL) {
        conf_errorf(err, "kafka", NULL, "kafka.create_topics",
                    "no answer to CreateTopics within %d ms", TOPICS_TIMEOUT_MS + 2000);
        goto out;
    }
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        conf_errorf(err, "kafka", NULL, "kafka.create_topics", "CreateTopics: %s",
                    rd_kafka_event_error_string(ev));
        goto out;
    }
    size_t nres = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &nres);
    rc = 0;
    for (size_t i = 0; i != nres; ++i) {
        const char *name = rd_kafka_topic_result_name(res[i]);
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_info("topic created", LOG_S("topic", name),
                     LOG_I("partitions", cfg->kafka.topic_partitions),
                     LOG_I("replication", cfg->kafka.topic_replication));
        } else if (e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && rc == 0) {
            const char *why = rd_kafka_topic_result_error_string(res[i]);
            conf_errorf(err, "kafka", NULL, "kafka.create_topics", "topic \"%s\": %s", name,
                        why != NULL ? why : rd_kafka_err2str(e));
            rc = -1;
        }
    }

out:
    if (ev != NULL)
        rd_kafka_event_destroy(ev);
    if (q != NULL)
        rd_kafka_queue_destroy(q);
    if (opts != NULL)
        rd_kafka_AdminOptions_destroy(opts);
    if (nt != NULL)
        rd_kafka_NewTopic_destroy_array(nt, nnew);
    free(nt);
    free(exists);
    if (rk != NULL)
        rd_kafka_destroy(rk);
    return rc;
}
