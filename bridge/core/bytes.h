/*
 * Byte views: (base, len) pairs that borrow memory owned by someone else.
 * Request data is never assumed to be NUL-terminated (like h2o's h2o_iovec_t).
 */
#ifndef BRIDGE_CORE_BYTES_H
#define BRIDGE_CORE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct bytes {
    const char *base;
    size_t len;
};

#define BYTES_NULL ((struct bytes){NULL, 0})
#define BYTES_LIT(s) ((struct bytes){(s), sizeof(s) - 1})

static inline struct bytes bytes_of(const char *base, size_t len)
{
    return (struct bytes){base, len};
}

/* A view of a NUL-terminated string; NULL gives the null view. */
static inline struct bytes bytes_str(const char *s)
{
    return s == NULL ? BYTES_NULL : (struct bytes){s, strlen(s)};
}

static inline bool bytes_eq(struct bytes a, struct bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.base, b.base, a.len) == 0);
}

static inline bool bytes_eq_str(struct bytes a, const char *s)
{
    return bytes_eq(a, bytes_str(s));
}

/* ASCII case-insensitive equality, for HTTP header names. */
bool bytes_case_eq(struct bytes a, struct bytes b);

/* Constant-time equality: the time depends on the lengths only, never on where the
 * contents differ. Use for secrets and signatures. */
bool bytes_ct_eq(struct bytes a, struct bytes b);

/* The length (2..4) of the well-formed UTF-8 sequence starting at p, which has n bytes left
 * (n >= 1, *p >= 0x80), or 0 when it is not one: a stray continuation byte, an overlong form,
 * a surrogate, a code point past U+10FFFF, or a sequence cut short. */
size_t utf8_sequence_len(const unsigned char *p, size_t n);

/* Copies the view into a new NUL-terminated heap string; the caller frees it.
 * Returns NULL on allocation failure. */
char *bytes_dup(struct bytes b);

#endif
