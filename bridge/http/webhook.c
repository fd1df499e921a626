/*
 * The webhook handler: verify, normalize, route, publish, and answer only when the delivery
 * promise of the source's `ack` mode holds.
 *
 * A request that waits for Kafka is a struct inflight, malloc'd (not in the request pool: the
 * delivery reports may outlive the request when the client goes away). It holds one delivery
 * slot per record; the producer thread posts each slot to the owning loop as an h2o message,
 * so every state change of an inflight happens on its loop and needs no lock. A small guard
 * object in the request pool tells the inflight when h2o frees the request (client gone);
 * from then on nothing touches the request. The inflight is freed when it has answered (or
 * lost its client) and every record has been reported.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "http/internal.h"
#include "pipeline/decide.h"

struct inflight;

struct delivery {
    h2o_multithread_message_t super;
    struct inflight *inf;
    const char *topic; /* borrowed from the runtime the inflight holds */
    const struct topic_metrics *metrics; /* likewise */
    enum bridge_status st;
};

struct guard {
    struct inflight *inf;
};

struct inflight {
    struct loop *loop;
    struct runtime *rt; /* one reference */
    const struct source_rt *src;
    h2o_req_t *req;       /* NULL once answered or gone */
    struct guard *guard;  /* in the request's pool; NULL once detached */
    h2o_timeout_entry_t timeout;
    uint64_t start_ns;
    unsigned pending;           /* records not yet reported */
    enum bridge_status outcome; /* ACCEPTED/DEAD_LETTERED until a record fails */
    bool answered;
    uint64_t request_id;
    const char *detail; /* static text */
    const char *const *topics; /* the route's, borrowed from rt; for the log line */
    size_t ntopics;
    uint8_t client[16];
    bool has_client;
    char id[80];
    size_t id_len;
    char type[128]; /* the event type, cut to fit: for the log line */
    size_t type_len;
    size_t nrecords;
    struct delivery records[];
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_respond_pooled(h2o_req_t *req, int status, const char *reason,
                         const char *content_type, char *body, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = status;
    req->res.reason = reason;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    /* h2o 2.2.5 closes the connection after a response without a length */
    req->res.content_length = len;
    h2o_start_response(req, &generator);
    h2o_iovec_t buf = h2o_iovec_init(body, len);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

void http_respond(h2o_req_t *req, int status, const char *reason, const char *content_type,
                  const char *body, size_t len)
{
    h2o_iovec_t copy = h2o_strdup(&req->pool, body, len);
    http_respond_pooled(req, status, reason, content_type, copy.base, copy.len);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status < 300 ? "OK" : "Error";
    }
}

/* The one place a status becomes an HTTP answer. `id` may be empty. */
static void answer(h2o_req_t *req, const struct source_rt *src, enum bridge_status st,
                   const char *id, size_t id_len)
{
    int status = bridge_status_http(st);
    if (bridge_status_ok(st) && src != NULL)
        status = src->conf->success_status;
    if (bridge_status_retriable(st))
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       H2O_STRLIT("5"));
    if (st == BRIDGE_METHOD_NOT_ALLOWED)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST"));

    /* {"status":"NAME","id":"ID"}\n, built in the request's pool */
    char *body = h2o_mem_alloc_pool(&req->pool, BRIDGE_STATUS_BODY_MAX);
    size_t n = bridge_status_body(st, id, id_len, body);
    http_respond_pooled(req, status, reason_phrase(status), "application/json", body, n);
}

/* What one answered request leaves behind: a metric sample and one log line (never its body
 * or headers). `detail` says why when the outcome alone does not (a verification failure's
 * reason, a dead letter's reason). */
struct outcome {
    uint64_t request_id;
    uint64_t start_ns;
    const char *id;
    size_t id_len;
    const char *type; /* the event type, once normalization found it */
    size_t type_len;
    const char *const *topics; /* every topic of the route (a fan-out has several) */
    size_t ntopics;
    const char *detail;
    struct bytes path; /* logged for a path no source serves */
    uint8_t client[16]; /* the client's address (through trusted proxies), if has_client */
    bool has_client;
};

static void account(struct http_server *srv, const struct runtime *rt,
                    const struct source_rt *src, enum bridge_status st, const struct outcome *o)
{
    double secs = (double)(monotonic_ns() - o->start_ns) / 1e9;
    if (src != NULL) {
        metric_add(src->requests[st], 1);
        metric_observe(src->latency, secs);
    }
    bool accepted = st == BRIDGE_ACCEPTED, ok = bridge_status_ok(st);
    /* a dead letter is answered with success but needs someone to look at it: a warning
     * whatever log_requests says */
    enum log_severity sev = accepted ? (rt->cfg->log_requests ? LOG_INFO : LOG_DEBUG) : LOG_WARN;
    if (st == BRIDGE_NOT_FOUND || st == BRIDGE_METHOD_NOT_ALLOWED)
        sev = LOG_INFO; /* scanners: not worth a warning each */
    /* anyone can send refused requests by the million, and an authenticated sender dead
     * letters: those lines have a budget (metrics still count each one) */
    if (!log_enabled(sev) || (!accepted && !log_budget_take(&srv->refusals)))
        return;
    char client[NETADDR_TEXT_MAX];
    log_write(sev, accepted ? "webhook accepted" : ok ? "webhook dead-lettered" : "webhook refused",
              LOG_FIELDS(LOG_I("request_id", o->request_id),
                         LOG_S("source", src ? src->conf->name : NULL),
                         LOG_B("event_type", o->type, o->type_len),
                         LOG_B("event_id", o->id, o->id_len),
                         LOG_S("topic", o->ntopics != 0 ? o->topics[0] : NULL),
                         LOG_A("topics", o->ntopics > 1 ? o->topics : NULL, o->ntopics),
                         LOG_I("status", ok && src ? src->conf->success_status
                                                   : bridge_status_http(st)),
                         LOG_S("outcome", bridge_status_name(st)), LOG_S("reason", o->detail),
                         LOG_B("path", st == BRIDGE_NOT_FOUND ? o->path.base : NULL, o->path.len),
                         LOG_S("client", o->has_client ? netaddr_format(o->client, client) : NULL),
                         LOG_D("latency_ms", secs * 1000)));
}

/* ---- inflight lifecycle (loop thread only) ---- */

static void inflight_free_if_done(struct inflight *inf)
{
    if (!inf->answered || inf->pending != 0)
        return;
    runtime_release(inf->rt);
    free(inf);
}

/* Answers (if the client is still there) and detaches from the request. */
static void inflight_answer(struct inflight *inf, enum bridge_status st)
{
    if (inf->answered)
        return;
    inf->answered = true;
    if (h2o_timeout_is_linked(&inf->timeout))
        h2o_timeout_unlink(&inf->timeout);
    atomic_fetch_sub(&inf->loop->srv->inflight, 1);
    struct outcome o = {
        .request_id = inf->request_id,
        .start_ns = inf->start_ns,
        .id = inf->id,
        .id_len = inf->id_len,
        .type = inf->type,
        .type_len = inf->type_len,
        .topics = inf->topics,
        .ntopics = inf->ntopics,
        .detail = inf->detail,
        .has_client = inf->has_client,
    };
    memcpy(o.client, inf->client, sizeof(o.client));
    account(inf->loop->srv, inf->rt, inf->src, st, &o);
    if (inf->req != NULL) {
        inf->guard->inf = NULL;
        h2o_req_t *req = inf->req;
        inf->req = NULL;
        answer(req, inf->src, st, inf->id, inf->id_len);
    }
}

static void on_request_disposed(void *p)
{
    struct guard *g = p;
    struct inflight *inf = g->inf;
    if (inf == NULL)
        return;
    /* the client went away before the answer: nothing may touch the request from now on */
    inf->req = NULL;
    inflight_answer(inf, BRIDGE_CLIENT_GONE);
    inflight_free_if_done(inf);
}

static void on_ack_timeout(h2o_timeout_entry_t *entry)
{
    struct inflight *inf = (struct inflight *)((char *)entry - offsetof(struct inflight, timeout));
    inflight_answer(inf, BRIDGE_KAFKA_TIMEOUT);
    inflight_free_if_done(inf);
}

void webhook_on_deliveries(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        struct delivery *d = H2O_STRUCT_FROM_MEMBER(struct delivery, super.link, messages->next);
        h2o_linklist_unlink(&d->super.link);
        struct inflight *inf = d->inf;
        --inf->pending;
        atomic_fetch_sub(&inf->loop->srv->pending_records, 1);
        metric_add(d->st == BRIDGE_ACCEPTED ? d->metrics->published : d->metrics->failed, 1);
        if (d->st != BRIDGE_ACCEPTED)
            inf->outcome = d->st;
        if (inf->pending == 0)
            inflight_answer(inf, inf->outcome);
        inflight_free_if_done(inf);
    }
}

void http_server_delivery(void *opaque, enum bridge_status st)
{
    struct delivery *d = opaque;
    d->st = st;
    h2o_multithread_send_message(&d->inf->loop->deliveries, &d->super);
}

static h2o_timeout_t *ack_timeout_of(struct loop *loop, uint64_t ms)
{
    struct ack_timeout *t;
    for (t = loop->timeouts; t != NULL; t = t->next)
        if (t->ms == ms)
            return &t->timeout;
    if ((t = calloc(1, sizeof(*t))) == NULL)
        return NULL;
    t->ms = ms;
    h2o_timeout_init(loop->ctx.loop, &t->timeout, ms);
    t->next = loop->timeouts;
    loop->timeouts = t;
    return &t->timeout;
}

/* ---- the request path ---- */

static struct request_view view_of(h2o_req_t *req, struct header_view *hv)
{
    struct request_view v = {
        .path = bytes_of(req->path_normalized.base, req->path_normalized.len),
        .body = bytes_of(req->entity.base, req->entity.len),
        .headers = hv,
        .nheaders = req->headers.size,
    };
    for (size_t i = 0; i != req->headers.size; ++i) {
        const h2o_header_t *h = &req->headers.entries[i];
        hv[i] = (struct header_view){bytes_of(h->name->base, h->name->len),
                                     bytes_of(h->value.base, h->value.len)};
    }
    return v;
}

/* The peer's address as 16 bytes; false when unknown. */
static bool peer_of(h2o_req_t *req, uint8_t out[16])
{
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    return http_address16(&ss, sl, out);
}

char *http_path_normalize(const char *path, size_t len, size_t *out_len)
{
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    size_t query_at, *norm_indexes = NULL;
    /* what h2o does to every request's path before a handler runs */
    h2o_iovec_t norm = h2o_url_normalize_path(&pool, path, len, &query_at, &norm_indexes);
    char *copy = malloc(norm.len + 1);
    if (copy != NULL) {
        memcpy(copy, norm.base, norm.len);
        copy[norm.len] = '\0';
        *out_len = norm.len;
    }
    h2o_mem_clear_pool(&pool);
    return copy;
}

/* Answers at once (no Kafka involved). */
static int answer_now(struct loop *loop, h2o_req_t *req, const struct source_rt *src,
                      enum bridge_status st, struct outcome *o)
{
    account(loop->srv, loop->rt, src, st, o);
    answer(req, src, st, o->id, o->id_len);
    return 0;
}

static int publish(struct loop *loop, h2o_req_t *req, const struct source_rt *src,
                   const struct event *ev, const struct envelope *env, const char *const *topics,
                   const struct topic_metrics *metrics, size_t ntopics,
                   enum bridge_status success, struct outcome *o)
{
    struct http_server *srv = loop->srv;
    o->topics = topics;
    o->ntopics = ntopics;
    if (!srv->pub->ops->ready(srv->pub)) /* no broker: say so now, not after ack_timeout_ms */
        return answer_now(loop, req, src, BRIDGE_KAFKA_ERROR, o);
    if (atomic_fetch_add(&srv->inflight, 1) >= srv->opts.max_inflight) {
        atomic_fetch_sub(&srv->inflight, 1);
        return answer_now(loop, req, src, BRIDGE_OVERLOADED, o);
    }
    struct inflight *inf = calloc(1, sizeof(*inf) + ntopics * sizeof(struct delivery));
    if (inf == NULL) {
        atomic_fetch_sub(&srv->inflight, 1);
        return answer_now(loop, req, src, BRIDGE_INTERNAL, o);
    }
    inf->loop = loop;
    inf->request_id = o->request_id;
    inf->detail = o->detail;
    inf->topics = topics;
    inf->ntopics = ntopics;
    inf->has_client = o->has_client;
    memcpy(inf->client, o->client, sizeof(inf->client));
    inf->type_len = o->type_len < sizeof(inf->type) ? o->type_len : sizeof(inf->type);
    if (inf->type_len != 0)
        memcpy(inf->type, o->type, inf->type_len);
    inf->rt = runtime_retain(loop->rt);
    inf->src = src;
    inf->req = req;
    inf->start_ns = o->start_ns;
    inf->outcome = success;
    inf->timeout.cb = on_ack_timeout;
    inf->id_len = ev->id.len < sizeof(inf->id) ? ev->id.len : sizeof(inf->id);
    memcpy(inf->id, ev->id.base, inf->id_len);
    inf->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*inf->guard), on_request_disposed);
    inf->guard->inf = inf;

    enum bridge_status refused = BRIDGE_ACCEPTED;
    for (size_t i = 0; i != ntopics; ++i) {
        struct delivery *d = &inf->records[inf->nrecords];
        d->inf = inf;
        d->topic = topics[i];
        d->metrics = &metrics[i];
        enum bridge_status st = srv->pub->ops->send(srv->pub, topics[i], env, d);
        if (st != BRIDGE_ACCEPTED) {
            metric_add(metrics[i].failed, 1);
            refused = st;
            break;
        }
        ++inf->nrecords;
        ++inf->pending;
        atomic_fetch_add(&srv->pending_records, 1);
    }
    if (refused != BRIDGE_ACCEPTED || src->conf->ack == ACK_ENQUEUE) {
        /* enqueue mode answers now; a refusal answers 503 now, and records already queued
         * still report back to this inflight before it is freed */
        inflight_answer(inf, refused != BRIDGE_ACCEPTED ? refused : success);
        inflight_free_if_done(inf);
        return 0;
    }
    h2o_timeout_t *t = ack_timeout_of(loop, src->conf->ack_timeout_ms);
    if (t != NULL)
        h2o_timeout_link(loop->ctx.loop, t, &inf->timeout);
    return 0;
}

static bool header_is(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && h2o_lcstris(name, len, want, len);
}

/* RFC 9112 section 6.3: a request with two different Content-Length values, or with both
 * Content-Length and Transfer-Encoding, has no trustworthy end, and a proxy in front may have
 * seen a different body than the bridge does (request smuggling). h2o 2.2.5 takes the first
 * length (or the chunked encoding), drops those headers from the request and keeps the
 * connection, so the bridge reads the head itself: it is still at the start of the socket's
 * input, before the body, while the handler runs. */
static bool framing_ambiguous(h2o_req_t *req)
{
    if (req->version >= 0x200 || req->entity.base == NULL ||
        req->conn->callbacks->get_socket == NULL)
        return false;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL || sock->input == NULL)
        return false;
    const char *p = sock->input->bytes, *end = req->entity.base;
    if (end < p || end > p + sock->input->size)
        return false; /* the body is not where HTTP/1 leaves it: nothing to read */
    const char *length = NULL;
    size_t length_len = 0, nlength = 0;
    bool chunked = false, differ = false;
    for (bool first = true; p < end; first = false) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line = p, *le = eol != NULL ? eol : end;
        p = le + 1;
        if (le > line && le[-1] == '\r')
            --le;
        if (first || le == line || *line == ' ' || *line == '\t')
            continue; /* the request line, the end of the head, a folded line */
        const char *colon = memchr(line, ':', (size_t)(le - line));
        if (colon == NULL)
            continue;
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            ++v;
        while (le > v && (le[-1] == ' ' || le[-1] == '\t'))
            --le;
        size_t nlen = (size_t)(colon - line), vlen = (size_t)(le - v);
        if (header_is(line, nlen, "transfer-encoding")) {
            chunked = true;
        } else if (header_is(line, nlen, "content-length")) {
            if (nlength++ != 0 && (vlen != length_len || memcmp(v, length, vlen) != 0))
                differ = true;
            length = v;
            length_len = vlen;
        }
    }
    return differ || (chunked && nlength != 0);
}

int webhook_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    struct loop *loop = loop_of(req->conn->ctx);
    struct http_server *srv = loop->srv;
    struct outcome o = {
        .request_id = atomic_fetch_add_explicit(&srv->next_request_id, 1, memory_order_relaxed),
        .start_ns = monotonic_ns(),
        .path = bytes_of(req->path_normalized.base, req->path_normalized.len),
    };
    o.has_client = peer_of(req, o.client);
    const struct source_rt *src;
    enum bridge_status admitted =
        decide_admit(loop->rt, o.path, bytes_of(req->method.base, req->method.len),
                     req->entity.len, srv->opts.max_body_bytes, &src);

    if (framing_ambiguous(req)) {
        req->http1_is_persistent = 0; /* what follows on this connection cannot be trusted */
        o.detail = "ambiguous_framing";
        return answer_now(loop, req, src, BRIDGE_BAD_REQUEST, &o);
    }
    if (admitted == BRIDGE_NOT_FOUND)
        metric_add(srv->unknown_path, 1);
    if (admitted != BRIDGE_ACCEPTED)
        return answer_now(loop, req, src, admitted, &o);
    if (atomic_load(&srv->closing))
        return answer_now(loop, req, src, BRIDGE_SHUTTING_DOWN, &o);

    struct header_view *hv =
        h2o_mem_alloc_pool(&req->pool, sizeof(*hv) * (req->headers.size + 1));
    struct request_view rv = view_of(req, hv);
    memcpy(rv.peer, o.client, sizeof(rv.peer));
    rv.has_peer = o.has_client;
    if (req->entity.base == NULL)
        rv.body = bytes_of("", 0);
    /* behind a trusted proxy, the client is the one X-Forwarded-For names */
    uint8_t client[16];
    if (verifier_client_address(src->verifier, &rv, client) == 0)
        memcpy(o.client, client, sizeof(client));

    struct decision d;
    decide(src, &rv, wall_ms(), o.start_ns, &d);
    o.id = d.ev.id.base;
    o.id_len = d.ev.id.len;
    o.type = d.ev.type.base;
    o.type_len = d.ev.type.len;
    o.detail = d.reason;
    if (d.status == BRIDGE_UNAUTHORIZED)
        metric_add(src->verify_failures[d.verify], 1);
    if (d.ev.time_invalid) {
        /* counted always; the line shares the refused-request budget (anyone can send it) */
        metric_add(src->time_invalid, 1);
        if (log_budget_take(&srv->refusals))
            log_warn("event time is not a time; the receive time is used",
                     LOG_I("request_id", o.request_id), LOG_S("source", src->conf->name),
                     LOG_B("event_id", o.id, o.id_len));
    }
    if (bridge_status_ok(d.status))
        publish(loop, req, src, &d.ev, &d.env, d.topics, d.metrics, d.ntopics, d.status, &o);
    else
        answer_now(loop, req, src, d.status, &o);
    decision_release(&d);
    return 0;
}
