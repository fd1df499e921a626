/*
 * A YAML document as a plain tree of scalars, mappings and sequences, each node carrying its
 * 1-based line and column in the file, so that every later check can say FILE:LINE:COL.
 * Internal to conf/.
 */
#ifndef BRIDGE_CONF_YAML_TREE_H
#define BRIDGE_CONF_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode;

/* One key: value of a mapping; the key is always a scalar node. */
struct ynode_pair {
    struct ynode *key;
    struct ynode *value;
};

struct ynode {
    enum ynode_kind kind;
    struct conf_pos pos; /* where the node starts, 1-based */

    /* YNODE_SCALAR: the text as libyaml decoded it (quotes and escapes resolved), always
     * NUL-terminated but may hold NUL bytes (a "\0" escape), so use len. plain is true for an
     * unquoted, untagged scalar: only such a scalar can be null (empty, ~ or null). */
    char *text;
    size_t len;
    bool plain;

    struct ynode_pair *pairs; /* YNODE_MAP, in file order; duplicates are kept */
    size_t npairs;

    struct ynode **items; /* YNODE_SEQ */
    size_t nitems;
};

/* Parses one YAML document from (text, len). On success returns 0 and stores the root in
 * *root (NULL for an empty stream; free with ynode_free). On a syntax error fills err with
 * "FILE:LINE:COL: <libyaml's problem>" and returns -1. Anchors, aliases and multiple documents are
 * refused. Any thread. */
int ynode_parse(const char *file, const char *text, size_t len, struct ynode **root,
                struct conf_error *err);

/* Frees a node and everything under it; NULL is fine. */
void ynode_free(struct ynode *n);

/* The pair of `map` whose key is `key` (the first one if duplicated); NULL when map is NULL,
 * not a mapping, or has no such key. */
const struct ynode_pair *ynode_find(const struct ynode *map, const char *key);

/* True for a plain scalar "", "~", "null", "Null" or "NULL" (and for NULL). */
bool ynode_is_null(const struct ynode *n);

/* "a mapping", "a list", "null" or "a string", for "expected X, got Y" messages. */
const char *ynode_kind_name(const struct ynode *n);

#endif
