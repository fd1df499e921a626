/*
 * JSON Pointer (RFC 6901) over jansson values: "/data/account/_id", "~1" for '/', "~0" for '~',
 * array elements by decimal index. The fuzz targets' oracle for the scanner (pipeline/jscan.c):
 * a second, independent reading of the same document through jansson. Test code only.
 */
#ifndef BRIDGE_TESTS_JSONPTR_H
#define BRIDGE_TESTS_JSONPTR_H

#include <jansson.h>

/* The value `ptr` points at inside `root` (borrowed from root), or NULL when the path does not
 * exist or the pointer is malformed. "" is the root itself. */
json_t *jsonptr_get(json_t *root, const char *ptr);

#endif
