/*
 * Helpers shared by the files of conf/ and nothing else.
 */
#ifndef BRIDGE_CONF_INTERNAL_H
#define BRIDGE_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

struct ynode;

/* (error.c) Reads a whole file into a new NUL-terminated heap buffer (*out, *len; the caller frees).
 * Returns 0, or an errno value: EFBIG when the file is larger than max bytes. */
int conf_read_file(const char *path, size_t max, char **out, size_t *len);

/* (load.c) Builds a struct bridge_config from a parsed tree (root may be NULL: an empty file):
 * defaults, environment expansion, validation. 0 and *out on success; -1 and err otherwise. */
int conf_from_tree(const char *file, const struct ynode *root, struct bridge_config **out,
                   struct conf_error *err);

/* (model.c) True for a librdkafka property whose value must not be shown (passwords, keys). */
bool conf_prop_is_secret(const char *key);

#endif
