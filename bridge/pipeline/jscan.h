/*
 * Single-pass JSON scanner: checks that a webhook body is exactly one JSON object and finds the
 * values at a few JSON pointers (RFC 6901) in the same pass, without building a tree and without
 * allocating. It accepts and rejects exactly what json_loadb(body, JSON_ALLOW_NUL) followed by
 * json_is_object() does, except that nesting deeper than JSCAN_MAX_DEPTH is refused, and so is
 * a raw NUL byte right after a number or literal (jansson 2.14 skips it, a known bug:
 * akheron/jansson#331). Pure; any thread.
 */
#ifndef BRIDGE_PIPELINE_JSCAN_H
#define BRIDGE_PIPELINE_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "core/bytes.h"

#define JSCAN_MAX_DEPTH 512         /* containers nested, the top-level object included */
#define JSCAN_MAX_POINTERS 64       /* pointers per jscan() call */
/* what a config's pointer may hold, checked at load (conf_check_json_pointer) */
#define JSCAN_POINTER_MAX_TOKENS CONF_POINTER_MAX_TOKENS
#define JSCAN_POINTER_MAX_LEN CONF_POINTER_MAX_LEN

/* A JSON pointer compiled for scanning: its tokens, unescaped (~0 ~1), stored inside the struct
 * (offsets, not addresses: the struct may be copied). */
struct jscan_pointer {
    size_t ntok;
    struct {
        uint16_t off, len; /* into text */
        uint32_t index;    /* the array index the token denotes, or UINT32_MAX if none */
    } tok[JSCAN_POINTER_MAX_TOKENS];
    char text[JSCAN_POINTER_MAX_LEN];
};

/* Compiles the NUL-terminated pointer `ptr` ("" is the top-level object, "/a/0" a member's
 * first element). Returns 0, or -1 if it is malformed (not "" or '/'..., a '~' not followed by
 * 0 or 1), has more than JSCAN_POINTER_MAX_TOKENS tokens or more than JSCAN_POINTER_MAX_LEN
 * bytes once unescaped. Never allocates. */
int jscan_pointer_compile(const char *ptr, struct jscan_pointer *out);

enum jscan_kind { JSCAN_ABSENT, JSCAN_STRING, JSCAN_INTEGER, JSCAN_OTHER };

struct jscan_hit {
    enum jscan_kind kind;
    /* Borrowed from the body. STRING: the bytes between the quotes, escapes not processed;
     * INTEGER: the digits (with '-'); OTHER: the whole value text; ABSENT: BYTES_NULL. */
    struct bytes raw;
    bool escaped; /* STRING contains a backslash escape (raw needs jscan_unescape) */
};

/* Scans `body`. Returns 0 when it is exactly one JSON object, else -1. Strict RFC 8259 as
 * jansson reads it: UTF-8 validated inside strings (no overlong forms, surrogates or code
 * points past U+10FFFF), control characters refused in strings, \u escapes checked (a lone
 * surrogate escape is refused; \u0000 is accepted in values but, as jansson, not in keys);
 * numbers per the grammar, and an integer outside long long or a real overflowing a double is
 * refused (jansson cannot represent them); only whitespace (space, tab, CR, LF) around.
 * Nesting deeper than JSCAN_MAX_DEPTH is refused as not JSON (jansson's own limit is 2048; 512
 * is ample for webhooks and bounds the work a hostile body can cause).
 *
 * For each of the n pointers (n <= JSCAN_MAX_POINTERS, else -1), hits[i] describes the value at
 * ptrs[i], the last one when a key repeats (as jansson keeps the last). An array token matches
 * the element with that decimal index (no leading zeros, at most 9 digits).
 * Object keys are compared after unescaping. When -1 is returned every hit is ABSENT. O(len *
 * pointers matching at the current level); never allocates. */
int jscan(struct bytes body, const struct jscan_pointer *ptrs, size_t n, struct jscan_hit *hits);

/* Unescapes `raw` (a STRING hit's raw bytes) into out (cap bytes, not NUL-terminated): \uXXXX
 * and surrogate pairs become UTF-8. Returns the unescaped length, or SIZE_MAX if it does not
 * fit or raw is not a well-formed escaped string body. */
size_t jscan_unescape(struct bytes raw, char *out, size_t cap);

/* The value of an INTEGER hit's raw digits ("-0" gives 0, like jansson). */
long long jscan_integer(struct bytes raw);

#endif
