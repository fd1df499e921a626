/*
 * Whether Kafka is taking the producer's records, and if not, why: what /readyz says beyond
 * "connected". A real cluster can be connected and still acknowledge nothing (two of three
 * brokers down: the survivor keeps serving metadata but acks=all can never be met), which the
 * broker count alone does not show.
 */
#ifndef BRIDGE_KAFKA_HEALTH_H
#define BRIDGE_KAFKA_HEALTH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kafka_health {
    unsigned stall_ms;                  /* nothing acknowledged for this long while records wait */
    atomic_bool acked;                  /* a record was acknowledged since the last tick */
    atomic_uint_least64_t progress_ms;  /* last tick that saw an ack or nothing waiting */
    atomic_int waiting;                 /* records queued or in flight at the last tick */
    atomic_bool stalled;
    atomic_int last_error;              /* rd_kafka_resp_err_t of the last client-level error */
    pthread_mutex_t lock;               /* guards last_reason */
    char last_reason[256];              /* the last error's text */
};

/* stall_ms: how long the producer may acknowledge nothing while records wait before it counts
 * as stalled (the bridge passes the longest ack_timeout_ms: past it, no webhook can succeed). */
void kafka_health_init(struct kafka_health *h, unsigned stall_ms);

/* A record was acknowledged. Poll thread (delivery reports); one atomic store. */
void kafka_health_on_ack(struct kafka_health *h);

/* A client-level error (librdkafka's error callback): remembered for kafka_health_reason().
 * Poll thread. */
void kafka_health_on_error(struct kafka_health *h, int err, const char *reason);

/* Releases what init took. NULL is fine. */
void kafka_health_release(struct kafka_health *h);

/* Called on every poll with the records queued or in flight; updates stalled. Poll thread. */
void kafka_health_tick(struct kafka_health *h, int waiting, uint64_t now_ms);

/* True while records wait and nothing was acknowledged for stall_ms. Any thread. */
bool kafka_health_stalled(struct kafka_health *h);

/* Writes one line saying why the producer is not ready, given its broker count and state, into
 * buf (always NUL-terminated); returns its length. Any thread. */
size_t kafka_health_reason(struct kafka_health *h, int brokers_up, bool pid_assigned, bool warm,
                           uint64_t now_ms, char *buf, size_t size);

#endif
