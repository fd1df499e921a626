/*
 * Internals shared by the HTTP layer's files: the server, its loops, and the in-flight
 * request that waits for Kafka. Not for use outside bridge/http/.
 */
#ifndef BRIDGE_HTTP_INTERNAL_H
#define BRIDGE_HTTP_INTERNAL_H

#include <h2o.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "core/addrcount.h"
#include "core/log.h"
#include "http/server.h"

/* How far above max_body_bytes h2o still reads a body and hands it to the bridge, which then
 * answers 413 body_too_large itself (server.c, webhook.c). */
#define HTTP_BODY_SLACK (64u * 1024)

/* One h2o timeout list per distinct ack_timeout_ms in use on a loop. */
struct ack_timeout {
    struct ack_timeout *next;
    uint64_t ms;
    h2o_timeout_t timeout;
};

struct loop {
    struct http_server *srv;
    unsigned index;
    pthread_t thread;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_receiver_t deliveries; /* delivery reports from the producer thread */
    h2o_multithread_receiver_t control;    /* runtime swaps, close listeners, stop */
    struct runtime *rt;                    /* current runtime: one reference */
    struct ack_timeout *timeouts;
    h2o_timeout_entry_t accept_pause; /* accept failed for want of descriptors: retry later */
    int accept_fd;                    /* the loop's dup of the listening socket */
    atomic_uint open;                 /* connections it serves, and ones handed to it */
    atomic_bool adopting;             /* set up: other loops may hand it connections */
    struct metric *open_gauge;        /* webhook_bridge_http_connections{loop} */
    bool stop;
    /* set up by the loop's own thread (see init_loop) */
    h2o_globalconf_t *gc;
    int listen_fd;
    bool started;
    int init_status;
    struct conf_error init_error;
};

struct http_server {
    struct http_options opts;
    struct publisher *pub; /* borrowed: outlives the server */
    h2o_globalconf_t globalconf;
    h2o_globalconf_t admin_globalconf;
    SSL_CTX *ssl_ctx;
    int listen_fd;
    int admin_fd;
    int port, admin_port;
    struct loop *loops;
    unsigned nloops;
    struct loop admin;
    sem_t started; /* posted by each loop thread once it is set up */
    struct http_server *retired_next;
    atomic_uint inflight;
    atomic_uint pending_records;
    atomic_bool draining; /* readiness false; requests still served */
    atomic_bool closing;  /* listeners closed: requests on open connections get 503 */
    atomic_uint connections;
    atomic_uint admin_connections;
    atomic_ullong next_request_id;
    struct addrcount *per_address; /* open ingest connections by client address */
    struct log_budget refusals;    /* lines about refused requests */
    struct metric *rejected_max, *rejected_per_address, *rejected_admin;
    struct metric *accept_errors;
    struct metric *unknown_path; /* requests to a path no source serves */
};

/* What an accepted connection remembers until it closes (sock->on_close.data). */
struct conn_slot {
    struct http_server *srv;
    struct loop *loop;
    bool ingest;
    bool per_address; /* counted in srv->per_address under addr */
    uint8_t addr[16];
};

/* A control message to a loop. */
enum control_kind {
    CONTROL_SWAP_RUNTIME,
    CONTROL_SWAP_TLS,
    CONTROL_CLOSE_LISTENER,
    CONTROL_STOP,
    CONTROL_ADOPT /* serve a connection another loop accepted */
};
struct control_msg {
    h2o_multithread_message_t super;
    enum control_kind kind;
    struct runtime *rt;
    SSL_CTX *ssl_ctx; /* CONTROL_SWAP_TLS: one reference, the loop's from then on */
    int fd;           /* CONTROL_ADOPT: the accepted socket, the loop's from then on */
};

/* webhook.c */
int webhook_on_req(h2o_handler_t *self, h2o_req_t *req);
void webhook_on_deliveries(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/* admin.c */
int admin_on_req(h2o_handler_t *self, h2o_req_t *req);

/* server.c: a socket address as 16 bytes (IPv4 as ::ffff:a.b.c.d, the form of
 * core/netaddr.h); false for a length of 0 or another family. */
bool http_address16(const struct sockaddr_storage *ss, socklen_t len, uint8_t out[16]);

/* server.c: the loop owning an h2o context */
struct loop *loop_of(h2o_context_t *ctx);

/* Sends a complete response whose body is already in the request's pool (not copied). */
void http_respond_pooled(h2o_req_t *req, int status, const char *reason,
                         const char *content_type, char *body, size_t len);

/* Sends a complete response with a fixed body; sets content-length so keep-alive survives. */
void http_respond(h2o_req_t *req, int status, const char *reason, const char *content_type,
                  const char *body, size_t len);

#endif
