/*
 * What the pipeline sees of an HTTP request: borrowed views into memory the HTTP layer owns
 * (h2o's request pool). The pipeline never includes h2o.h; the HTTP layer fills this struct.
 */
#ifndef BRIDGE_PIPELINE_REQUEST_H
#define BRIDGE_PIPELINE_REQUEST_H

#include <stdint.h>

#include "core/bytes.h"

struct header_view {
    struct bytes name; /* any case */
    struct bytes value;
};

struct request_view {
    struct bytes path;
    struct bytes body;
    const struct header_view *headers;
    size_t nheaders;
    /* The peer's address as 16 bytes (IPv4 as ::ffff:a.b.c.d); has_peer false if unknown. */
    uint8_t peer[16];
    int has_peer;
};

/* First header named `name` (ASCII case-insensitive), or BYTES_NULL when absent. */
struct bytes request_header(const struct request_view *req, struct bytes name);

#endif
