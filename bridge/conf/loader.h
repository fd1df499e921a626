/*
 * The loader's state and the helpers shared by load.c (sections, scalars, cross-key rules)
 * and load_lists.c (values that are lists or mappings). Internal to conf/.
 *
 * Every helper that reports an error adds "FILE:LINE:COL: key.path: message" to l->errors,
 * where key.path is the loader's current path, and returns -1; its caller goes on with the
 * next key or item where that makes sense, so that one run reports every error (l->fatal, set
 * when memory runs out, stops it).
 */
#ifndef BRIDGE_CONF_LOADER_H
#define BRIDGE_CONF_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "conf/internal.h"
#include "conf/schema.h"
#include "conf/yaml_tree.h"

struct loader {
    const char *file;
    struct conf_errors errors;
    bool fatal;                /* out of memory: stop at once */
    bool placeholders;         /* an unset ${VAR} becomes a placeholder, with a warning */
    struct bridge_config *cfg; /* being filled; freed by the caller on error */
    char path[512];            /* key path of the value being loaded, for messages */
    size_t pathlen;
};

/* True for a key written bare in a path (a-z A-Z 0-9 _ -); others are quoted. */
bool loader_bare_key(const char *s, size_t len);

/* Writes (s, len) into buf as a double-quoted string, escaping " \ and control bytes, cut
 * with "..." after max bytes. */
void loader_quote(char *buf, size_t size, const char *s, size_t len, size_t max);

/* Appends `.key` (quoted when not bare) or `[i]` to the path; returns the previous length to
 * hand to loader_pop(). */
size_t loader_push_key(struct loader *l, const char *key, size_t len);
size_t loader_push_index(struct loader *l, size_t i);
void loader_pop(struct loader *l, size_t old);

/* Reports an error at pos (NULL: none) for the current path. Returns -1. */
int loader_fail(struct loader *l, const struct conf_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int loader_oom(struct loader *l);

/* The number of errors reported so far: a handler compares it before and after a part to
 * learn whether that part failed. */
size_t loader_nerrors(const struct loader *l);

/* Records a warning at pos for the current path in l->cfg->warnings; loading goes on. */
void loader_warn(struct loader *l, const struct conf_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* n's text as written in the file (before expansion: never a secret from the environment),
 * quoted into buf. */
const char *loader_shown(const struct ynode *n, char *buf, size_t size);

/* Checks that n is a non-null scalar and ${VAR}-expands it into *text (heap; the caller
 * frees). A NUL byte is refused unless s is secret. Returns 1 (nothing stored) for a null
 * value when s is CONF_F_NULLABLE, 0 on success, -1 on error. s may be NULL. */
int loader_get_scalar(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                      const char *expected, char **text, size_t *len);

/* Warns when topic t (the value of n) is named like one of Kafka's internal topics. */
void loader_check_internal_topic(struct loader *l, const struct ynode *n, const char *t);

/* Frees *field and stores value (which it then owns). */
void loader_set_str(char **field, char *value);

/* Handlers for the table types whose value is not a single scalar; each stores into the
 * fields given and reports errors with positions. */
int loader_brokers(struct loader *l, const struct conf_schema *s, const struct ynode *n);
int loader_routes(struct loader *l, const struct ynode *n, struct conf_route **out, size_t *count);
int loader_pointers(struct loader *l, const struct ynode *n, char ***out, size_t *count);
int loader_headers(struct loader *l, const struct ynode *n, char ***out, size_t *count);
int loader_cidrs(struct loader *l, const struct ynode *n, struct conf_cidr **out, size_t *count);
/* secrets and secret_files: append to the list (s->type tells which). */
int loader_secrets(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                   struct conf_secret **out, size_t *count);
int loader_props(struct loader *l, const struct ynode *n, struct conf_kv **out, size_t *count);

#endif
