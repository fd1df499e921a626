/*
 * The daemon object: owns the configuration (as a runtime), the embedded Kafka when asked for,
 * the producer, the HTTP server and the metrics; wires them together; handles signals.
 * main.c only parses arguments and calls these.
 */
#ifndef BRIDGE_BRIDGE_H
#define BRIDGE_BRIDGE_H

#include <stdio.h>

#include "conf/config.h"

struct bridge;

/* Loads and fully validates the config at `path` (including librdkafka properties) and prints
 * the resolved configuration to `out`, or the error to `errout`. Returns the exit status:
 * 0 valid, 2 invalid. */
int bridge_check_config(const char *path, FILE *out, FILE *errout);

/* Loads the config and starts everything (embedded Kafka, producer, listeners). Returns NULL
 * with err filled on failure. Call with SIGTERM, SIGINT and SIGHUP blocked in every thread
 * (bridge_block_signals() before any thread starts), so that bridge_run() receives them. */
struct bridge *bridge_start(const char *path, struct conf_error *err);

/* Blocks the signals the bridge handles in the calling thread (and the threads it creates). */
void bridge_block_signals(void);

/* Serves until SIGTERM or SIGINT, reloading on SIGHUP and on a change of the config file, then
 * shuts down gracefully (README.md, "Shutdown"). Returns the process exit status. */
int bridge_run(struct bridge *b);

/* Frees everything; NULL is fine. */
void bridge_destroy(struct bridge *b);

#endif
