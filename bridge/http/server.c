/*
 * Listeners and event loops. The ingest address is bound once; every loop thread gets its own
 * h2o context and evloop watching a dup of that one listening socket, and the kernel hands each
 * new connection to whichever loop accepts first. A connection stays on its loop for life, and
 * so do its requests and their delivery reports. Rejected: SO_REUSEPORT sockets per loop (better
 * spread, but a stale process on the same port would silently take a share of the traffic).
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
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "http/internal.h"

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
    struct http_server *srv = data;
    atomic_fetch_sub(&srv->connections, 1);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    struct loop *loop = listener->data;
    struct http_server *srv = loop->srv;
    h2o_socket_t *sock;
    /* accept a batch per wakeup; the socket is non-blocking */
    for (int i = 0; i < 16 && (sock = h2o_evloop_socket_accept(listener)) != NULL; ++i) {
        if (loop->index < srv->nloops &&
            atomic_fetch_add(&srv->connections, 1) >= srv->opts.max_connections) {
            /* over the limit: close at once rather than let the backlog grow unseen */
            atomic_fetch_sub(&srv->connections, 1);
            metric_add(srv->connections_rejected, 1);
            h2o_socket_close(sock);
            continue;
        }
        if (loop->index < srv->nloops) {
            sock->on_close.cb = on_connection_closed;
            sock->on_close.data = srv;
        }
        h2o_accept(&loop->accept_ctx, sock);
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
        case CONTROL_CLOSE_LISTENER:
            close_listener(loop);
            break;
        case CONTROL_STOP:
            loop->stop = true;
            break;
        }
        free(m);
    }
}

static void send_control(struct loop *loop, enum control_kind kind, struct runtime *rt)
{
    struct control_msg *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        log_error("out of memory sending a control message", LOG_I("loop", loop->index));
        return;
    }
    m->kind = kind;
    m->rt = rt;
    h2o_multithread_send_message(&loop->control, &m->super);
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
    loop->accept_ctx.ssl_ctx = gc == &srv->globalconf ? srv->ssl_ctx : NULL;
    h2o_multithread_register_receiver(loop->ctx.queue, &loop->deliveries, webhook_on_deliveries);
    h2o_multithread_register_receiver(loop->ctx.queue, &loop->control, on_control);
    int lfd = dup(fd);
    if (lfd < 0) {
        conf_errorf(err, "listen", NULL, NULL, "dup: %s", strerror(errno));
        return -1;
    }
    loop->listener = h2o_evloop_socket_create(loop->ctx.loop, lfd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
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

static int setup_tls(struct http_server *srv, struct conf_error *err)
{
    if (srv->opts.tls_cert_file == NULL)
        return 0;
    srv->ssl_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(srv->ssl_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(srv->ssl_ctx, srv->opts.tls_cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(srv->ssl_ctx, srv->opts.tls_key_file, SSL_FILETYPE_PEM) != 1) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        conf_errorf(err, "tls", NULL, NULL, "cannot load certificate or key: %s", buf);
        return -1;
    }
    h2o_ssl_register_alpn_protocols(srv->ssl_ctx, h2o_http2_alpn_protocols);
    return 0;
}

static void stop_loop(struct loop *loop);

/* Stopped servers stay here, reachable, until the process exits: h2o 2.2.5 cannot dispose a
 * context that still has connections (idle keep-alive ones are normal at shutdown), and the
 * process exits right after. Keeping them reachable keeps LeakSanitizer's report about real
 * leaks. */
static struct http_server *retired;

struct http_server *http_server_start(const struct http_options *opts, struct runtime *rt,
                                      struct http_publisher pub, struct conf_error *err)
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
    atomic_init(&srv->next_request_id, 1);
    srv->connections_rejected = metrics_series(
        metrics_family("http_connections_rejected_total",
                       "Connections closed at once because max_connections was reached.",
                       METRIC_COUNTER, NULL, NULL, 0),
        NULL);

    h2o_config_init(&srv->globalconf);
    srv->globalconf.max_request_entity_size = opts->max_body_bytes;
    srv->globalconf.http1.req_timeout = opts->idle_timeout_ms;
    srv->globalconf.http2.idle_timeout = opts->idle_timeout_ms;
    srv->globalconf.handshake_timeout = opts->idle_timeout_ms;
    register_handler(&srv->globalconf, webhook_on_req);
    h2o_config_init(&srv->admin_globalconf);
    srv->admin_globalconf.max_request_entity_size = 4096;
    register_handler(&srv->admin_globalconf, admin_on_req);

    if (setup_tls(srv, err) != 0)
        goto fail;
    if ((srv->listen_fd = bind_listener(opts->listen, "listen", &srv->port, err)) < 0 ||
        (srv->admin_fd = bind_listener(opts->admin_listen, "admin_listen", &srv->admin_port, err)) < 0)
        goto fail;

    srv->nloops = opts->threads;
    if ((srv->loops = calloc(srv->nloops, sizeof(*srv->loops))) == NULL) {
        conf_errorf(err, "http", NULL, NULL, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i != srv->nloops; ++i)
        if (start_loop(srv, &srv->loops[i], i, &srv->globalconf, srv->listen_fd, rt, err) != 0)
            goto fail;
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

unsigned http_server_connections(const struct http_server *srv)
{
    return atomic_load(&((struct http_server *)srv)->connections);
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

int http_server_admin_port(const struct http_server *srv)
{
    return srv->admin_port;
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
