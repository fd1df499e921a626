/*
 * `webhook-bridge replay`: decides the records of a dead-letter topic again under the current
 * configuration and produces the ones it now routes, with their original ce_id and ce_time.
 */
#ifndef BRIDGE_REPLAY_H
#define BRIDGE_REPLAY_H

#include <stdio.h>

/* Runs the replay subcommand on its arguments (argv[0] is "replay"): prints one line per
 * record and a summary by outcome to out, errors to errout. Returns the exit status: 0 done,
 * 1 a record could not be produced or the topic not read to its end, 2 usage or config error. */
int replay_main(int argc, char **argv, FILE *out, FILE *errout);

#endif
