/*
 * Runtime construction: everything a request needs that can be computed from the config alone
 * is computed here once (decoded keys, sorted routes, metric series), so the request path does
 * only lookups.
 */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};

static void source_metrics(struct source_rt *s)
{
    static const char *const req_labels[] = {"source", "outcome", NULL};
    static const char *const vf_labels[] = {"source", "reason", NULL};
    static const char *const lat_labels[] = {"source", NULL};
    struct metric_family *req =
        metrics_family("webhook_bridge_requests_total",
                       "Webhook requests answered, by source and outcome (status name).",
                       METRIC_COUNTER, req_labels, NULL, 0);
    struct metric_family *vf = metrics_family(
        "webhook_bridge_verification_failures_total",
        "Webhook requests that failed verification, by source and reason.", METRIC_COUNTER,
        vf_labels, NULL, 0);
    struct metric_family *lat = metrics_family(
        "webhook_bridge_request_duration_seconds",
        "Time from receiving a webhook to answering it, by source.", METRIC_HISTOGRAM,
        lat_labels, latency_bounds, sizeof(latency_bounds) / sizeof(latency_bounds[0]));
    for (int st = 0; st != BRIDGE_STATUS_COUNT; ++st) {
        const char *v[] = {s->conf->name, bridge_status_name((enum bridge_status)st)};
        s->requests[st] = metrics_series(req, v);
    }
    for (int r = 1; r != VERIFY_RESULT_COUNT; ++r) {
        const char *v[] = {s->conf->name, verify_result_name((enum verify_result)r)};
        s->verify_failures[r] = metrics_series(vf, v);
    }
    struct metric_family *ti = metrics_family(
        "webhook_bridge_event_time_invalid_total",
        "Events whose time attribute was not a time; the receive time was used, by source.",
        METRIC_COUNTER, lat_labels, NULL, 0);
    const char *v[] = {s->conf->name};
    s->latency = metrics_series(lat, v);
    s->time_invalid = metrics_series(ti, v);
}

struct topic_metrics runtime_topic_metrics(const char *topic)
{
    static const char *const labels[] = {"topic", NULL};
    const char *v[] = {topic};
    struct metric_family *failed =
        metrics_family("webhook_bridge_kafka_records_failed_total",
                       "Records Kafka did not acknowledge (or refused), by topic.", METRIC_COUNTER,
                       labels, NULL, 0);
    struct metric_family *published =
        metrics_family("webhook_bridge_kafka_records_published_total", "Records Kafka acknowledged, by topic.",
                       METRIC_COUNTER, labels, NULL, 0);
    return (struct topic_metrics){metrics_series(published, v), metrics_series(failed, v)};
}

/* Looks up every topic's counters once, so a delivery report only adds to one. */
static int topic_metrics_of(struct source_rt *s)
{
    const struct conf_source *c = s->conf;
    if ((s->route_topics = calloc(c->nroutes + 1, sizeof(*s->route_topics))) == NULL)
        return -1;
    for (size_t r = 0; r != c->nroutes; ++r) {
        if ((s->route_topics[r] = calloc(c->routes[r].ntopics + 1, sizeof(**s->route_topics))) == NULL)
            return -1;
        for (size_t t = 0; t != c->routes[r].ntopics; ++t)
            s->route_topics[r][t] = runtime_topic_metrics(c->routes[r].topics[t]);
    }
    if (c->dead_letter_topic != NULL)
        s->dead_letter = runtime_topic_metrics(c->dead_letter_topic);
    return 0;
}

static void destroy(struct runtime *rt)
{
    for (size_t i = 0; i != rt->nsources; ++i) {
        struct source_rt *s = &rt->sources[i];
        verifier_destroy(s->verifier);
        normalizer_destroy(s->normalizer);
        route_table_destroy(s->routes);
        if (s->limit != NULL) {
            ratelimit_release(s->limit);
            free(s->limit);
        }
        for (size_t r = 0; s->route_topics != NULL && r != s->conf->nroutes; ++r)
            free(s->route_topics[r]);
        free(s->route_topics);
    }
    free(rt->sources);
    conf_free(rt->cfg);
    free(rt);
}

struct runtime *runtime_create(struct bridge_config *cfg, uint64_t generation,
                               struct conf_error *err)
{
    struct runtime *rt = calloc(1, sizeof(*rt));
    if (rt == NULL || (rt->sources = calloc(cfg->nsources + 1, sizeof(*rt->sources))) == NULL) {
        free(rt);
        conf_errorf(err, cfg->file, NULL, NULL, "out of memory");
        return NULL;
    }
    atomic_init(&rt->refs, 1);
    rt->generation = generation;
    rt->nsources = cfg->nsources;
    for (size_t i = 0; i != cfg->nsources; ++i) {
        struct source_rt *s = &rt->sources[i];
        s->conf = &cfg->sources[i];
        s->verifier =
            verifier_create(cfg->file, s->conf, cfg->trusted_proxies, cfg->ntrusted_proxies, err);
        if (s->verifier == NULL)
            goto fail;
        if ((s->normalizer = normalizer_create(cfg->file, s->conf, err)) == NULL)
            goto fail;
        if ((s->routes = route_table_create(s->conf->routes, s->conf->nroutes)) == NULL) {
            conf_errorf(err, cfg->file, NULL, NULL, "out of memory");
            goto fail;
        }
        source_metrics(s);
        if ((s->limit = malloc(sizeof(*s->limit))) != NULL)
            ratelimit_init(s->limit, s->conf->rate_limit, s->conf->rate_burst);
        if (s->limit == NULL || topic_metrics_of(s) != 0) {
            conf_errorf(err, cfg->file, NULL, NULL, "out of memory");
            goto fail;
        }
    }
    rt->cfg = cfg;
    return rt;
fail:
    rt->cfg = NULL; /* not ours on failure */
    destroy(rt);
    return NULL;
}

struct runtime *runtime_retain(struct runtime *rt)
{
    atomic_fetch_add_explicit(&rt->refs, 1, memory_order_relaxed);
    return rt;
}

void runtime_release(struct runtime *rt)
{
    if (rt != NULL && atomic_fetch_sub_explicit(&rt->refs, 1, memory_order_acq_rel) == 1)
        destroy(rt);
}

const struct source_rt *runtime_find(const struct runtime *rt, struct bytes path)
{
    for (size_t i = 0; i != rt->nsources; ++i)
        if (bytes_eq_str(path, rt->sources[i].conf->path))
            return &rt->sources[i];
    return NULL;
}
