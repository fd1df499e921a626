/*
 * Topic creation at start (kafka.create_topics): makes every topic the configuration can
 * publish to exist, so that a cluster with auto.create.topics.enable=false still works.
 */
#ifndef BRIDGE_KAFKA_TOPICS_H
#define BRIDGE_KAFKA_TOPICS_H

#include "conf/config.h"

/* Creates, with cfg->kafka.topic_partitions partitions and cfg->kafka.topic_replication
 * replicas, every topic that cfg routes to (dead-letter topics included) and that the cluster
 * at `bootstrap` does not have yet; existing topics are left as they are. Uses a temporary
 * admin client carrying only the connection settings (security, SASL, SSL, socket, client id)
 * of cfg->kafka.props. Blocks for at most about 10 s. Logs each topic it creates.
 * Returns 0 when every routed topic exists afterwards, else -1 with err filled.
 * Any thread; meant for start-up, before the producer is created. */
int kafka_create_topics(const struct bridge_config *cfg, const char *bootstrap,
                        struct conf_error *err);

#endif
