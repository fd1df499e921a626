/*
 * Byte view helpers. The constant-time compare is written out here rather than taken from
 * OpenSSL's CRYPTO_memcmp so that core/ depends on libc alone; it also folds the length
 * difference into the result so that a prefix of a secret never matches.
 */
#include "bytes.h"

#include <stdlib.h>

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool bytes_case_eq(struct bytes a, struct bytes b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i != a.len; ++i)
        if (lower((unsigned char)a.base[i]) != lower((unsigned char)b.base[i]))
            return false;
    return true;
}

bool bytes_ct_eq(struct bytes a, struct bytes b)
{
    /* Walk the expected value (b) in full whatever a holds, so the time depends on b's length
     * only; a differing length still fails. */
    volatile unsigned char diff = (unsigned char)(a.len != b.len);
    for (size_t i = 0; i != b.len; ++i) {
        unsigned char x = i < a.len ? (unsigned char)a.base[i] : 0;
        diff |= (unsigned char)(x ^ (unsigned char)b.base[i]);
    }
    return diff == 0;
}

char *bytes_dup(struct bytes b)
{
    char *s = malloc(b.len + 1);
    if (s == NULL)
        return NULL;
    if (b.len != 0)
        memcpy(s, b.base, b.len);
    s[b.len] = '\0';
    return s;
}

size_t utf8_sequence_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0], cp, min;
    size_t len;
    if ((c & 0xe0) == 0xc0)
        len = 2, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        len = 3, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i != len; ++i) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}
