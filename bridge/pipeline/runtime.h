/*
 * The runtime: one loaded configuration with everything compiled from it (verifiers, route
 * tables, metric series), shared read-only by all event loops. Reference-counted: each loop
 * holds one reference to its current runtime, and each request in flight holds one to the
 * runtime it started with, so a reload swaps runtimes without disturbing requests in flight.
 */
#ifndef BRIDGE_PIPELINE_RUNTIME_H
#define BRIDGE_PIPELINE_RUNTIME_H

#include <stdatomic.h>
#include <stdint.h>

#include "conf/config.h"
#include "core/metrics.h"
#include "core/ratelimit.h"
#include "core/status.h"
#include "pipeline/normalize.h"
#include "pipeline/route.h"
#include "pipeline/verify.h"

/* Counters of one topic: webhook_bridge_kafka_records_published_total / webhook_bridge_kafka_records_failed_total. */
struct topic_metrics {
    struct metric *published;
    struct metric *failed;
};

struct source_rt {
    const struct conf_source *conf;
    /* per route, per topic (parallel to conf->routes[r].topics), and the dead-letter topic */
    struct topic_metrics **route_topics;
    struct topic_metrics dead_letter;
    struct verifier *verifier;
    struct normalizer *normalizer;
    struct route_table *routes;
    struct metric *requests[BRIDGE_STATUS_COUNT]; /* webhook_bridge_requests_total{source,status} */
    struct metric *verify_failures[VERIFY_RESULT_COUNT];
    struct metric *latency; /* webhook_bridge_request_duration_seconds{source} */
    struct metric *time_invalid; /* webhook_bridge_event_time_invalid_total{source} */
    struct ratelimit *limit; /* the source's rate_limit (per runtime: a reload starts it full) */
};

struct runtime {
    atomic_uint refs;
    uint64_t generation;
    struct bridge_config *cfg; /* owned */
    struct source_rt *sources;
    size_t nsources;
};

/* Compiles cfg into a runtime, taking ownership of cfg on success (on failure cfg is left to
 * the caller). Returns NULL with err filled on a bad setting. One reference, the caller's. */
struct runtime *runtime_create(struct bridge_config *cfg, uint64_t generation,
                               struct conf_error *err);

/* Any thread. */
struct runtime *runtime_retain(struct runtime *rt);
/* Any thread; the last release frees it. NULL is fine. */
void runtime_release(struct runtime *rt);

/* The source serving request path `path`, or NULL. */
const struct source_rt *runtime_find(const struct runtime *rt, struct bytes path);

/* The counters of `topic` (bounded: topics come from config). Takes a lock: look up once. */
struct topic_metrics runtime_topic_metrics(const char *topic);

#endif
