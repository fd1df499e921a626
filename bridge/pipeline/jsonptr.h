/*
 * JSON Pointer (RFC 6901) over jansson values: "/data/account/_id", "~1" for '/', "~0" for '~',
 * array elements by decimal index. Pure.
 */
#ifndef BRIDGE_PIPELINE_JSONPTR_H
#define BRIDGE_PIPELINE_JSONPTR_H

#include <jansson.h>
#include <stdbool.h>

/* The value `ptr` points at inside `root` (borrowed from root), or NULL when the path does not
 * exist or the pointer is malformed. "" is the root itself. */
json_t *jsonptr_get(json_t *root, const char *ptr);

/* Whether `ptr` is a well-formed pointer: "" or '/'-separated tokens whose '~' escapes are
 * ~0 or ~1. */
bool jsonptr_valid(const char *ptr);

#endif
