/*
 * Producer health. The stall rule: records wait (queued or in flight) and not one was
 * acknowledged for stall_ms. It is evaluated on the poll thread every 100 ms from librdkafka's
 * queue length, so the request path pays nothing but one relaxed store per acknowledgement.
 * It needs no probe to recover: records that wait are still retried by librdkafka and their
 * acknowledgement ends the stall; once they have all failed nothing waits, the stall ends, and
 * the next webhook tries again. Rejected: reading the ISR of every routed partition from
 * metadata, which a cluster that lost its controller quorum reports as it was before.
 */
#include "health.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

void kafka_health_init(struct kafka_health *h, unsigned stall_ms)
{
    memset(h, 0, sizeof(*h));
    h->stall_ms = stall_ms;
    pthread_mutex_init(&h->lock, NULL);
}

void kafka_health_release(struct kafka_health *h)
{
    if (h != NULL)
        pthread_mutex_destroy(&h->lock);
}

void kafka_health_on_ack(struct kafka_health *h)
{
    atomic_store_explicit(&h->acked, true, memory_order_relaxed);
}

void kafka_health_on_error(struct kafka_health *h, int err, const char *reason)
{
    pthread_mutex_lock(&h->lock);
    snprintf(h->last_reason, sizeof(h->last_reason), "%s", reason != NULL ? reason : "");
    atomic_store(&h->last_error, err);
    pthread_mutex_unlock(&h->lock);
}

void kafka_health_tick(struct kafka_health *h, int waiting, uint64_t now_ms)
{
    bool acked = atomic_exchange_explicit(&h->acked, false, memory_order_relaxed);
    if (acked || waiting == 0 || atomic_load(&h->progress_ms) == 0)
        atomic_store(&h->progress_ms, now_ms);
    atomic_store(&h->waiting, waiting);
    atomic_store(&h->stalled, waiting > 0 && now_ms - atomic_load(&h->progress_ms) >= h->stall_ms);
}

bool kafka_health_stalled(struct kafka_health *h)
{
    return atomic_load(&h->stalled);
}

size_t kafka_health_reason(struct kafka_health *h, int brokers_up, bool pid_assigned, bool warm,
                           uint64_t now_ms, char *buf, size_t size)
{
    int n;
    int err = atomic_load(&h->last_error);
    if (brokers_up == 0) {
        pthread_mutex_lock(&h->lock);
        if (err != 0)
            n = snprintf(buf, size, "kafka not connected: no broker up (last error %s: %s)\n",
                         rd_kafka_err2name((rd_kafka_resp_err_t)err), h->last_reason);
        else
            n = snprintf(buf, size, "kafka not connected: no broker up\n");
        pthread_mutex_unlock(&h->lock);
    } else if (!pid_assigned) {
        n = snprintf(buf, size, "kafka: waiting for the idempotent producer id (%d brokers up)\n",
                     brokers_up);
    } else if (!warm) {
        n = snprintf(buf, size, "kafka: routed topics not all known to the cluster yet "
                                "(see the log's \"kafka warm-up\" lines)\n");
    } else if (atomic_load(&h->stalled)) {
        n = snprintf(buf, size,
                     "kafka not acknowledging: nothing acknowledged for %llu ms, %d record(s) "
                     "waiting, %d broker(s) up (acks=all needs min.insync.replicas in sync)\n",
                     (unsigned long long)(now_ms - atomic_load(&h->progress_ms)),
                     atomic_load(&h->waiting), brokers_up);
    } else {
        n = snprintf(buf, size, "ready\n");
    }
    if (n < 0)
        n = 0;
    if (size != 0 && (size_t)n >= size)
        n = (int)size - 1;
    return (size_t)n;
}
