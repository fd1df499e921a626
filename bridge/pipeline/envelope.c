/*
 * Record building. Headers are views into memory that outlives the produce call (the request
 * and the event); the Kafka layer copies them into librdkafka. Only structured mode allocates,
 * since its value is new JSON text.
 * A traceparent is forwarded only when well-formed, so a client cannot smuggle arbitrary bytes
 * into consumers' tracing headers.
 */
#include "envelope.h"

#include <stdlib.h>

static void add(struct envelope *env, const char *name, struct bytes value)
{
    if (value.base != NULL && env->nheaders < ENVELOPE_MAX_HEADERS)
        env->headers[env->nheaders++] = (struct record_header){name, value};
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i != n; ++i)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool envelope_traceparent_valid(struct bytes v)
{
    return v.len == 55 && v.base[2] == '-' && v.base[35] == '-' && v.base[52] == '-' &&
           is_lower_hex(v.base, 2) && is_lower_hex(v.base + 3, 32) &&
           is_lower_hex(v.base + 36, 16) && is_lower_hex(v.base + 53, 2);
}

static void add_trace(struct envelope *env, const struct request_view *req)
{
    struct bytes tp = request_header(req, BYTES_LIT("traceparent"));
    if (tp.base != NULL && envelope_traceparent_valid(tp))
        add(env, "traceparent", tp);
}

int envelope_build(const struct conf_source *src, const struct event *ev,
                   const struct request_view *req, struct envelope *env)
{
    *env = (struct envelope){.key = ev->key, .value = req->body};
    if (src->format == CE_FORMAT_STRUCTURED) {
        json_t *ce = json_pack("{s:s, s:s#, s:s, s:s#, s:s#, s:s, s:s#, s:s, s:O}",
                               "specversion", "1.0", "id", ev->id.base, (int)ev->id.len,
                               "source", src->ce_source, "type", ev->type.base,
                               (int)ev->type.len, "time", ev->time.base, (int)ev->time.len,
                               "datacontenttype", "application/json", "partitionkey",
                               ev->key.base, (int)ev->key.len, "partitionkeyfrom",
                               ev->key_from != NULL ? ev->key_from : "id", "data", ev->doc);
        if (ce == NULL)
            return -1;
        env->owned_value = json_dumps(ce, JSON_COMPACT);
        json_decref(ce);
        if (env->owned_value == NULL)
            return -1;
        env->value = bytes_str(env->owned_value);
        add(env, "content-type", BYTES_LIT("application/cloudevents+json"));
        add_trace(env, req);
        return 0;
    }
    add(env, "ce_specversion", BYTES_LIT("1.0"));
    add(env, "ce_id", ev->id);
    add(env, "ce_source", bytes_str(src->ce_source));
    add(env, "ce_type", ev->type);
    add(env, "ce_time", ev->time);
    add(env, "content-type", BYTES_LIT("application/json"));
    add(env, "ce_partitionkey", ev->key);
    add(env, "ce_partitionkeyfrom", bytes_str(ev->key_from != NULL ? ev->key_from : "id"));
    add_trace(env, req);
    return 0;
}

const char *envelope_scheme_name(enum verify_scheme s)
{
    switch (s) {
    case VERIFY_SCHEME_NONE:
        return "none";
    case VERIFY_SCHEME_SHARED_SECRET:
        return "shared-secret";
    case VERIFY_SCHEME_HMAC:
        return "hmac";
    case VERIFY_SCHEME_STRIPE:
        return "stripe";
    case VERIFY_SCHEME_STANDARD_WEBHOOKS:
        return "standard-webhooks";
    case VERIFY_SCHEME_SLACK:
        return "slack";
    }
    return "unknown";
}

/* A request's bytes a dead letter keeps: only short text (no control bytes reach a header). */
static struct bytes kept_text(struct bytes v, size_t max)
{
    return v.base != NULL && v.len <= max && normalize_text_valid(v) ? v : BYTES_NULL;
}

void envelope_build_dead_letter(const struct conf_source *src, const struct event *ev,
                                const struct request_view *req, const char *reason,
                                struct envelope *env)
{
    *env = (struct envelope){.key = ev->id, .value = req->body};
    add(env, "ce_specversion", BYTES_LIT("1.0"));
    add(env, "ce_id", ev->id);
    add(env, "ce_source", bytes_str(src->ce_source));
    add(env, "ce_time", ev->time);
    add(env, "ce_type", ev->type);
    add(env, "dead_letter_reason", bytes_str(reason));
    /* what a replay needs to decide it again; the path came through the HTTP layer's
     * normalization, and is checked like any other kept text */
    add(env, "dead_letter_path", kept_text(req->path, NORMALIZE_MAX_ATTR));
    add(env, "dead_letter_verified", bytes_str(envelope_scheme_name(src->verify.scheme)));
    add(env, "content-type",
        kept_text(request_header(req, BYTES_LIT("content-type")), ENVELOPE_MAX_CONTENT_TYPE));
    for (size_t i = 0; i != src->nkeep_headers; ++i)
        add(env, src->keep_headers[i],
            kept_text(request_header(req, bytes_str(src->keep_headers[i])), NORMALIZE_MAX_ATTR));
    add_trace(env, req);
}

void envelope_release(struct envelope *env)
{
    free(env->owned_value);
    env->owned_value = NULL;
}
