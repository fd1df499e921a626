/*
 * JSON Pointer lookup over a jansson tree, the fuzz oracle for pipeline/jscan.c. Tokens are
 * unescaped into a small stack buffer one at a time rather than splitting the whole pointer up
 * front.
 */
#include "jsonptr.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Unescapes the token at *p (up to the next '/') into buf; advances *p. Returns the token
 * length, or -1 if it does not fit or is malformed. */
static long next_token(const char **p, char *buf, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    for (; *s && *s != '/'; ++s) {
        char c = *s;
        if (c == '~') {
            if (s[1] == '0')
                c = '~';
            else if (s[1] == '1')
                c = '/';
            else
                return -1;
            ++s;
        }
        if (n + 1 >= cap)
            return -1;
        buf[n++] = c;
    }
    buf[n] = '\0';
    *p = s;
    return (long)n;
}

static bool array_index(const char *tok, size_t len, size_t *out)
{
    if (len == 0 || (len > 1 && tok[0] == '0') || len > 9)
        return false;
    size_t v = 0;
    for (size_t i = 0; i != len; ++i) {
        if (!isdigit((unsigned char)tok[i]))
            return false;
        v = v * 10 + (size_t)(tok[i] - '0');
    }
    *out = v;
    return true;
}

json_t *jsonptr_get(json_t *root, const char *ptr)
{
    json_t *cur = root;
    const char *p = ptr;
    char tok[256];

    if (*p != '\0' && *p != '/')
        return NULL;
    while (cur != NULL && *p == '/') {
        ++p;
        long n = next_token(&p, tok, sizeof(tok));
        size_t idx;
        if (n < 0)
            return NULL;
        if (json_is_object(cur))
            cur = json_object_getn(cur, tok, (size_t)n);
        else if (json_is_array(cur) && array_index(tok, (size_t)n, &idx))
            cur = json_array_get(cur, idx);
        else
            return NULL;
    }
    return cur;
}
