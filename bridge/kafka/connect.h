/*
 * `--check-config --connect`: connects to cfg's brokers as the producer will and checks what a
 * start needs (connect.c says what is checked and what is not).
 */
#ifndef BRIDGE_KAFKA_CONNECT_H
#define BRIDGE_KAFKA_CONNECT_H

#include <stdio.h>

#include "conf/config.h"

/* Checks, printing one line each to out ("ok   ..." or "FAIL ..."): the brokers answer (with
 * the security protocol, SASL mechanism and user), every topic in cfg->topics exists (its
 * partitions and replication) or kafka.create_topics may create it (a validate-only
 * CreateTopics), and the idempotent producer gets its id. Never writes to Kafka, never prints a
 * secret. Blocks for at most about 10 s per step (brokers, each topic, producer id) while
 * brokers do not answer. Returns 0 when every check passed, 1 otherwise. Any thread. */
int kafka_connect_check(const struct bridge_config *cfg, FILE *out);

#endif
