/*
 * The decision for one webhook, made from its bytes and the source's runtime alone:
 * verification, the source's rate limit, normalization, routing, dead-lettering, and the
 * record to publish. The HTTP layer answers what it can before (404, 405, 413, shutting down)
 * and publishes what this decides; the golden tests (tests/golden/) run this same function on
 * recorded requests. No I/O, the clocks are arguments; the only state it changes is the
 * source's rate-limit bucket. Any thread.
 */
#ifndef BRIDGE_PIPELINE_DECIDE_H
#define BRIDGE_PIPELINE_DECIDE_H

#include "pipeline/envelope.h"
#include "pipeline/normalize.h"
#include "pipeline/runtime.h"

struct decision {
    /* ACCEPTED or DEAD_LETTERED: publish `env` to `topics`; else answer with this status
     * (UNAUTHORIZED, RATE_LIMITED, BAD_PAYLOAD, INTERNAL) and publish nothing (ntopics 0). */
    enum bridge_status status;
    enum verify_result verify;    /* why verification failed, VERIFY_OK otherwise */
    const char *reason;           /* static text for logs: a verify or dead-letter reason */
    struct event ev;              /* id and time are set from normalization on */
    const struct conf_route *route; /* the route that matched (ACCEPTED), borrowed; else NULL */
    struct envelope env;
    const char *const *topics;    /* borrowed from the runtime's config */
    const struct topic_metrics *metrics; /* parallel to topics */
    size_t ntopics;
};

/* What is answered before any decision, from the request line and the body's length alone:
 * NOT_FOUND when no source serves `path`, METHOD_NOT_ALLOWED for a method other than POST,
 * BODY_TOO_LARGE past max_body_bytes; else ACCEPTED, and the request goes on to decide().
 * *src is the source serving path (NULL when none), also on a refusal. Any thread. */
enum bridge_status decide_admit(const struct runtime *rt, struct bytes path, struct bytes method,
                                size_t body_len, size_t max_body_bytes,
                                const struct source_rt **src);

/* Decides what to do with request `req` for source `src`, received at now_ms (Unix ms; for
 * timestamps) and mono_ns (a monotonic clock; for the rate limit). A webhook over the source's
 * rate_limit is RATE_LIMITED once verified, so forgeries spend none of it. Always call
 * decision_release() afterwards. */
void decide(const struct source_rt *src, const struct request_view *req, int64_t now_ms,
            uint64_t mono_ns, struct decision *d);

/* The decision for a dead letter being replayed (webhook-bridge replay): the same as decide()
 * without verification (the request was authenticated when it arrived; its dead letter says
 * so), keeping the event's original id and time when given (non-NULL views: the dead
 * letter's ce_id and ce_time, which must outlive d). A record whose key was its id keeps that
 * too. Any thread. */
void decide_replay(const struct source_rt *src, const struct request_view *req, int64_t now_ms,
                   struct bytes id, struct bytes time, struct decision *d);

void decision_release(struct decision *d);

#endif
