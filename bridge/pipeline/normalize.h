/*
 * Normalization: reads the event attributes (type, id, time, key) of one authenticated webhook
 * from its body and headers, as the source's configuration says. Pure: the receive time is an
 * argument. Views in struct event point into the parsed document, the request, or the event's
 * own buffers; they live until event_release().
 */
#ifndef BRIDGE_PIPELINE_NORMALIZE_H
#define BRIDGE_PIPELINE_NORMALIZE_H

#include <jansson.h>
#include <stdint.h>

#include "conf/config.h"
#include "pipeline/request.h"

enum normalize_result {
    NORMALIZE_OK,
    NORMALIZE_INVALID_JSON, /* body is not a JSON object */
    NORMALIZE_NO_TYPE,      /* no string at the source's type pointer/header */
    NORMALIZE_BAD_ATTRIBUTE, /* a type, id, time or key is not UTF-8 text without control
                                characters, or is longer than the bounds below */
};

/* Longest attribute accepted, in bytes: type, id and key; time. */
#define NORMALIZE_MAX_ATTR 256
#define NORMALIZE_MAX_TIME 64

/* Name for logs, metrics and the dead-letter reason header: "invalid_json", "no_event_type",
 * "invalid_attribute". */
const char *normalize_result_name(enum normalize_result r);

struct event {
    json_t *doc;       /* owned; the parsed body, for `format: structured` only, else NULL */
    struct bytes type; /* ce_type */
    struct bytes id;   /* ce_id: provider's id, else sha256(source, 0, body) in hex */
    struct bytes time; /* ce_time: the provider's time, else the receive time, always RFC 3339
                          UTC with milliseconds (in time_buf) */
    struct bytes key;  /* first key pointer holding a string, else the id */
    const char *key_from; /* the key pointer that produced the key (config's), or "id" */
    const char *id_from;  /* the id pointer or header (config's) that gave the id, or NULL:
                             hashed (absent, or not usable text) */
    const char *time_from; /* the time pointer or header that gave the time, or NULL: the
                              receive time (absent, or not a time: see time_invalid) */
    bool time_invalid;    /* the source's time was there but not a time: receive time used */
    char id_buf[72];
    char time_buf[40];
    char scratch[256]; /* unescaped strings (values with \-escapes) */
    char *heap;        /* owned; when scratch is too small */
};

/* A source's normalization, compiled once per config (its JSON pointers). Read-only after
 * creation: any thread may use it. */
struct normalizer;

/* Compiles src's pointers; src must outlive it. Returns NULL with err filled when a pointer
 * is too deep or too long for the scanner (16 tokens, 255 bytes). */
struct normalizer *normalizer_create(const char *file, const struct conf_source *src,
                                     struct conf_error *err);
void normalizer_destroy(struct normalizer *n);

/* Fills *ev from the request for normalizer n's source, received at now_ms (Unix
 * milliseconds). The body is scanned once (jscan), without building a tree; only
 * `format: structured` also parses it with jansson. The id and time are filled even on failure
 * (the dead-letter record needs them). Always call event_release() afterwards. Any thread. */
enum normalize_result normalize_event(const struct normalizer *n, const struct request_view *req,
                                      int64_t now_ms, struct event *ev);

/* Whether s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)
 * without control characters. */
bool normalize_text_valid(struct bytes s);

/* Releases the document; ev may be reused after. */
void event_release(struct event *ev);

/* Writes the fallback id: hex SHA-256 of source name, a NUL byte and the body (65 bytes with
 * the NUL). A retry of the same webhook gets the same id. */
void normalize_hash_id(const char *source, struct bytes body, char out[65]);

/* Formats ms since the epoch as RFC 3339 UTC with milliseconds, e.g.
 * "2026-03-14T09:12:45.318Z" (needs 25 bytes). */
void normalize_format_time(int64_t ms, char out[40]);

/* Parses an RFC 3339 date-time into ms since the epoch: "2026-03-14T12:00:00+01:00",
 * "...Z", "t"/" " for "T", "z" for "Z", any number of fraction digits (cut to ms), offsets
 * +HH:MM or +HHMM. A time without an offset is refused (it is local to someone). The result
 * must fall within years 0001..9999. Returns 0, or -1 when s is not such a time. */
int normalize_parse_time(struct bytes s, int64_t *ms);

/* The time attribute from a JSON number or text per `format` (see enum time_format): `number`
 * says whether v is a JSON number. Returns 0 with *ms, or -1. */
int normalize_time_value(struct bytes v, bool number, enum time_format format, int64_t *ms);

#endif
