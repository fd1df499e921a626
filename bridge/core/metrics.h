/*
 * Prometheus metrics: a registry of families (name, help, type, label names) and their series
 * (one per distinct label values). Looking a series up takes a lock, so callers look up once
 * (at config load) and keep the pointer; updating a series is one relaxed atomic add, safe from
 * any thread. Series are never freed before metrics_shutdown(), so a pointer stays valid across
 * config reloads. Label values must come from configuration or fixed vocabularies (source
 * names, topics, status codes), never from a request.
 */
#ifndef BRIDGE_CORE_METRICS_H
#define BRIDGE_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_family;
struct metric;

/* Registers (or finds, if already registered with the same name) a family. label_names is a
 * NULL-terminated list (may be NULL for none). Histogram bounds are in the family's unit
 * (seconds for *_seconds), ascending, `nbounds` of them. Returns NULL on allocation failure.
 * Any thread; the name and strings must stay valid for the process lifetime (literals). */
struct metric_family *metrics_family(const char *name, const char *help, enum metric_type type,
                                     const char *const *label_names, const double *bounds,
                                     size_t nbounds);

/* The series of `fam` with these label values (as many as the family's label names; copied).
 * Created at zero on first use. Any thread. */
struct metric *metrics_series(struct metric_family *fam, const char *const *label_values);

/* Counter/gauge: add (gauges may add negative values). Histogram: observe one value. Any thread;
 * NULL is ignored so that a failed lookup never crashes a request. */
void metric_add(struct metric *m, int64_t delta);
void metric_set(struct metric *m, int64_t value);
void metric_observe(struct metric *m, double value);
int64_t metric_value(const struct metric *m);

/* Makes gauge family `fam` hold exactly one series, with these label values and the value 1:
 * an info metric whose labels change (the config's hash after a reload), so the old values
 * do not linger as a second series. A series pointer of `fam` stays valid; nothing else may
 * look up series of `fam`. On allocation failure the old values stay. Any thread. */
void metrics_info(struct metric_family *fam, const char *const *label_values);

/* A gauge computed when scraped: the callback returns its value. */
void metrics_gauge_fn(const char *name, const char *help, double (*fn)(void *), void *arg);

/* Appends the exposition text (Prometheus text format 0.0.4) to a malloc'd buffer; *len gets
 * its length. Returns NULL on allocation failure. Caller frees. Any thread. */
char *metrics_render(size_t *len);

/* Frees everything (process exit, tests). No other metrics call may run at the same time. */
void metrics_shutdown(void);

#endif
