/*
 * The producer's librdkafka configuration, for the code of the Kafka layer that must talk to
 * the cluster exactly as the producer will (the --connect checks). Includes rdkafka.h: for
 * kafka/ only; the layers above use producer.h.
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

#endif
