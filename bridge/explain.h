/*
 * `webhook-bridge explain`: runs the server's decision on one request given on the command
 * line and prints what the bridge would do with it (verification, the event's attributes and
 * where each came from, the route, every record with its headers, or the dead-letter reason
 * or the HTTP answer), without Kafka. Nothing is sent.
 */
#ifndef BRIDGE_EXPLAIN_H
#define BRIDGE_EXPLAIN_H

#include <stdio.h>

/* Runs the explain subcommand on its arguments (argv[0] is "explain"), reading the request
 * body from `in` unless --body names a file: prints the explanation to out (text, or one JSON
 * object with --json), errors to errout. Returns the exit status: 0 accepted (records for
 * their topics), 1 not accepted (a dead letter, or an error answer), 2 usage or config error.
 * Main thread. */
int explain_main(int argc, char **argv, FILE *in, FILE *out, FILE *errout);

#endif
