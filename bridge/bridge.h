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

/* --check-config --connect: validates the config like bridge_check_config (errors to errout,
 * exit 2), then connects to its brokers and prints one line per check to out
 * (kafka/connect.h). Returns 0 when every check passed, 1 when one failed, 2 config invalid. */
int bridge_check_connect(const char *path, FILE *out, FILE *errout);

/* --list-topics: validates the config, then prints every topic it writes to (routes and
 * dead-letter topics, each once, in file order) as one JSON object a line:
 *   {"topic":"NAME","partitions":N,"replication":N,"dead_letter":BOOL}
 * (partitions and replication: kafka.topic_partitions and kafka.topic_replication, what
 * kafka.create_topics creates it with). Returns 0, 2 config invalid (error to errout), 1 output
 * failed. */
int bridge_list_topics(const char *path, FILE *out, FILE *errout);

/* Loads and fully validates the config at `path` (a file or a config directory; including
 * librdkafka properties and the route tables) with options opt (NULL: none) and prints the
 * resolved configuration to `out` and its warnings to `errout`, or every error to `errout`.
 * Returns the exit status: 0 valid, 2 invalid. */
int bridge_check_config(const char *path, const struct conf_options *opt, FILE *out, FILE *errout);

/* Loads the config and starts everything (embedded Kafka, producer, listeners). Returns NULL
 * with err filled on failure. Call with SIGTERM, SIGINT and SIGHUP blocked in every thread
 * (bridge_block_signals() before any thread starts), so that bridge_run() receives them. */
struct bridge *bridge_start(const char *path, struct conf_error *err);

/* Blocks the signals the bridge handles in the calling thread (and the threads it creates). */
void bridge_block_signals(void);

/* Serves until SIGTERM or SIGINT, reloading on SIGHUP and on a change of the config file (or
 * of a *.yaml of the config directory: edited, added or removed), then
 * shuts down gracefully (README.md, "Shutdown"). Returns the process exit status. */
int bridge_run(struct bridge *b);

/* Frees everything; NULL is fine. */
void bridge_destroy(struct bridge *b);

#endif
