/*
 * The Kafka record of a webhook, as README.md ("What reaches Kafka") and docs/consumers.md
 * define it: CloudEvents 1.0 in the Kafka protocol binding. Binary mode: value = body bytes
 * as received, attributes in ce_* headers. Structured mode: value = a CloudEvents JSON object with the parsed body as data.
 * Dead-letter records carry the raw body and a dead_letter_reason header.
 * Pure; views borrow from the event, the request and the source.
 */
#ifndef BRIDGE_PIPELINE_ENVELOPE_H
#define BRIDGE_PIPELINE_ENVELOPE_H

#include "conf/config.h"
#include "pipeline/normalize.h"
#include "pipeline/request.h"

/* Dead letters have the most: 10 of their own and up to CONF_MAX_KEEP_HEADERS kept ones. */
#define ENVELOPE_MAX_HEADERS 20
/* A dead letter keeps the request's content-type only up to this length (and only as text). */
#define ENVELOPE_MAX_CONTENT_TYPE 128
/* What a record may add to the body it carries: the key and every header, each bounded by
 * NORMALIZE_MAX_ATTR or a constant, plus Kafka's record framing; well above their sum (about
 * 2 KiB) so that a ce_source of any sane length fits. Kafka's message.max.bytes must leave this
 * much room above max_body_bytes. */
#define ENVELOPE_MAX_OVERHEAD 16384

struct record_header {
    const char *name;
    struct bytes value;
};

/* One record's content, the same for every topic it fans out to. */
struct envelope {
    struct bytes key;
    struct bytes value;
    struct record_header headers[ENVELOPE_MAX_HEADERS];
    size_t nheaders;
    char *owned_value; /* structured mode: malloc'd JSON text that `value` views */
};

/* Builds the record of an accepted event. Returns 0, or -1 on allocation failure (structured
 * mode). Release with envelope_release(). */
int envelope_build(const struct conf_source *src, const struct event *ev,
                   const struct request_view *req, struct envelope *env);

/* Builds a dead-letter record, a CloudEvent too: raw body, key = id, headers ce_specversion,
 * ce_id, ce_source, ce_time, ce_type when one was found, dead_letter_reason, and what a replay
 * needs: dead_letter_path (the request path), dead_letter_verified (the scheme that
 * authenticated the request), the request's content-type and the source's keep_headers under
 * their own names (each only when it is short text) and a valid traceparent. */
void envelope_build_dead_letter(const struct conf_source *src, const struct event *ev,
                                const struct request_view *req, const char *reason,
                                struct envelope *env);

void envelope_release(struct envelope *env);

/* The name a record gives verify scheme s in dead_letter_verified ("shared-secret", ...). */
const char *envelope_scheme_name(enum verify_scheme s);

/* Whether v is a well-formed W3C traceparent (version 00 layout: 2-32-16-2 lowercase hex). */
bool envelope_traceparent_valid(struct bytes v);

#endif
