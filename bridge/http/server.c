/*
 * Listeners and event loops. The ingest address is bound once; every loop thread gets its own
 * h2o context and evloop watching a dup of that one listening socket. Whichever loop accepts a
 * connection first gives it to the loop serving the fewest (itself on a tie), as a descriptor
 * the other loop makes its h2o socket from: a burst of connections (256 at once from a load
 * balancer or a benchmark) would otherwise land mostly on the loop that woke first, and its
 * CPU would bound the bridge while the other loops idle. A connection stays on its loop for
 * life, and so do its requests and their delivery reports. Rejected: SO_REUSEPORT sockets per
 * loop (the kernel spreads by address hash, but a stale process on the same port would silently
 * take a share of the traffic).
 * The admin listener has a loop and context of its own, so /healthz answers even when every
 * ingest loop is busy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "http/internal.h"
#include "pipeline/cidr.h"

struct loop *loop_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(struct loop, ctx, ctx);
}

/* "host:port", "[v6]:port" or ":port" -> a bound, listening socket. */
static int bind_listener(const char *addr, const char *what, int *port_out, struct conf_error *err)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host)) {
        conf_errorf(err, what, NULL, NULL, "bad address \"%s\" (expected host:port)", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res = NULL;
    int gai = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (gai != 0) {
        conf_errorf(err, what, NULL, NULL, "cannot resolve \"%s\": %s", addr, gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        conf_errorf(err, what, NULL, NULL, "cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                              : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static void on_connection_closed(void *data)
{
    struct conn_slot *c = data;
    struct http_server *srv = c->srv;
    if (c->per_address)
        addrcount_put(srv->per_address, c->addr);
    atomic_fetch_sub(c->ingest ? &srv->connections : &srv->admin_connections, 1);
    if (c->loop != NULL) {
        atomic_fetch_sub(&c->loop->open, 1);
        metric_add(c->loop->open_gauge, -1);
    }
    free(c);
}

bool http_address16(const struct sockaddr_storage *ss, socklen_t len, uint8_t out[16])
{
    if (len != 0 && ss->ss_family == AF_INET) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(out, mapped, 12);
        memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
        return true;
    }
    if (len != 0 && ss->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
        return true;
    }
    return false;
}

/* The peer of sock as 16 bytes; false when it has none. */
static bool peer_of(h2o_socket_t *sock, uint8_t out[16])
{
    struct sockaddr_storage ss;
    return http_address16(&ss, h2o_socket_getpeername(sock, (struct sockaddr *)&ss), out);
}

/* Counts a new connection against the listener's limits; false (counted nowhere, and the
 * refusal in metrics) when it is over one. Over-limit connections are closed at once rather
 * than left in the backlog, where they would wait unseen. */
static bool admit(struct loop *loop, h2o_socket_t *sock)
{
    struct http_server *srv = loop->srv;
    bool ingest = loop->index < srv->nloops;
    atomic_uint *open = ingest ? &srv->connections : &srv->admin_connections;
    unsigned max = ingest ? srv->opts.max_connections : srv->opts.admin_max_connections;
    struct conn_slot *c = NULL;
    if (atomic_fetch_add(open, 1) >= max) {
        metric_add(ingest ? srv->rejected_max : srv->rejected_admin, 1);
        goto refuse;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        goto refuse;
    c->srv = srv;
    c->ingest = ingest;
    const struct bridge_config *cfg = loop->rt->cfg;
    if (ingest && cfg->max_connections_per_address != 0 && peer_of(sock, c->addr) &&
        !cidr_list_contains(cfg->trusted_proxies, cfg->ntrusted_proxies, c->addr)) {
        if (!addrcount_take(srv->per_address, c->addr, cfg->max_connections_per_address)) {
            metric_add(srv->rejected_per_address, 1);
            goto refuse;
        }
        c->per_address = true;
    }
    sock->on_close.cb = on_connection_closed;
    sock->on_close.data = c;
    return true;
refuse:
    free(c);
    atomic_fetch_sub(open, 1);
    return false;
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_accept_resume(h2o_timeout_entry_t *entry)
{
    struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, accept_pause, entry);
    if (loop->listener != NULL)
        h2o_socket_read_start(loop->listener, on_accept);
}

/* accept() failed for want of a resource (descriptors, memory): the connection stays in the
 * backlog and the listener stays readable, so retrying at once would spin the loop at a full
 * core. Pause this listener for 100 ms instead; other loops and open connections go on. */
static void pause_accept(struct loop *loop, int e)
{
    metric_add(loop->srv->accept_errors, 1);
    if (log_budget_take(&loop->srv->refusals))
        log_error("accept failed; pausing this listener for 100 ms", LOG_S("error", strerror(e)),
                  LOG_I("loop", loop->index));
    h2o_socket_read_stop(loop->listener);
    h2o_timeout_link(loop->ctx.loop, &loop->ctx.hundred_ms_timeout, &loop->accept_pause);
}

/* Serves connection sock on this loop, if the limits admit it. */
static void serve(struct loop *loop, h2o_socket_t *sock)
{
    if (!admit(loop, sock)) {
        h2o_socket_close(sock);
        return;
    }
    h2o_accept(&loop->accept_ctx, sock);
}

/* An ingest connection accepted for `loop` (by it or by another loop, which counted it in
 * loop->open already): its h2o socket is made here, on the loop's own thread. */
static void adopt(struct loop *loop, int fd)
{
    h2o_socket_t *sock =
        h2o_evloop_socket_create(loop->ctx.loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
    if (!admit(loop, sock)) {
        atomic_fetch_sub(&loop->open, 1);
        h2o_socket_close(sock);
        return;
    }
    struct conn_slot *c = sock->on_close.data;
    c->loop = loop;
    metric_add(loop->open_gauge, 1);
    h2o_accept(&loop->accept_ctx, sock);
}

/* The ingest loop serving the fewest connections; `self` on a tie (no hand-off). */
static struct loop *least_loaded(struct loop *self)
{
    struct http_server *srv = self->srv;
    struct loop *best = self;
    unsigned fewest = atomic_load(&self->open);
    for (unsigned i = 0; i != srv->nloops; ++i) {
        unsigned n = atomic_load(&srv->loops[i].open);
        if (n < fewest && atomic_load(&srv->loops[i].adopting)) {
            fewest = n;
            best = &srv->loops[i];
        }
    }
    return best;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    struct loop *loop = listener->data;
    bool ingest = loop->index < loop->srv->nloops;
    /* accept a batch per wakeup; the socket is non-blocking */
    for (int i = 0; i < 16; ++i) {
        h2o_socket_t *sock = NULL;
        int fd = -1, on = 1;
        if (ingest)
            fd = accept4(loop->accept_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        else
            sock = h2o_evloop_socket_accept(listener);
        if (fd < 0 && sock == NULL) {
            int e = errno;
            if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
                pause_accept(loop, e);
            return;
        }
        if (!ingest) {
            serve(loop, sock);
            continue;
        }
        /* what h2o_evloop_socket_accept would have set: answers leave without Nagle's delay */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        struct loop *to = least_loaded(loop);
        struct control_msg *m = to == loop ? NULL : calloc(1, sizeof(*m));
        if (m == NULL)
            to = loop; /* the least loaded, or no memory to hand it over */
        atomic_fetch_add(&to->open, 1);
        if (m == NULL) {
            adopt(loop, fd);
            continue;
        }
        m->kind = CONTROL_ADOPT;
        m->fd = fd;
        h2o_multithread_send_message(&to->control, &m->super);
    }
}

static void close_listener(struct loop *loop)
{
    if (loop->listener == NULL)
        return;
    h2o_socket_read_stop(loop->listener);
    h2o_socket_close(loop->listener);
    loop->listener = NULL;
}

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, control, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        struct control_msg *m = H2O_STRUCT_FROM_MEMBER(struct control_msg, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        switch (m->kind) {
        case CONTROL_SWAP_RUNTIME:
            runtime_release(loop->rt);
            loop->rt = m->rt;
            break;
        case CONTROL_SWAP_TLS:
            /* an SSL of a connection already open holds its own reference to the old one */
            SSL_CTX_free(loop->accept_ctx.ssl_ctx);
            loop->accept_ctx.ssl_ctx = m->ssl_ctx;
            break;
        case CONTROL_CLOSE_LISTENER:
            close_listener(loop);
            break;
        case CONTROL_STOP:
            atomic_store(&loop->adopting, false);
            loop->stop = true;
            break;
        case CONTROL_ADOPT:
            adopt(loop, m->fd);
            break;
        }
        free(m);
    }
}

static void send_control_msg(struct loop *loop, enum control_kind kind, struct runtime *rt,
                             SSL_CTX *ssl_ctx)
{
    struct control_msg *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        log_error("out of memory sending a control message", LOG_I("loop", loop->index));
        runtime_release(rt);
        if (ssl_ctx != NULL)
            SSL_CTX_free(ssl_ctx);
        return;
    }
    m->kind = kind;
    m->rt = rt;
    m->ssl_ctx = ssl_ctx;
    h2o_multithread_send_message(&loop->control, &m->super);
}

static void send_control(struct loop *loop, enum control_kind kind, struct runtime *rt)
{
    send_control_msg(loop, kind, rt, NULL);
}

/* Sets up the loop's h2o state. Runs on the loop's own thread: h2o 2.2.5 keeps socket buffer
 * recycling in thread-local storage, so a socket created on one thread and read on another
 * corrupts the creating thread's free list. */
static int init_loop(struct loop *loop, struct conf_error *err)
{
    struct http_server *srv = loop->srv;
    h2o_globalconf_t *gc = loop->gc;
    int fd = loop->listen_fd;
    h2o_context_init(&loop->ctx, h2o_evloop_create(), gc);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = gc->hosts;
    loop->accept_ctx.ssl_ctx = NULL;
    if (gc == &srv->globalconf && srv->ssl_ctx != NULL) { /* the loop's own reference */
        SSL_CTX_up_ref(srv->ssl_ctx);
        loop->accept_ctx.ssl_ctx = srv->ssl_ctx;
    }
    loop->accept_pause.cb = on_accept_resume;
    h2o_multithread_register_receiver(loop->ctx.queue, &loop->deliveries, webhook_on_deliveries);
    h2o_multithread_register_receiver(loop->ctx.queue, &loop->control, on_control);
    int lfd = dup(fd);
    if (lfd < 0) {
        conf_errorf(err, "listen", NULL, NULL, "dup: %s", strerror(errno));
        return -1;
    }
    loop->accept_fd = lfd;
    loop->listener = h2o_evloop_socket_create(loop->ctx.loop, lfd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
    atomic_store(&loop->adopting, true);
    h2o_socket_read_start(loop->listener, on_accept);
    return 0;
}

static void *loop_main(void *arg)
{
    struct loop *loop = arg;
    char name[16]; /* what `top -H` and `ps -L` show; the kernel keeps 15 characters */
    if (loop->index < loop->srv->nloops)
        snprintf(name, sizeof(name), "http-%u", loop->index);
    else
        snprintf(name, sizeof(name), "admin");
    pthread_setname_np(pthread_self(), name);
    loop->init_status = init_loop(loop, &loop->init_error);
    sem_post(&loop->srv->started);
    if (loop->init_status != 0)
        return NULL;
    while (!loop->stop)
        h2o_evloop_run(loop->ctx.loop, 1000);
    return NULL;
}

/* Starts the loop's thread and waits until it has set itself up. */
static int start_loop(struct http_server *srv, struct loop *loop, unsigned index,
                      h2o_globalconf_t *gc, int fd, struct runtime *rt, struct conf_error *err)
{
    loop->srv = srv;
    loop->index = index;
    loop->gc = gc;
    loop->listen_fd = fd;
    loop->rt = runtime_retain(rt);
    if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0) {
        runtime_release(loop->rt);
        loop->rt = NULL;
        return conf_errorf(err, "http", NULL, NULL, "cannot start a thread");
    }
    loop->started = true;
    sem_wait(&srv->started);
    if (loop->init_status != 0) {
        *err = loop->init_error;
        return -1;
    }
    return 0;
}

static void register_handler(h2o_globalconf_t *gc, int (*on_req)(h2o_handler_t *, h2o_req_t *))
{
    h2o_hostconf_t *host = h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(path, sizeof(*h));
    h->on_req = on_req;
}

/* ALPN without h2: a client that offers only h2 gets no protocol and speaks HTTP/1.1. */
static const h2o_iovec_t http1_alpn_protocols[] = {{H2O_STRLIT("http/1.1")}, {NULL, 0}};

/* A server context for the certificate chain and key, checked to match; NULL with err naming
 * the file and OpenSSL's reason. */
static SSL_CTX *load_tls(const char *cert_file, const char *key_file, bool http2,
                         struct conf_error *err)
{
    char why[256];
    const char *file = cert_file;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        goto fail;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
        goto fail;
    file = key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
        goto fail;
    h2o_ssl_register_alpn_protocols(ctx, http2 ? h2o_http2_alpn_protocols : http1_alpn_protocols);
    return ctx;
fail:
    ERR_error_string_n(ERR_get_error(), why, sizeof(why));
    ERR_clear_error();
    conf_errorf(err, file, NULL, file == cert_file ? "tls.cert_file" : "tls.key_file",
                "cannot use this %s: %s", file == cert_file ? "certificate" : "private key", why);
    if (ctx != NULL)
        SSL_CTX_free(ctx);
    return NULL;
}

int http_tls_check(const char *cert_file, const char *key_file, struct conf_error *err)
{
    if (cert_file == NULL)
        return 0;
    SSL_CTX *ctx = load_tls(cert_file, key_file, false, err);
    if (ctx == NULL)
        return -1;
    SSL_CTX_free(ctx);
    return 0;
}

static int setup_tls(struct http_server *srv, struct conf_error *err)
{
    if (srv->opts.tls_cert_file == NULL)
        return 0;
    srv->ssl_ctx = load_tls(srv->opts.tls_cert_file, srv->opts.tls_key_file, srv->opts.http2, err);
    return srv->ssl_ctx != NULL ? 0 : -1;
}

int http_server_reload_tls(struct http_server *srv, const char *cert_file, const char *key_file,
                           struct conf_error *err)
{
    if ((cert_file != NULL) != (srv->ssl_ctx != NULL)) {
        log_warn("setting changed; it takes effect after a restart", LOG_S("key", "tls"));
        return 0;
    }
    if (cert_file == NULL)
        return 0;
    SSL_CTX *ctx = load_tls(cert_file, key_file, srv->opts.http2, err);
    if (ctx == NULL)
        return -1;
    for (unsigned i = 0; i != srv->nloops; ++i) {
        SSL_CTX_up_ref(ctx);
        send_control_msg(&srv->loops[i], CONTROL_SWAP_TLS, NULL, ctx);
    }
    SSL_CTX_free(srv->ssl_ctx);
    srv->ssl_ctx = ctx;
    log_info("tls certificate loaded", LOG_S("cert_file", cert_file));
    return 0;
}

void http_server_log_summary(struct http_server *srv)
{
    log_budget_report(&srv->refusals, "refused requests not logged (log_rate_limit)");
}

/* Every ingest and admin connection needs a descriptor, and so do Kafka's sockets, the
 * listeners and the config file: with fewer than that, accept() fails under load and the
 * loops spin (the liveness probe fails with them). Raise the soft limit where the hard one
 * allows, and refuse to start where it cannot fit. */
static int check_fd_limit(const struct http_options *o, struct conf_error *err)
{
    enum { RESERVE = 256 }; /* Kafka connections, listeners, pipes, files */
    rlim_t need = (rlim_t)o->max_connections + o->admin_max_connections + RESERVE;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return 0;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need) {
        log_info("raised the open-file limit to fit max_connections",
                 LOG_I("from", (long long)was), LOG_I("to", (long long)rl.rlim_cur));
        return 0;
    }
    return conf_errorf(err, "max_connections", NULL, NULL,
                       "max_connections (%u) + admin_max_connections (%u) + %d for Kafka and "
                       "files need %llu open files, but the limit is %llu (hard limit %llu): "
                       "raise it (ulimit -n, LimitNOFILE=, the container runtime's nofile) or "
                       "lower max_connections",
                       o->max_connections, o->admin_max_connections, RESERVE,
                       (unsigned long long)need, (unsigned long long)was,
                       (unsigned long long)rl.rlim_max);
}

static void stop_loop(struct loop *loop);

/* Stopped servers stay here, reachable, until the process exits: h2o 2.2.5 cannot dispose a
 * context that still has connections (idle keep-alive ones are normal at shutdown), and the
 * process exits right after. Keeping them reachable keeps LeakSanitizer's report about real
 * leaks. */
static struct http_server *retired;

struct http_server *http_server_start(const struct http_options *opts, struct runtime *rt,
                                      struct publisher *pub, struct conf_error *err)
{
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        conf_errorf(err, "http", NULL, NULL, "out of memory");
        return NULL;
    }
    srv->opts = *opts;
    srv->pub = pub;
    srv->listen_fd = srv->admin_fd = -1;
    sem_init(&srv->started, 0, 0);
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->pending_records, 0);
    atomic_init(&srv->draining, false);
    atomic_init(&srv->closing, false);
    atomic_init(&srv->connections, 0);
    atomic_init(&srv->admin_connections, 0);
    atomic_init(&srv->next_request_id, 1);
    log_budget_init(&srv->refusals, opts->log_rate_limit);
    static const char *const reason[] = {"reason", NULL};
    struct metric_family *rejected = metrics_family(
        "webhook_bridge_http_connections_rejected_total",
        "Connections closed at once: max_connections, max_connections_per_address or "
        "admin_max_connections was reached.",
        METRIC_COUNTER, reason, NULL, 0);
    srv->rejected_max = metrics_series(rejected, (const char *const[]){"max_connections"});
    srv->rejected_per_address =
        metrics_series(rejected, (const char *const[]){"max_connections_per_address"});
    srv->rejected_admin = metrics_series(rejected, (const char *const[]){"admin_max_connections"});
    srv->accept_errors = metrics_series(
        metrics_family("webhook_bridge_http_accept_errors_total",
                       "accept() failures for want of descriptors or memory (the listener "
                       "pauses 100 ms after each).",
                       METRIC_COUNTER, NULL, NULL, 0),
        NULL);
    srv->unknown_path = metrics_series(
        metrics_family("webhook_bridge_unknown_path_requests_total",
                       "Requests to a path no source serves, answered 404 (the path is logged, "
                       "within log_rate_limit, never a label).",
                       METRIC_COUNTER, NULL, NULL, 0),
        NULL);
    /* h2o's defaults serve HTTP/2 on every listener and name itself in a Server header */
    h2o_config_init(&srv->globalconf);
    srv->globalconf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    /* h2o 2.2.5 refuses a body over this limit itself (text/plain, connection closed) before
     * any handler runs, and a chunked one already at the limit (>=). A little above
     * max_body_bytes, the bridge answers the body that is just too large itself (its JSON, the
     * metric, the log line: webhook.c); one declared beyond the slack is still h2o's to refuse
     * before it is read, which is what keeps memory bounded. */
    srv->globalconf.max_request_entity_size = opts->max_body_bytes + HTTP_BODY_SLACK;
    srv->globalconf.http1.req_timeout = opts->idle_timeout_ms;
    srv->globalconf.http1.upgrade_to_http2 = opts->http2;
    srv->globalconf.http2.idle_timeout = opts->idle_timeout_ms;
    srv->globalconf.http2.max_concurrent_requests_per_connection = opts->http2_max_requests;
    srv->globalconf.handshake_timeout = opts->tls_handshake_timeout_ms;
    register_handler(&srv->globalconf, webhook_on_req);
    h2o_config_init(&srv->admin_globalconf);
    srv->admin_globalconf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    srv->admin_globalconf.max_request_entity_size = 4096;
    srv->admin_globalconf.http1.req_timeout = opts->idle_timeout_ms;
    srv->admin_globalconf.http1.upgrade_to_http2 = opts->admin_http2;
    srv->admin_globalconf.http2.idle_timeout = opts->idle_timeout_ms;
    srv->admin_globalconf.http2.max_concurrent_requests_per_connection = opts->http2_max_requests;
    register_handler(&srv->admin_globalconf, admin_on_req);

    if ((srv->per_address = addrcount_create(opts->max_connections)) == NULL) {
        conf_errorf(err, "http", NULL, NULL, "out of memory");
        goto fail;
    }
    if (check_fd_limit(opts, err) != 0 || setup_tls(srv, err) != 0)
        goto fail;
    if ((srv->listen_fd = bind_listener(opts->listen, "listen", &srv->port, err)) < 0 ||
        (srv->admin_fd = bind_listener(opts->admin_listen, "admin_listen", &srv->admin_port, err)) < 0)
        goto fail;

    srv->nloops = opts->threads;
    if ((srv->loops = calloc(srv->nloops, sizeof(*srv->loops))) == NULL) {
        conf_errorf(err, "http", NULL, NULL, "out of memory");
        goto fail;
    }
    struct metric_family *open = metrics_family(
        "webhook_bridge_http_connections",
        "Webhook connections open, per event loop (a new one goes to the loop with the fewest).",
        METRIC_GAUGE, (const char *const[]){"loop", NULL}, NULL, 0);
    for (unsigned i = 0; i != srv->nloops; ++i) {
        char index[16];
        snprintf(index, sizeof(index), "%u", i);
        srv->loops[i].open_gauge = metrics_series(open, (const char *const[]){index});
        if (start_loop(srv, &srv->loops[i], i, &srv->globalconf, srv->listen_fd, rt, err) != 0)
            goto fail;
    }
    if (start_loop(srv, &srv->admin, srv->nloops, &srv->admin_globalconf, srv->admin_fd, rt, err) != 0)
        goto fail;
    runtime_release(rt); /* the caller's reference is now the loops' */

    log_info("listening", LOG_S("addr", opts->listen), LOG_I("port", srv->port),
             LOG_I("threads", srv->nloops), LOG_S("tls", srv->ssl_ctx ? "on" : "off"));
    log_info("admin listening", LOG_S("addr", opts->admin_listen), LOG_I("port", srv->admin_port));
    return srv;
fail:;
    bool contexts = srv->admin.started; /* a loop that ran keeps its h2o context (see retired) */
    for (unsigned i = 0; srv->loops != NULL && i != srv->nloops; ++i) {
        contexts = contexts || srv->loops[i].started;
        stop_loop(&srv->loops[i]);
    }
    stop_loop(&srv->admin);
    runtime_release(rt);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->admin_fd >= 0)
        close(srv->admin_fd);
    if (contexts) {
        srv->retired_next = retired;
        retired = srv;
        return NULL;
    }
    h2o_config_dispose(&srv->globalconf);
    h2o_config_dispose(&srv->admin_globalconf);
    sem_destroy(&srv->started);
    free(srv->loops);
    if (srv->ssl_ctx != NULL)
        SSL_CTX_free(srv->ssl_ctx);
    addrcount_destroy(srv->per_address);
    log_budget_release(&srv->refusals);
    free(srv);
    return NULL;
}

void http_server_swap_runtime(struct http_server *srv, struct runtime *rt)
{
    for (unsigned i = 0; i != srv->nloops; ++i)
        send_control(&srv->loops[i], CONTROL_SWAP_RUNTIME, runtime_retain(rt));
    send_control(&srv->admin, CONTROL_SWAP_RUNTIME, runtime_retain(rt));
    runtime_release(rt);
}

void http_server_set_draining(struct http_server *srv)
{
    atomic_store(&srv->draining, true);
}

void http_server_close_listeners(struct http_server *srv)
{
    atomic_store(&srv->closing, true);
    for (unsigned i = 0; i != srv->nloops; ++i)
        send_control(&srv->loops[i], CONTROL_CLOSE_LISTENER, NULL);
    /* the socket stops listening only when its last descriptor closes: this one is the last
     * (or the loops' dups are) */
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
}

unsigned http_server_inflight(const struct http_server *srv)
{
    return atomic_load(&((struct http_server *)srv)->inflight);
}

unsigned http_server_pending_records(const struct http_server *srv)
{
    return atomic_load(&((struct http_server *)srv)->pending_records);
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

static void stop_loop(struct loop *loop)
{
    if (!loop->started)
        return;
    if (loop->init_status == 0)
        send_control(loop, CONTROL_STOP, NULL);
    pthread_join(loop->thread, NULL);
    loop->started = false;
    runtime_release(loop->rt);
    loop->rt = NULL;
}

void http_server_stop(struct http_server *srv)
{
    if (srv == NULL)
        return;
    for (unsigned i = 0; i != srv->nloops; ++i)
        stop_loop(&srv->loops[i]);
    stop_loop(&srv->admin);
    /* Every in-flight request was answered before this point: nothing of value is left in
     * the loops, only their connections and h2o state (see `retired`). */
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    close(srv->admin_fd);
    srv->retired_next = retired;
    retired = srv;
}
