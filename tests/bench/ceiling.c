/*
 * Benchmark ceiling: plain h2o (libh2o-evloop) answering every request with a constant
 * 200 JSON body, no work at all. Same listener layout as the bridge (bridge/http/server.c):
 * the address is bound once and every loop thread watches a dup of that socket, so the kernel
 * hands each connection to whichever loop accepts first. content_length is set, so h2o 2.2.5
 * keeps the connection alive. The request body is buffered by h2o (as in the bridge) and
 * ignored.
 *
 *   bench_ceiling PORT [THREADS]      listens on 127.0.0.1:PORT with THREADS loops (default 1)
 *
 * Runs until SIGTERM/SIGINT. Not a test: tests/bench/run.sh starts it next to the bridge.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#define BODY "{\"status\":\"accepted\"}\n"

struct loop {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    pthread_t thread;
};

static h2o_globalconf_t globalconf;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    req->res.content_length = sizeof(BODY) - 1; /* keep-alive in h2o 2.2.5 */
    h2o_send_inline(req, H2O_STRLIT(BODY));
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    struct loop *loop = listener->data;
    h2o_socket_t *sock;
    for (int i = 0; i < 16 && (sock = h2o_evloop_socket_accept(listener)) != NULL; ++i)
        h2o_accept(&loop->accept_ctx, sock);
}

static void *loop_main(void *arg)
{
    struct loop *loop = arg;
    for (;;)
        h2o_evloop_run(loop->ctx.loop, INT32_MAX);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    int nthreads = argc > 2 ? atoi(argv[2]) : 1;
    if (port <= 0 || port > 65535 || nthreads < 1 || nthreads > 256) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    h2o_config_init(&globalconf);
    globalconf.max_request_entity_size = 1024 * 1024; /* as the bridge's default max_body_bytes */
    h2o_hostconf_t *host =
        h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(path, sizeof(*h));
    h->on_req = on_req;

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, SOMAXCONN) != 0) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));

    struct loop *loops = calloc((size_t)nthreads, sizeof(*loops));
    if (loops == NULL)
        return 1;
    for (int i = 0; i < nthreads; ++i) {
        struct loop *loop = &loops[i];
        h2o_context_init(&loop->ctx, h2o_evloop_create(), &globalconf);
        loop->accept_ctx.ctx = &loop->ctx;
        loop->accept_ctx.hosts = globalconf.hosts;
        int lfd = i == 0 ? fd : dup(fd);
        if (lfd < 0) {
            perror("dup");
            return 1;
        }
        loop->listener = h2o_evloop_socket_create(loop->ctx.loop, lfd, H2O_SOCKET_FLAG_DONT_READ);
        loop->listener->data = loop;
        h2o_socket_read_start(loop->listener, on_accept);
    }
    fprintf(stderr, "bench_ceiling listening on 127.0.0.1:%d, %d loop(s)\n", port, nthreads);
    for (int i = 1; i < nthreads; ++i)
        pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]);
    loop_main(&loops[0]);
    return 0;
}
