/*
 * The HTTP front end: the only code that includes h2o.h. It runs the ingest listener on
 * `threads` event loops (one thread each) and the admin listener on a thread of its own.
 * It meets the Kafka layer only through pipeline/publish.h: it hands records to a struct
 * publisher (the producer) and receives their reports through http_server_delivery(), the
 * producer's publish_delivery_fn. Each request is answered by the loop that accepted it; no
 * loop ever blocks.
 */
#ifndef BRIDGE_HTTP_SERVER_H
#define BRIDGE_HTTP_SERVER_H

#include <stdbool.h>

#include "core/status.h"
#include "pipeline/envelope.h"
#include "pipeline/publish.h"
#include "pipeline/runtime.h"

struct http_options {
    const char *listen;       /* "host:port" */
    const char *admin_listen; /* "host:port" */
    unsigned threads;         /* >= 1 */
    size_t max_body_bytes;
    unsigned max_inflight;
    unsigned max_connections; /* beyond it new connections are closed at once */
    unsigned admin_max_connections;
    unsigned idle_timeout_ms;
    bool http2;                /* ingest listener: h2c / h2 by ALPN; off = HTTP/1.x only */
    bool admin_http2;
    unsigned http2_max_requests;
    unsigned log_rate_limit;   /* refused-request lines per second, 0 = all */
    const char *tls_cert_file; /* both NULL = plain HTTP */
    const char *tls_key_file;
    unsigned tls_handshake_timeout_ms;
};

struct http_server;

/* Binds both listeners (failing early with a message naming the address) and starts the loop
 * threads, serving runtime `rt` (the server takes one reference) and publishing through `pub`,
 * which must outlive the server. Returns NULL with err. */
struct http_server *http_server_start(const struct http_options *opts, struct runtime *rt,
                                      struct publisher *pub, struct conf_error *err);

/* The path a request for target `path` (len bytes, as sent) is routed by, as the webhook
 * handler sees it: h2o's normalization (percent-decoding, dot segments resolved), the query
 * removed. Returns a malloc'd NUL-terminated copy of *out_len bytes, or NULL out of memory.
 * For `webhook-bridge explain`; any thread. */
char *http_path_normalize(const char *path, size_t len, size_t *out_len);

/* Loads the certificate chain and key and checks that they match; 0, or -1 with err naming
 * the file. Both NULL (no TLS) is fine. For --check-config; any thread. */
int http_tls_check(const char *cert_file, const char *key_file, struct conf_error *err);

/* Reads the certificate and key again and has every loop serve them to new connections
 * (connections already open keep theirs). Turning TLS on or off needs a restart: then it
 * only warns. 0, or -1 with err when the files do not load; the old ones stay. Main thread. */
int http_server_reload_tls(struct http_server *srv, const char *cert_file, const char *key_file,
                           struct conf_error *err);

/* Writes one line saying how many refused-request lines the log budget left out since the
 * last call, if any. Any thread; the bridge calls it every few seconds. */
void http_server_log_summary(struct http_server *srv);

/* The publish_delivery_fn of every record the server sent (`opaque` is its own): carries the
 * report to the loop that owns the request. Any thread (the producer's poll thread). */
publish_delivery_fn http_server_delivery;

/* Makes `rt` the runtime for new requests on every loop (takes one reference); requests in
 * flight finish with the one they started with. Any thread. */
void http_server_swap_runtime(struct http_server *srv, struct runtime *rt);

/* Readiness: /readyz answers 503 once this is set false (draining). Any thread. */
void http_server_set_draining(struct http_server *srv);

/* Stops accepting on the ingest listener; requests still arriving on open connections get
 * 503 (shutting_down). Any thread. */
void http_server_close_listeners(struct http_server *srv);

/* Requests accepted and not yet answered, all loops. Any thread. */
unsigned http_server_inflight(const struct http_server *srv);

/* Records handed to Kafka whose reports have not come back yet. Any thread. */
unsigned http_server_pending_records(const struct http_server *srv);

/* The ingest port actually bound (useful with port 0). */
int http_server_port(const struct http_server *srv);

/* Stops every loop, joins the threads and frees the server. It answers nothing itself: call it
 * after the producer is destroyed, whose purge reports every outstanding record as failed, so
 * each request still waiting has had its 503 by then. NULL is fine. */
void http_server_stop(struct http_server *srv);

#endif
