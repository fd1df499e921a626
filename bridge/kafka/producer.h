/*
 * The Kafka producer (librdkafka stays inside bridge/kafka/: nothing outside includes
 * rdkafka.h). One producer is shared by all event loops: one or more idempotent sessions
 * (kafka.producers), each owning a share of the partitions. Records are copied, into librdkafka
 * or into a partition's gate (producer.c), so callers' memory (request pools) never crosses
 * into it. Delivery reports are served by the producer's own poll threads, which call
 * the delivery function; the HTTP layer uses it to carry each report back to the loop that owns
 * the request.
 */
#ifndef BRIDGE_KAFKA_PRODUCER_H
#define BRIDGE_KAFKA_PRODUCER_H

#include <stdbool.h>

#include "conf/config.h"
#include "core/status.h"
#include "pipeline/envelope.h"
#include "pipeline/publish.h"

struct producer;

/* Checks every kafka.librdkafka property with librdkafka itself, and refuses the ones the
 * delivery guarantee fixes (acks, enable.idempotence, ...); then creates a client from the
 * result without connecting, so that what librdkafka checks only then (certificate and key
 * files that do not parse, the SASL mechanism and credentials) is reported too. Returns 0, or
 * -1 with FILE:LINE:COL: kafka.librdkafka.NAME: message in err. */
int producer_check_config(struct bridge_config *cfg, struct conf_error *err);

/* Creates the producer for cfg, connecting to `bootstrap` (cfg->kafka.brokers, or the embedded
 * cluster's address) and starts its poll thread. Topics routed by cfg are warmed up (metadata)
 * before producer_ready() turns true. Returns NULL with err filled on failure. */
struct producer *producer_create(const struct bridge_config *cfg, const char *bootstrap,
                                 publish_delivery_fn *on_delivery, struct conf_error *err);

/* The producer as the publisher the HTTP layer sends through (pipeline/publish.h): its send,
 * ready and not_ready_reason are producer_send, producer_ready and producer_not_ready_reason.
 * Valid while the producer lives. */
struct publisher *producer_publisher(struct producer *p);

/* Enqueues one record of `env` to `topic`; `opaque` comes back in the delivery function.
 * Returns BRIDGE_ACCEPTED when queued (a report will follow), else QUEUE_FULL or KAFKA_ERROR
 * (no report will follow). Any thread; never blocks. */
enum bridge_status producer_send(struct producer *p, const char *topic, const struct envelope *env,
                                 void *opaque);

/* True once a broker is reachable, the idempotent producer has its id and routed topics'
 * metadata is known; false while every broker is down, and while records wait with nothing
 * acknowledged for longer than the longest ack_timeout_ms. Any thread. */
bool producer_ready(const struct producer *p);

/* Writes one line (NUL-terminated, at most size - 1 bytes) saying why producer_ready() is
 * false: no broker up (with the last client error, e.g. an authentication failure), no producer
 * id yet, topics unknown, or nothing acknowledged for the longest ack_timeout_ms while records
 * wait (a cluster that cannot meet min.insync.replicas). Returns its length. Any thread. */
size_t producer_not_ready_reason(const struct producer *p, char *buf, size_t size);

/* Brokers currently up, and records queued or in flight (in librdkafka, or held in a gate for
 * their partition's turn). Any thread. */
int producer_brokers_up(const struct producer *p);
int producer_queue_depth(const struct producer *p);

/* Stops the poll thread and destroys the producer without waiting further: outstanding
 * records are purged and reported as KAFKA_ERROR. NULL is fine. */
void producer_destroy(struct producer *p);

#endif
