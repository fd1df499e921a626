/*
 * The embedded Kafka: librdkafka's in-process mock cluster, which speaks the real protocol on
 * loopback TCP and keeps data in memory. For `kafka.brokers: embedded` (development) and tests.
 */
#ifndef BRIDGE_KAFKA_MOCK_H
#define BRIDGE_KAFKA_MOCK_H

#include "conf/config.h"

struct mock_kafka;

/* Starts a cluster of `brokers` brokers. Returns NULL with err filled on failure. */
struct mock_kafka *mock_kafka_create(unsigned brokers, struct conf_error *err);

/* Its bootstrap address list ("127.0.0.1:PORT,..."), valid while the cluster lives. */
const char *mock_kafka_bootstraps(const struct mock_kafka *m);

/* Creates a topic with the given partitions (replication = min(brokers, 3)); 0 or -1. */
int mock_kafka_create_topic(struct mock_kafka *m, const char *topic, int partitions);

/* NULL is fine. */
void mock_kafka_destroy(struct mock_kafka *m);

#endif
