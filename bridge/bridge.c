/*
 * The daemon. Threads: one per ingest event loop, one admin loop, librdkafka's own plus the
 * producer's poll thread, and this one (the main thread), which only waits for signals and
 * watches the config file. Signals are blocked everywhere and taken synchronously here with
 * sigtimedwait(), so no code runs in signal context.
 * Reload builds a complete new runtime off the loops and swaps it in with one message per loop;
 * a new file that fails any check is refused and the old runtime stays.
 */
#include "bridge.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/server.h"
#include "kafka/connect.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "kafka/topics.h"
#include "pipeline/runtime.h"

/* A file whose change reloads the config, and the version of it last read or tried. */
struct watched_file {
    char *path;
    struct conf_file_stamp stamp;
};

struct bridge {
    char *path;
    struct runtime *rt; /* the current one: one reference */
    struct mock_kafka *mock;
    struct producer *producer;
    struct http_server *http;
    uint64_t generation;
    uint64_t stamp;                    /* conf_stamp() of the config as last loaded */
    struct watched_file *secret_files; /* the config's secret_files, watched like the file */
    size_t nsecret_files;
    struct metric *reload_ok, *reload_failed;
    struct metric *last_reload_successful, *last_reload_success_time;
    struct metric_family *config_info;
};

/* A route that an earlier one in match order always beats is dead configuration: warned
 * about with the router's own rules (route_shadowed_by), which the loader below cannot use. */
static void warn_shadowed_routes(struct runtime *rt)
{
    for (size_t s = 0; s != rt->nsources; ++s) {
        size_t n;
        const struct conf_route *const *order = route_table_order(rt->sources[s].routes, &n);
        for (size_t i = 0; i != n; ++i) {
            const struct conf_route *by = route_shadowed_by(rt->sources[s].routes, i);
            if (by == NULL)
                continue;
            conf_warn_route(rt->cfg, rt->sources[s].conf, order[i],
                            "never matches: route \"%s\" (at %u:%u) comes first in match order "
                            "and takes every event type this one would",
                            by->pattern, by->pos.line, by->pos.col);
        }
    }
}

/* Loads and checks everything a runtime needs; NULL with err on any failure. */
static struct runtime *load_runtime(const char *path, const struct conf_options *opt,
                                    uint64_t generation, struct conf_error *err)
{
    struct bridge_config *cfg;
    if (conf_load_opts(path, opt, &cfg, err) != 0)
        return NULL;
    struct runtime *rt = NULL;
    if (producer_check_config(cfg, err) == 0)
        rt = runtime_create(cfg, generation, err);
    if (rt == NULL) {
        conf_free(cfg);
        return NULL;
    }
    warn_shadowed_routes(rt);
    conf_sort_warnings(rt->cfg);
    return rt;
}

/* The first line of a daemon: what runs, on which file, serving what. */
static void log_start(const struct bridge_config *cfg)
{
    const char **names = calloc(cfg->nsources + 1, sizeof(*names));
    for (size_t i = 0; names != NULL && i != cfg->nsources; ++i)
        names[i] = cfg->sources[i].name;
    log_info("webhook-bridge starting", LOG_S("version", BRIDGE_VERSION), LOG_S("config", cfg->file),
             LOG_S("config_sha256", cfg->sha256), LOG_A("sources", names, cfg->nsources));
    free(names);
}

static void log_warnings(const struct bridge_config *cfg)
{
    for (size_t i = 0; i != cfg->nwarnings; ++i)
        log_warn("config warning", LOG_S("warning", cfg->warnings[i]));
}

/* The configuration at path, loaded and checked as a start would (TLS files included), its
 * warnings written to errout; or NULL, its errors written there. */
static struct runtime *checked_runtime(const char *path, const struct conf_options *opt,
                                       FILE *errout)
{
    struct conf_error err;
    struct runtime *rt = load_runtime(path, opt, 0, &err);
    if (rt == NULL || http_tls_check(rt->cfg->tls_cert_file, rt->cfg->tls_key_file, &err) != 0) {
        fprintf(errout, "%s\n", err.msg);
        runtime_release(rt);
        return NULL;
    }
    for (size_t i = 0; i != rt->cfg->nwarnings; ++i)
        fprintf(errout, "%s\n", rt->cfg->warnings[i]);
    return rt;
}

int bridge_check_config(const char *path, const struct conf_options *opt, FILE *out, FILE *errout)
{
    struct runtime *rt = checked_runtime(path, opt, errout);
    if (rt == NULL)
        return 2;
    conf_print(rt->cfg, out);
    runtime_release(rt);
    return 0;
}

int bridge_check_connect(const char *path, FILE *out, FILE *errout)
{
    struct runtime *rt = checked_runtime(path, NULL, errout);
    if (rt == NULL)
        return 2;
    fprintf(out, "ok   config %s is valid (%zu source%s, %zu topic%s)\n", path, rt->cfg->nsources,
            rt->cfg->nsources == 1 ? "" : "s", rt->cfg->ntopics, rt->cfg->ntopics == 1 ? "" : "s");
    int rc = kafka_connect_check(rt->cfg, out);
    runtime_release(rt);
    return rc;
}

static bool is_dead_letter(const struct bridge_config *cfg, const char *topic)
{
    for (size_t s = 0; s != cfg->nsources; ++s)
        if (cfg->sources[s].dead_letter_topic != NULL &&
            strcmp(cfg->sources[s].dead_letter_topic, topic) == 0)
            return true;
    return false;
}

int bridge_list_topics(const char *path, FILE *out, FILE *errout)
{
    struct conf_error err;
    struct runtime *rt = load_runtime(path, NULL, 0, &err);
    if (rt == NULL) {
        fprintf(errout, "%s\n", err.msg);
        return 2;
    }
    const struct bridge_config *cfg = rt->cfg;
    int rc = 0;
    for (size_t i = 0; i != cfg->ntopics && rc == 0; ++i) {
        json_t *t = json_pack("{s:s, s:I, s:I, s:b}", "topic", cfg->topics[i], "partitions",
                              (json_int_t)cfg->kafka.topic_partitions, "replication",
                              (json_int_t)cfg->kafka.topic_replication, "dead_letter",
                              is_dead_letter(cfg, cfg->topics[i]));
        if (t == NULL || json_dumpf(t, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
            fputc('\n', out) == EOF)
            rc = 1;
        json_decref(t);
    }
    runtime_release(rt);
    return rc;
}

void bridge_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static double gauge_inflight(void *arg)
{
    struct bridge *b = arg;
    return b->http ? http_server_inflight(b->http) : 0;
}

static double gauge_queue(void *arg)
{
    struct bridge *b = arg;
    return b->producer ? producer_queue_depth(b->producer) : 0;
}

static double gauge_brokers(void *arg)
{
    struct bridge *b = arg;
    return b->producer ? producer_brokers_up(b->producer) : 0;
}

static double gauge_ready(void *arg)
{
    struct bridge *b = arg;
    return b->producer ? producer_ready(b->producer) : 0;
}

static void register_metrics(struct bridge *b)
{
    static const char *const result[] = {"result", NULL};
    struct metric_family *f = metrics_family("webhook_bridge_config_reloads_total",
                                             "Configuration reloads, by result.", METRIC_COUNTER,
                                             result, NULL, 0);
    b->reload_ok = metrics_series(f, (const char *const[]){"success"});
    b->reload_failed = metrics_series(f, (const char *const[]){"failure"});
    b->last_reload_successful = metrics_series(
        metrics_family("webhook_bridge_config_last_reload_successful",
                       "1 while the config in force is the file's latest: the last load (start, "
                       "SIGHUP or a change of a watched file) succeeded; 0 after a refused one.",
                       METRIC_GAUGE, NULL, NULL, 0),
        NULL);
    b->last_reload_success_time = metrics_series(
        metrics_family("webhook_bridge_config_last_reload_success_timestamp_seconds",
                       "Unix time of the last successful config load (start or reload).",
                       METRIC_GAUGE, NULL, NULL, 0),
        NULL);
    b->config_info = metrics_family(
        "webhook_bridge_config_info",
        "The config in force (always 1): config_sha256 is the SHA-256 of the config file's "
        "bytes (a config directory's files in name order), before ${VAR} expansion, so it "
        "names the file without revealing a secret.",
        METRIC_GAUGE, (const char *const[]){"config_sha256", NULL}, NULL, 0);
    metrics_gauge_fn("webhook_bridge_requests_in_flight", "Requests waiting for Kafka.", gauge_inflight, b);
    metrics_gauge_fn("webhook_bridge_kafka_producer_queue_depth",
                     "Records queued or in flight in the producer.", gauge_queue, b);
    metrics_gauge_fn("webhook_bridge_kafka_brokers_up", "Kafka brokers the producer is connected to.",
                     gauge_brokers, b);
    metrics_gauge_fn("webhook_bridge_kafka_producer_ready",
                     "1 when the producer is connected, has its id and knows its topics.",
                     gauge_ready, b);
    static const char *const build[] = {"version", NULL};
    struct metric_family *bi = metrics_family("webhook_bridge_build_info",
                                              "Build information (always 1).", METRIC_GAUGE,
                                              build, NULL, 0);
    metric_set(metrics_series(bi, (const char *const[]){BRIDGE_VERSION}), 1);
}

/* The metrics of a config load that succeeded (at start or a reload). */
static void config_loaded(struct bridge *b, const struct bridge_config *cfg)
{
    metric_set(b->last_reload_successful, 1);
    metric_set(b->last_reload_success_time, (int64_t)time(NULL));
    metrics_info(b->config_info, (const char *const[]){cfg->sha256});
}

/* Watches the secret_files of cfg from the versions it read, instead of the ones before. */
static void watch_secret_files(struct bridge *b, const struct bridge_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i != cfg->nsources; ++i)
        for (size_t j = 0; j != cfg->sources[i].verify.nsecrets; ++j)
            n += cfg->sources[i].verify.secrets[j].file != NULL;
    struct watched_file *w = calloc(n + 1, sizeof(*w));
    if (w == NULL) /* the old list stays: a change of those files still reloads */
        return;
    n = 0;
    for (size_t i = 0; i != cfg->nsources; ++i) {
        for (size_t j = 0; j != cfg->sources[i].verify.nsecrets; ++j) {
            const struct conf_secret *sec = &cfg->sources[i].verify.secrets[j];
            if (sec->file == NULL || (w[n].path = strdup(sec->file)) == NULL)
                continue;
            w[n++].stamp = sec->stamp;
        }
    }
    for (size_t i = 0; i != b->nsecret_files; ++i)
        free(b->secret_files[i].path);
    free(b->secret_files);
    b->secret_files = w;
    b->nsecret_files = n;
}

/* The first watched secret file whose version is not the one last read or tried, or NULL.
 * Kubernetes updates a mounted Secret by swapping the volume's ..data symlink, so stat() of
 * the path (the symlink followed) meets another inode. The new version counts as tried. */
static const char *secret_file_changed(struct bridge *b)
{
    for (size_t i = 0; i != b->nsecret_files; ++i) {
        struct watched_file *w = &b->secret_files[i];
        struct conf_file_stamp now = conf_file_stamp(w->path);
        if (!conf_file_stamp_eq(&now, &w->stamp)) {
            w->stamp = now;
            return w->path;
        }
    }
    return NULL;
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void create_embedded_topics(struct bridge *b, const struct bridge_config *cfg)
{
    for (size_t t = 0; t != cfg->ntopics; ++t)
        mock_kafka_create_topic(b->mock, cfg->topics[t], (int)cfg->kafka.topic_partitions);
}

struct bridge *bridge_start(const char *path, struct conf_error *err)
{
    struct bridge *b = calloc(1, sizeof(*b));
    if (b == NULL || (b->path = strdup(path)) == NULL) {
        free(b);
        conf_errorf(err, path, NULL, NULL, "out of memory");
        return NULL;
    }
    b->stamp = conf_stamp(path);
    if ((b->rt = load_runtime(path, NULL, ++b->generation, err)) == NULL)
        goto fail;
    const struct bridge_config *cfg = b->rt->cfg;
    log_set_level((enum log_severity)cfg->log_level);
    log_start(cfg);
    log_warnings(cfg);
    register_metrics(b);
    config_loaded(b, cfg);
    watch_secret_files(b, cfg);

    const char *bootstrap = cfg->kafka.brokers;
    if (strcmp(bootstrap, "embedded") == 0) {
        if ((b->mock = mock_kafka_create(cfg->kafka.embedded_brokers, err)) == NULL)
            goto fail;
        bootstrap = mock_kafka_bootstraps(b->mock);
        create_embedded_topics(b, cfg);
        log_info("embedded kafka started (in-memory, development only)",
                 LOG_S("bootstrap", bootstrap), LOG_I("brokers", cfg->kafka.embedded_brokers));
    } else if (cfg->kafka.create_topics && kafka_create_topics(cfg, bootstrap, err) != 0) {
        goto fail;
    }

    struct http_options ho = {
        .listen = cfg->listen,
        .admin_listen = cfg->admin_listen,
        .threads = cfg->threads != 0 ? cfg->threads : cpu_count(),
        .max_body_bytes = cfg->max_body_bytes,
        .max_inflight = cfg->max_inflight,
        .max_connections = cfg->max_connections,
        .admin_max_connections = cfg->admin_max_connections,
        .idle_timeout_ms = cfg->idle_timeout_ms,
        .http2 = cfg->http2,
        .admin_http2 = cfg->admin_http2,
        .http2_max_requests = cfg->http2_max_requests,
        .log_rate_limit = cfg->log_rate_limit,
        .tls_cert_file = cfg->tls_cert_file,
        .tls_key_file = cfg->tls_key_file,
        .tls_handshake_timeout_ms = cfg->tls_handshake_timeout_ms,
    };
    /* The producer first: its reports go to http_server_delivery, which needs nothing but each
     * record's opaque; then the server, publishing through the producer. */
    if ((b->producer = producer_create(cfg, bootstrap, http_server_delivery, err)) == NULL)
        goto fail;
    if ((b->http = http_server_start(&ho, runtime_retain(b->rt), producer_publisher(b->producer),
                                     err)) == NULL)
        goto fail;
    return b;
fail:
    bridge_destroy(b);
    return NULL;
}

/* Whether the file, or a *.yaml of the directory, was edited, added or removed since the
 * last look. A file that cannot be read (being replaced) is no change yet. */
static bool config_changed(struct bridge *b)
{
    uint64_t stamp = conf_stamp(b->path);
    if (stamp == 0 || stamp == b->stamp)
        return false;
    b->stamp = stamp;
    return true;
}

static void on_restart_needed(const char *key, void *arg)
{
    (void)arg;
    log_warn("setting changed; it takes effect after a restart", LOG_S("key", key));
}

static void reload(struct bridge *b, const char *why)
{
    /* The file as it is read now is the one loaded: without this, a SIGHUP after an edit
     * reloads, and the watcher then sees the edit and reloads it a second time. */
    uint64_t stamp = conf_stamp(b->path);
    if (stamp != 0)
        b->stamp = stamp;
    /* likewise the secret files: the versions about to be read count as tried, so a file
     * refused now is not tried again every second */
    for (size_t i = 0; i != b->nsecret_files; ++i)
        b->secret_files[i].stamp = conf_file_stamp(b->secret_files[i].path);
    struct conf_error err;
    struct runtime *rt = load_runtime(b->path, NULL, b->generation + 1, &err);
    /* the certificate is read again too: cert-manager renews it in place */
    if (rt != NULL && http_server_reload_tls(b->http, rt->cfg->tls_cert_file,
                                             rt->cfg->tls_key_file, &err) != 0) {
        runtime_release(rt);
        rt = NULL;
    }
    if (rt == NULL) {
        metric_add(b->reload_failed, 1);
        metric_set(b->last_reload_successful, 0);
        log_error("config reload refused; the running config stays", LOG_S("trigger", why),
                  LOG_S("error", err.msg));
        return;
    }
    ++b->generation;
    log_warnings(rt->cfg);
    /* settings that only a restart applies: reported, not applied */
    conf_restart_changes(b->rt->cfg, rt->cfg, on_restart_needed, NULL);
    log_set_level((enum log_severity)rt->cfg->log_level);
    http_server_swap_runtime(b->http, runtime_retain(rt));
    runtime_release(b->rt);
    b->rt = rt;
    metric_add(b->reload_ok, 1);
    config_loaded(b, rt->cfg);
    watch_secret_files(b, rt->cfg);
    log_info("config reloaded", LOG_S("trigger", why), LOG_I("generation", b->generation),
             LOG_I("sources", rt->nsources), LOG_S("config_sha256", rt->cfg->sha256));
}

/* Waits up to ms for a signal; returns it, or 0 on timeout. */
static int wait_signal(uint64_t ms)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    int sig = sigtimedwait(&set, NULL, &ts);
    return sig < 0 ? 0 : sig;
}

/* Graceful shutdown; returns the exit status. */
static int shut_down(struct bridge *b, int sig)
{
    const struct bridge_config *cfg = b->rt->cfg;
    uint64_t deadline = monotonic_ms() + cfg->drain_delay_ms + cfg->shutdown_timeout_ms;
    log_info("shutting down: not ready, draining", LOG_S("signal", strsignal(sig)),
             LOG_I("drain_delay_ms", cfg->drain_delay_ms));
    http_server_set_draining(b->http);

    /* keep serving while load balancers notice readiness is gone */
    for (uint64_t until = monotonic_ms() + cfg->drain_delay_ms; monotonic_ms() < until;) {
        int s = wait_signal(until - monotonic_ms());
        if (s == SIGTERM || s == SIGINT)
            goto abandon;
    }
    http_server_close_listeners(b->http);
    log_info("listeners closed; finishing requests in flight",
             LOG_I("in_flight", http_server_inflight(b->http)));
    while (http_server_inflight(b->http) > 0 || producer_queue_depth(b->producer) > 0) {
        if (monotonic_ms() >= deadline)
            goto abandon;
        int s = wait_signal(10);
        if (s == SIGTERM || s == SIGINT)
            goto abandon;
    }
    log_info("shutdown complete: every request answered, producer flushed");
    return 0;
abandon:
    log_error("shutdown cut short: abandoning work",
              LOG_I("requests_in_flight", http_server_inflight(b->http)),
              LOG_I("records_unacknowledged", producer_queue_depth(b->producer)));
    return 1;
}

int bridge_run(struct bridge *b)
{
    for (uint64_t next_summary = monotonic_ms() + 10000;;) {
        if (monotonic_ms() >= next_summary) {
            http_server_log_summary(b->http);
            next_summary += 10000;
        }
        int sig = wait_signal(1000);
        if (sig == SIGTERM || sig == SIGINT)
            return shut_down(b, sig);
        const char *secret_file;
        if (sig == SIGHUP) {
            reload(b, "SIGHUP");
        } else if (config_changed(b)) {
            reload(b, "file changed");
        } else if ((secret_file = secret_file_changed(b)) != NULL) {
            log_info("secret file changed; reloading", LOG_S("file", secret_file));
            reload(b, "secret file changed");
        }
    }
}

void bridge_destroy(struct bridge *b)
{
    if (b == NULL)
        return;
    /* producer first: its last reports still reach the running loops */
    producer_destroy(b->producer);
    http_server_stop(b->http);
    mock_kafka_destroy(b->mock);
    runtime_release(b->rt);
    for (size_t i = 0; i != b->nsecret_files; ++i)
        free(b->secret_files[i].path);
    free(b->secret_files);
    free(b->path);
    free(b);
}
