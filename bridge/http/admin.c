/*
 * Admin endpoints: /healthz (the process answers), /readyz (config loaded, producer connected
 * and warmed up, not draining), /metrics (Prometheus text format).
 */
#include <stdlib.h>

#include "core/metrics.h"
#include "http/internal.h"

int admin_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    struct loop *loop = loop_of(req->conn->ctx);
    struct http_server *srv = loop->srv;
    h2o_iovec_t path = req->path_normalized;

    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET"));
        http_respond(req, 405, "Method Not Allowed", "text/plain", H2O_STRLIT("method not allowed\n"));
        return 0;
    }
    if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz"))) {
        http_respond(req, 200, "OK", "text/plain", H2O_STRLIT("ok\n"));
    } else if (h2o_memis(path.base, path.len, H2O_STRLIT("/readyz"))) {
        if (atomic_load(&srv->draining))
            http_respond(req, 503, "Service Unavailable", "text/plain", H2O_STRLIT("draining\n"));
        else if (!srv->pub->ops->ready(srv->pub) && srv->pub->ops->not_ready_reason != NULL) {
            char why[512];
            size_t len = srv->pub->ops->not_ready_reason(srv->pub, why, sizeof(why));
            http_respond(req, 503, "Service Unavailable", "text/plain", why, len);
        } else if (!srv->pub->ops->ready(srv->pub))
            http_respond(req, 503, "Service Unavailable", "text/plain",
                         H2O_STRLIT("kafka not connected\n"));
        else
            http_respond(req, 200, "OK", "text/plain", H2O_STRLIT("ready\n"));
    } else if (h2o_memis(path.base, path.len, H2O_STRLIT("/metrics"))) {
        size_t len;
        char *text = metrics_render(&len);
        if (text == NULL) {
            http_respond(req, 500, "Internal Server Error", "text/plain", H2O_STRLIT("oom\n"));
        } else {
            http_respond(req, 200, "OK", "text/plain; version=0.0.4", text, len);
            free(text);
        }
    } else {
        http_respond(req, 404, "Not Found", "text/plain", H2O_STRLIT("not found\n"));
    }
    return 0;
}
