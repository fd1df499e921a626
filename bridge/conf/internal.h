/*
 * Helpers shared by the files of conf/ and nothing else.
 */
#ifndef BRIDGE_CONF_INTERNAL_H
#define BRIDGE_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* (error.c) Reads a whole file into a new NUL-terminated heap buffer (*out, *len; the caller frees).
 * Returns 0, or an errno value: EFBIG when the file is larger than max bytes. */
int conf_read_file(const char *path, size_t max, char **out, size_t *len);

/* The errors of one load, collected so that all of them are reported at once. */
#define CONF_MAX_ERRORS 50
struct conf_errent {
    char *msg;           /* the complete message, FILE:LINE:COL: ... */
    struct conf_pos pos; /* for the order they are shown in */
};
struct conf_errors {
    struct conf_errent *v;
    size_t n;
    size_t dropped; /* past CONF_MAX_ERRORS or lost to memory pressure: counted, not kept */
};

/* (error.c) Adds e (at pos, NULL: none) to the list. */
void conf_errors_add(struct conf_errors *l, const struct conf_error *e, const struct conf_pos *pos);

/* (error.c) With no error collected returns 0. Otherwise writes them all into err->msg, one per
 * line, in file order (files ranked by their order in files[], a position without a file
 * ranking as files[0]), ending with "NAME: N more errors not shown" when some did not fit,
 * empties the list and returns -1. */
int conf_errors_finish(struct conf_errors *l, char *const *files, size_t nfiles, const char *name,
                       struct conf_error *err);

/* (error.c) Frees what the list holds and empties it. */
void conf_errors_release(struct conf_errors *l);

/* (error.c) Writes where pos is, seen from a message at `from`: "LINE:COL", or
 * "FILE:LINE:COL" when pos is in another file of a config directory. */
void conf_pos_ref(char *buf, size_t size, const struct conf_pos *pos, const struct conf_pos *from);

struct ynode;

/* (load.c) Builds a struct bridge_config from the parsed trees of files[0..n) (roots[i] may be
 * NULL: an empty file), merged by conf_merge() when n > 1; name is the file or directory
 * loaded. Defaults, environment expansion, validation. Takes files over in every case (the
 * config keeps them: positions point at them). 0 and *out on success; -1 and err (every error
 * found) otherwise. */
int conf_from_trees(const char *name, char **files, struct ynode *const *roots, size_t n,
                    const struct conf_options *opt, struct bridge_config **out,
                    struct conf_error *err);

/* (dir.c) True when path is a directory (a config directory). */
bool conf_is_dir(const char *path);

/* (dir.c) The *.yaml files of directory dir (not those whose name starts with '.'; symbolic
 * links followed, as Kubernetes mounts a ConfigMap), as "dir/name" paths in name order, in a
 * new array of new strings (the caller frees both). Returns 0 or an errno value. */
int conf_dir_list(const char *dir, char ***files, size_t *n);

/* (model.c) True for a librdkafka property whose value must not be shown (passwords, keys). */
bool conf_prop_is_secret(const char *key);

#endif
