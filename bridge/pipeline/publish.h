/*
 * The one interface between the HTTP layer and the Kafka layer, declared below both so that
 * neither includes the other. The HTTP layer publishes through a struct publisher, which the
 * producer implements directly (producer_publisher(), kafka/producer.c); each record the
 * publisher accepted comes back once through a publish_delivery_fn, which the HTTP layer
 * implements (http_server_delivery) and the producer is created with. Test code implements
 * either side with a fake (tests/unit/test_http_threads.c).
 */
#ifndef BRIDGE_PIPELINE_PUBLISH_H
#define BRIDGE_PIPELINE_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"
#include "pipeline/envelope.h"

/* The report of one record that send() accepted: st is BRIDGE_ACCEPTED when Kafka acknowledged
 * it (acks=all), else KAFKA_TIMEOUT, KAFKA_ERROR or RECORD_TOO_LARGE. Called exactly once, on
 * the publisher's own thread (the producer's poll thread); must not block. */
typedef void publish_delivery_fn(void *opaque, enum bridge_status st);

struct publisher;

struct publisher_ops {
    /* Enqueues one record of env to topic; BRIDGE_ACCEPTED means a report with `opaque` will
     * follow, anything else that none will. Never blocks. Any thread. */
    enum bridge_status (*send)(struct publisher *p, const char *topic, const struct envelope *env,
                               void *opaque);
    /* Whether records can be acknowledged now (for /readyz and the early 503). Any thread. */
    bool (*ready)(const struct publisher *p);
    /* Why ready() is false, one line written into buf (NUL-terminated); returns its length.
     * May be NULL (a fixed text is shown). Any thread. */
    size_t (*not_ready_reason)(const struct publisher *p, char *buf, size_t size);
};

/* Embedded first in the implementing object, which the ops get back by a cast. */
struct publisher {
    const struct publisher_ops *ops;
};

#endif
