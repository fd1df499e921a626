/*
 * The producer's librdkafka configuration, for the code of the Kafka layer that must talk to
 * the cluster exactly as the producer will (the --connect checks), and the topics it creates.
 * Includes rdkafka.h: for kafka/ only; the layers above use producer.h.
 */
#ifndef BRIDGE_KAFKA_CLIENT_H
#define BRIDGE_KAFKA_CLIENT_H

#include <librdkafka/rdkafka.h>

#include "conf/config.h"

/* A new conf with the producer's defaults, cfg's kafka.librdkafka properties (errors at their
 * line; the settings the delivery guarantee fixes are refused) and those fixed settings (acks
 * all, idempotence), connecting to `bootstrap` unless it is NULL. The caller owns it (pass it to
 * rd_kafka_new or rd_kafka_conf_destroy). NULL with err on failure. Any thread. */
rd_kafka_conf_t *producer_conf_new(const struct bridge_config *cfg, const char *bootstrap,
                                   struct conf_error *err);

/* The topic kafka.create_topics makes (topics.c): cfg->kafka.topic_partitions partitions,
 * topic_replication replicas, and a max.message.bytes that fits a record of the largest body
 * (the broker's default, 1048588, is smaller than max_body_bytes' default with the key and
 * headers, and too large is final). The --connect check asks the cluster about the same one.
 * NULL with errstr filled on failure. */
rd_kafka_NewTopic_t *kafka_new_topic(const struct bridge_config *cfg, const char *name,
                                     char *errstr, size_t errstr_size);

#endif
