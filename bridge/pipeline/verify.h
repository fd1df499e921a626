/*
 * Webhook authentication: decides whether a request really comes from the provider, by the
 * source's verify.scheme, over the raw body bytes. Pure: no I/O, the clock is an argument.
 * A verifier is built once per config (decoding keys) and is then read-only, so any number of
 * threads may call verifier_check() on it at once.
 */
#ifndef BRIDGE_PIPELINE_VERIFY_H
#define BRIDGE_PIPELINE_VERIFY_H

#include <stdint.h>

#include "conf/config.h"
#include "pipeline/request.h"

/* Why a request failed verification; the name goes to logs and metrics, never to the client
 * (every failure gets the same 401 body). */
#define VERIFY_RESULT_TABLE(X)                                                                     \
    X(OK, "ok")                                                                                    \
    X(MISSING_HEADER, "missing_header")                                                            \
    X(MALFORMED_HEADER, "malformed_header")                                                        \
    X(MISMATCH, "mismatch")                                                                        \
    X(STALE_TIMESTAMP, "stale_timestamp")                                                          \
    X(FUTURE_TIMESTAMP, "future_timestamp")                                                        \
    X(FORBIDDEN_ADDRESS, "forbidden_address")

enum verify_result {
#define X(code, name) VERIFY_##code,
    VERIFY_RESULT_TABLE(X)
#undef X
        VERIFY_RESULT_COUNT
};

const char *verify_result_name(enum verify_result r);

struct verifier;

/* Builds the verifier of one source (derives the keys, decodes whsec_ secrets). `src` holds
 * the rules conf_load checks (conf/load.c finish_verify: a header where the scheme needs one,
 * at least one non-empty secret, insecure beside none), which are not checked again here.
 * Returns NULL and fills err (with the secret's file position) on a secret no key can be made
 * of, or out of memory. `file` is the config file name for messages. The verifier copies what
 * it keeps. */
struct verifier *verifier_create(const char *file, const struct conf_source *src,
                                 const struct conf_cidr *trusted_proxies, size_t ntrusted,
                                 struct conf_error *err);

/* Checks one request at time now_s (Unix seconds): the address (allow_from, through
 * X-Forwarded-For only from trusted proxies), then the signature or secret, in constant time.
 * Any thread. */
enum verify_result verifier_check(const struct verifier *v, const struct request_view *req,
                                  int64_t now_s);

/* The client's address as allow_from judges it: the peer, or when the peer is a trusted proxy,
 * the rightmost X-Forwarded-For entry that is not one. Returns 0, or -1 when it cannot be
 * known (no peer, an unparsable entry). Any thread. */
int verifier_client_address(const struct verifier *v, const struct request_view *req,
                            uint8_t out[16]);

/* NULL is fine. */
void verifier_destroy(struct verifier *v);

#endif
