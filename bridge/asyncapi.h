/*
 * `webhook-bridge --asyncapi`: an AsyncAPI 3.0 document of what a configuration produces, for
 * consumers to read and generate code from: a channel per topic, the messages on it (the event
 * types routed there, their CloudEvents headers and key, content type, and a JSON Schema of the
 * body where documented examples exist), and the dead-letter channels.
 */
#ifndef BRIDGE_ASYNCAPI_H
#define BRIDGE_ASYNCAPI_H

#include <stddef.h>
#include <stdio.h>

/* A documented event body (the Mono fixtures, compiled in by bridge/examples.cmake). */
struct asyncapi_example {
    const char *name;
    const unsigned char *body;
    size_t len;
};
extern const struct asyncapi_example asyncapi_examples[];
extern const size_t asyncapi_nexamples;

/* Loads the config at `path` and prints its document (JSON, which is YAML too) to out, or the
 * error to errout. Returns the exit status: 0, or 2 for a config error. */
int asyncapi_main(const char *path, FILE *out, FILE *errout);

#endif
