/*
 * Metrics registry. Families and series live in singly linked lists under one mutex; the lists
 * are short (tens of series) and only walked at lookup and scrape time. The hot path touches a
 * series' atomics only. Histograms keep cumulative-free bucket counts and render cumulative
 * sums at scrape, so an observation is two atomic adds and a short bound search.
 * Rejected: per-thread shards merged at scrape (faster under heavy contention, but with two
 * to eight loops the shared atomics do not show in profiles).
 */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 4
#define MAX_BOUNDS 24

struct metric {
    struct metric *next;
    struct metric_family *fam;
    char *values[MAX_LABELS];
    _Atomic int64_t value;                 /* counter, gauge */
    _Atomic uint64_t buckets[MAX_BOUNDS + 1]; /* histogram: per bucket, last is +Inf */
    _Atomic uint64_t sum_micro;            /* histogram sum in millionths of the unit */
};

struct metric_family {
    struct metric_family *next;
    const char *name;
    const char *help;
    enum metric_type type;
    const char *labels[MAX_LABELS];
    size_t nlabels;
    double bounds[MAX_BOUNDS];
    size_t nbounds;
    struct metric *series;
    double (*fn)(void *);
    void *fn_arg;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric_family *families, **families_tail = &families;

struct metric_family *metrics_family(const char *name, const char *help, enum metric_type type,
                                     const char *const *label_names, const double *bounds,
                                     size_t nbounds)
{
    struct metric_family *f;
    pthread_mutex_lock(&lock);
    for (f = families; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            goto out;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        goto out;
    f->name = name;
    f->help = help;
    f->type = type;
    for (; label_names != NULL && label_names[f->nlabels] != NULL && f->nlabels < MAX_LABELS;)
        f->labels[f->nlabels] = label_names[f->nlabels], ++f->nlabels;
    f->nbounds = nbounds < MAX_BOUNDS ? nbounds : MAX_BOUNDS;
    if (f->nbounds != 0)
        memcpy(f->bounds, bounds, f->nbounds * sizeof(double));
    *families_tail = f;
    families_tail = &f->next;
out:
    pthread_mutex_unlock(&lock);
    return f;
}

struct metric *metrics_series(struct metric_family *fam, const char *const *label_values)
{
    struct metric *m, **tail;
    if (fam == NULL)
        return NULL;
    pthread_mutex_lock(&lock);
    for (tail = &fam->series; (m = *tail) != NULL; tail = &m->next) {
        size_t i;
        for (i = 0; i != fam->nlabels; ++i)
            if (strcmp(m->values[i], label_values[i]) != 0)
                break;
        if (i == fam->nlabels)
            goto out;
    }
    if ((m = calloc(1, sizeof(*m))) == NULL)
        goto out;
    m->fam = fam;
    for (size_t i = 0; i != fam->nlabels; ++i) {
        if ((m->values[i] = strdup(label_values[i])) == NULL) {
            while (i-- != 0)
                free(m->values[i]);
            free(m);
            m = NULL;
            goto out;
        }
    }
    *tail = m;
out:
    pthread_mutex_unlock(&lock);
    return m;
}

void metrics_info(struct metric_family *fam, const char *const *label_values)
{
    if (fam == NULL)
        return;
    char *copy[MAX_LABELS] = {NULL};
    for (size_t i = 0; i != fam->nlabels; ++i) {
        if ((copy[i] = strdup(label_values[i])) == NULL) {
            while (i-- != 0)
                free(copy[i]);
            return;
        }
    }
    pthread_mutex_lock(&lock); /* a scrape reads the values under it */
    struct metric *m = fam->series;
    for (size_t i = 0; m != NULL && i != fam->nlabels; ++i) {
        free(m->values[i]);
        m->values[i] = copy[i];
    }
    pthread_mutex_unlock(&lock);
    if (m == NULL) { /* the first one */
        for (size_t i = 0; i != fam->nlabels; ++i)
            free(copy[i]);
        m = metrics_series(fam, label_values);
    }
    metric_set(m, 1);
}

void metric_add(struct metric *m, int64_t delta)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->value, delta, memory_order_relaxed);
}

void metric_set(struct metric *m, int64_t value)
{
    if (m != NULL)
        atomic_store_explicit(&m->value, value, memory_order_relaxed);
}

int64_t metric_value(const struct metric *m)
{
    return m == NULL ? 0 : atomic_load_explicit(&m->value, memory_order_relaxed);
}

void metric_observe(struct metric *m, double v)
{
    if (m == NULL)
        return;
    size_t i = 0;
    while (i < m->fam->nbounds && v > m->fam->bounds[i])
        ++i;
    atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);
    if (v > 0)
        atomic_fetch_add_explicit(&m->sum_micro, (uint64_t)llround(v * 1e6), memory_order_relaxed);
}

void metrics_gauge_fn(const char *name, const char *help, double (*fn)(void *), void *arg)
{
    struct metric_family *f = metrics_family(name, help, METRIC_GAUGE, NULL, NULL, 0);
    if (f != NULL) {
        pthread_mutex_lock(&lock);
        f->fn = fn;
        f->fn_arg = arg;
        pthread_mutex_unlock(&lock);
    }
}

struct out {
    char *buf;
    size_t len, cap;
    int failed;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = 1;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n;
        char *p = realloc(o->buf, cap);
        if (p == NULL) {
            o->failed = 1;
            return;
        }
        o->buf = p;
        o->cap = cap;
    }
}

/* Label values are escaped per the text format: backslash, double quote and newline. */
static void out_labels(struct out *o, const struct metric *m, const char *extra_k, const char *extra_v)
{
    size_t n = m != NULL ? m->fam->nlabels : 0;
    if (n == 0 && extra_k == NULL)
        return;
    outf(o, "{");
    for (size_t i = 0; i != n; ++i) {
        outf(o, "%s%s=\"", i ? "," : "", m->fam->labels[i]);
        for (const char *p = m->values[i]; *p; ++p) {
            if (*p == '\\' || *p == '"')
                outf(o, "\\%c", *p);
            else if (*p == '\n')
                outf(o, "\\n");
            else
                outf(o, "%c", *p);
        }
        outf(o, "\"");
    }
    if (extra_k != NULL)
        outf(o, "%s%s=\"%s\"", n ? "," : "", extra_k, extra_v);
    outf(o, "}");
}

static void render_family(struct out *o, const struct metric_family *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    outf(o, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, type_names[f->type]);
    if (f->fn != NULL) {
        outf(o, "%s %.17g\n", f->name, f->fn(f->fn_arg));
        return;
    }
    for (const struct metric *m = f->series; m != NULL; m = m->next) {
        if (f->type != METRIC_HISTOGRAM) {
            outf(o, "%s", f->name);
            out_labels(o, m, NULL, NULL);
            outf(o, " %lld\n", (long long)atomic_load(&m->value));
            continue;
        }
        uint64_t cum = 0;
        for (size_t i = 0; i <= f->nbounds; ++i) {
            char le[32];
            cum += atomic_load(&m->buckets[i]);
            if (i == f->nbounds)
                snprintf(le, sizeof(le), "+Inf");
            else
                snprintf(le, sizeof(le), "%g", f->bounds[i]);
            outf(o, "%s_bucket", f->name);
            out_labels(o, m, "le", le);
            outf(o, " %llu\n", (unsigned long long)cum);
        }
        outf(o, "%s_sum", f->name);
        out_labels(o, m, NULL, NULL);
        outf(o, " %.6f\n", (double)atomic_load(&m->sum_micro) / 1e6);
        outf(o, "%s_count", f->name);
        out_labels(o, m, NULL, NULL);
        outf(o, " %llu\n", (unsigned long long)cum);
    }
}

char *metrics_render(size_t *len)
{
    struct out o = {.buf = malloc(4096), .cap = 4096};
    if (o.buf == NULL)
        return NULL;
    o.buf[0] = '\0';
    pthread_mutex_lock(&lock);
    for (const struct metric_family *f = families; f != NULL; f = f->next)
        render_family(&o, f);
    pthread_mutex_unlock(&lock);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}

void metrics_shutdown(void)
{
    pthread_mutex_lock(&lock);
    while (families != NULL) {
        struct metric_family *f = families;
        families = f->next;
        while (f->series != NULL) {
            struct metric *m = f->series;
            f->series = m->next;
            for (size_t i = 0; i != f->nlabels; ++i)
                free(m->values[i]);
            free(m);
        }
        free(f);
    }
    families_tail = &families;
    pthread_mutex_unlock(&lock);
}
