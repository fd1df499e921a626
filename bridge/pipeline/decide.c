/*
 * The request decision, in the order a provider's webhook meets the checks: authenticity
 * first (nothing about an unauthenticated body is trusted or parsed), then the event's
 * attributes, then the route. A webhook that authenticates but can never be processed goes to
 * the dead-letter topic with its reason, so the provider does not retry it forever; without a
 * dead-letter topic it is a 400.
 */
#include "decide.h"

#include <string.h>

/* Everything after verification; id and time replace the event's when not BYTES_NULL. */
static void decide_verified(const struct source_rt *src, const struct request_view *req,
                            int64_t now_ms, struct bytes id, struct bytes time,
                            struct decision *d)
{
    enum normalize_result nr = normalize_event(src->normalizer, req, now_ms, &d->ev);
    if (id.base != NULL && id.len != 0) {
        if (d->ev.key.base == d->ev.id.base)
            d->ev.key = id;
        d->ev.id = id;
        d->ev.id_from = "ce_id";
    }
    int64_t t;
    if (time.base != NULL && normalize_parse_time(time, &t) == 0) {
        normalize_format_time(t, d->ev.time_buf);
        d->ev.time = bytes_str(d->ev.time_buf);
        d->ev.time_from = "ce_time";
    }
    const struct conf_route *route = nr == NORMALIZE_OK ? route_match(src->routes, d->ev.type) : NULL;
    if (route != NULL) {
        if (envelope_build(src->conf, &d->ev, req, &d->env) != 0) {
            d->status = BRIDGE_INTERNAL;
            d->reason = "out_of_memory";
            return;
        }
        d->status = BRIDGE_ACCEPTED;
        d->route = route;
        d->topics = (const char *const *)route->topics;
        d->metrics = src->route_topics[route - src->conf->routes];
        d->ntopics = route->ntopics;
        return;
    }
    d->reason = nr != NORMALIZE_OK ? normalize_result_name(nr) : "unrouted";
    if (src->conf->dead_letter_topic == NULL) {
        d->status = BRIDGE_BAD_PAYLOAD;
        return;
    }
    envelope_build_dead_letter(src->conf, &d->ev, req, d->reason, &d->env);
    d->status = BRIDGE_DEAD_LETTERED;
    d->topics = (const char *const *)&src->conf->dead_letter_topic;
    d->metrics = &src->dead_letter;
    d->ntopics = 1;
}

enum bridge_status decide_admit(const struct runtime *rt, struct bytes path, struct bytes method,
                                size_t body_len, size_t max_body_bytes,
                                const struct source_rt **src)
{
    *src = runtime_find(rt, path);
    if (*src == NULL)
        return BRIDGE_NOT_FOUND;
    if (!bytes_eq(method, BYTES_LIT("POST")))
        return BRIDGE_METHOD_NOT_ALLOWED;
    if (body_len > max_body_bytes)
        return BRIDGE_BODY_TOO_LARGE;
    return BRIDGE_ACCEPTED;
}

void decide(const struct source_rt *src, const struct request_view *req, int64_t now_ms,
            uint64_t mono_ns, struct decision *d)
{
    memset(d, 0, sizeof(*d));
    d->verify = verifier_check(src->verifier, req, now_ms / 1000);
    if (d->verify != VERIFY_OK) {
        d->status = BRIDGE_UNAUTHORIZED;
        d->reason = verify_result_name(d->verify);
        return;
    }
    decide_verified(src, req, now_ms, BYTES_NULL, BYTES_NULL, d);
    /* after verification (forgeries spend no budget) and normalization (the answer and the
     * log line still name the event) */
    if (bridge_status_ok(d->status) && !ratelimit_take(src->limit, mono_ns)) {
        d->status = BRIDGE_RATE_LIMITED;
        d->topics = NULL;
        d->metrics = NULL;
        d->ntopics = 0;
    }
}

void decide_replay(const struct source_rt *src, const struct request_view *req, int64_t now_ms,
                   struct bytes id, struct bytes time, struct decision *d)
{
    memset(d, 0, sizeof(*d));
    decide_verified(src, req, now_ms, id, time, d);
}

void decision_release(struct decision *d)
{
    envelope_release(&d->env);
    event_release(&d->ev);
}
