/*
 * Structured logging: one JSON object per line on stderr, {"ts","level","msg", fields...}.
 * Each line goes out in a single write(2), so lines from different threads never interleave.
 * Callers pass typed fields; there is no printf-style message, so a request body or a secret
 * can only reach a log line if a caller names it as a field, which no caller does.
 *
 *   log_info("listening", LOG_S("addr", addr), LOG_I("port", 8080));
 */
#ifndef BRIDGE_CORE_LOG_H
#define BRIDGE_CORE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ratelimit.h"

enum log_severity { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_field_type {
    LOG_FIELD_END,
    LOG_FIELD_STR,
    LOG_FIELD_BYTES,
    LOG_FIELD_INT,
    LOG_FIELD_DBL,
    LOG_FIELD_STRS
};

struct log_field {
    enum log_field_type type;
    const char *key;
    const char *s;
    size_t len;
    long long i;
    double d;
    const char *const *strs; /* LOG_FIELD_STRS: len strings, a JSON array */
};

#define LOG_S(k, v) ((struct log_field){LOG_FIELD_STR, (k), (v), 0, 0, 0, NULL})
#define LOG_B(k, b, n) ((struct log_field){LOG_FIELD_BYTES, (k), (b), (n), 0, 0, NULL})
#define LOG_I(k, v) ((struct log_field){LOG_FIELD_INT, (k), NULL, 0, (long long)(v), 0, NULL})
#define LOG_D(k, v) ((struct log_field){LOG_FIELD_DBL, (k), NULL, 0, 0, (double)(v), NULL})
#define LOG_A(k, a, n) ((struct log_field){LOG_FIELD_STRS, (k), NULL, (n), 0, 0, (a)})

/* Messages below `min` are dropped. Default LOG_INFO. Any thread (atomic): a reload sets it
 * while the loops log. */
void log_set_level(enum log_severity min);
int log_enabled(enum log_severity sev);
/* Sends lines to fd instead of stderr (tests). */
void log_set_fd(int fd);

/* Writes one line; `fields` ends with a LOG_FIELD_END entry. Any thread. */
void log_write(enum log_severity sev, const char *msg, const struct log_field *fields);

#define LOG_FIELDS(...) ((const struct log_field[]){__VA_ARGS__ __VA_OPT__(, ) LOG_END_FIELD})
#define LOG_END_FIELD ((struct log_field){LOG_FIELD_END, NULL, NULL, 0, 0, 0, NULL})
#define log_at(sev, msg, ...)                                                                      \
    do {                                                                                           \
        if (log_enabled(sev))                                                                      \
            log_write((sev), (msg), LOG_FIELDS(__VA_ARGS__));                                      \
    } while (0)
#define log_debug(msg, ...) log_at(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...) log_at(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_at(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_at(LOG_ERROR, msg, __VA_ARGS__)

/* A budget of log lines per second for lines that a client can cause in any number (refused
 * requests, failed deliveries): within it lines are written, past it they are only counted, and
 * the owner writes one summary line now and then with log_budget_report(). */
struct log_budget {
    struct ratelimit rl;
    atomic_ullong dropped;
};

/* per_second lines a second, bursts of as many; 0 = no limit. */
void log_budget_init(struct log_budget *b, unsigned per_second);
void log_budget_release(struct log_budget *b);

/* True when a line may be written now; false counts it as dropped. Any thread. */
bool log_budget_take(struct log_budget *b);

/* Writes "MSG" at warn with the number of lines dropped since the last report, if any
 * were. Any thread. */
void log_budget_report(struct log_budget *b, const char *msg);

/* Appends s (n bytes) to out as the inside of a JSON string (escapes quotes, backslash,
 * control bytes; invalid UTF-8 bytes become \u00XX). Returns bytes written, or the size
 * needed if it does not fit (nothing is then guaranteed about out). */
size_t log_json_escape(char *out, size_t cap, const char *s, size_t n);

#endif
