/*
 * The one status vocabulary of the bridge: what happened to a request. Each code has a name
 * (logs, metric labels), an HTTP status and whether the provider should retry. The HTTP layer
 * maps a code to a response once, through this table (librdkafka's error table is the model).
 */
#ifndef BRIDGE_CORE_STATUS_H
#define BRIDGE_CORE_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* X(code, name, http_status, retriable)
 * ACCEPTED and DEAD_LETTERED answer with the source's success_status; 200 here is the default. */
#define BRIDGE_STATUS_TABLE(X)                                                                     \
    X(ACCEPTED, "accepted", 200, false)                                                            \
    X(DEAD_LETTERED, "dead_lettered", 200, false)                                                  \
    X(BAD_PAYLOAD, "bad_payload", 400, false)                                                      \
    X(BAD_REQUEST, "bad_request", 400, false) /* HTTP framing that cannot be trusted */         \
    X(UNAUTHORIZED, "unauthorized", 401, false)                                                    \
    X(NOT_FOUND, "not_found", 404, false)                                                          \
    X(METHOD_NOT_ALLOWED, "method_not_allowed", 405, false)                                        \
    X(BODY_TOO_LARGE, "body_too_large", 413, false)                                                \
    X(RECORD_TOO_LARGE, "record_too_large", 413, false) /* Kafka's size limit: never retriable */ \
    X(RATE_LIMITED, "rate_limited", 429, true)                                                     \
    X(CLIENT_GONE, "client_gone", 499, true) /* never sent: the client left first */           \
    X(INTERNAL, "internal_error", 500, true)                                                       \
    X(KAFKA_TIMEOUT, "kafka_timeout", 503, true)                                                   \
    X(KAFKA_ERROR, "kafka_error", 503, true)                                                       \
    X(QUEUE_FULL, "queue_full", 503, true)                                                         \
    X(OVERLOADED, "overloaded", 503, true)                                                         \
    X(SHUTTING_DOWN, "shutting_down", 503, true)

enum bridge_status {
#define X(code, name, http, retry) BRIDGE_##code,
    BRIDGE_STATUS_TABLE(X)
#undef X
        BRIDGE_STATUS_COUNT
};

/* Stable lowercase name, e.g. "kafka_timeout". */
const char *bridge_status_name(enum bridge_status st);
/* HTTP status code; the success codes give 200 (callers substitute success_status). */
int bridge_status_http(enum bridge_status st);
/* Whether the provider should retry (the answer carries Retry-After). */
bool bridge_status_retriable(enum bridge_status st);
/* The longest answer body bridge_status_body() writes. */
#define BRIDGE_STATUS_BODY_MAX 448

/* Writes the body every webhook answer carries, {"status":"NAME","id":"ID"} and a newline,
 * to out (BRIDGE_STATUS_BODY_MAX bytes) and returns its length. `id` (id_len bytes, may be
 * 0) is left out when over 64 bytes, not cut; JSON-escaped. The HTTP layer answers with it
 * and `webhook-bridge explain` prints it. Any thread. */
size_t bridge_status_body(enum bridge_status st, const char *id, size_t id_len, char *out);

/* Whether the code counts as success (the webhook is safe). */
static inline bool bridge_status_ok(enum bridge_status st)
{
    return st == BRIDGE_ACCEPTED || st == BRIDGE_DEAD_LETTERED;
}

#endif
