/*
 * ${VAR} expansion, one left-to-right pass into a growing buffer.
 *
 * The default text of ${VAR:-default} is literal: no nested expansion. Shells allow nesting,
 * but a configuration needs only "value from the environment, or this fallback", and one
 * level keeps the rule easy to state and the errors easy to place. An unknown form such as
 * ${VAR:?x} is an error rather than text passed through, so a typo cannot become a secret.
 */
#include "conf/env.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 64 : b->cap;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n != 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static bool name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

/* Appends the placeholder of variable name to b and its ${name} to the list in msg. */
static int placeholder(struct buf *b, const char *name, char *msg, size_t msgsize, bool first)
{
    size_t used = first ? 0 : strlen(msg);
    snprintf(msg + used, msgsize - used, "%s${%s}", first ? "" : ", ", name);
    if (put(b, "placeholder-", 12) != 0)
        return -1;
    for (const char *c = name; *c != '\0'; ++c) {
        char l = *c == '_' ? '-' : *c >= 'A' && *c <= 'Z' ? (char)(*c + ('a' - 'A')) : *c;
        if (put(b, &l, 1) != 0)
            return -1;
    }
    return 0;
}

int conf_env_expand(const char *in, size_t len, bool placeholders, char **out, size_t *outlen,
                    char *msg, size_t msgsize)
{
    struct buf b = {0};
    size_t i = 0;
    int result = 0;

    *out = NULL;
    *outlen = 0;
    if (put(&b, "", 0) != 0)
        goto oom;
    while (i < len) {
        const char *dollar = memchr(in + i, '$', len - i);
        size_t lit = dollar == NULL ? len - i : (size_t)(dollar - (in + i));
        if (put(&b, in + i, lit) != 0)
            goto oom;
        i += lit;
        if (i == len)
            break;
        /* in[i] == '$' */
        if (i + 1 < len && in[i + 1] == '$') {
            if (put(&b, "$", 1) != 0)
                goto oom;
            i += 2;
            continue;
        }
        if (i + 1 >= len || in[i + 1] != '{') {
            if (put(&b, "$", 1) != 0)
                goto oom;
            i += 1;
            continue;
        }
        size_t start = i + 2, end = start;
        while (end < len && in[end] != '}')
            ++end;
        if (end == len) {
            snprintf(msg, msgsize, "unterminated ${ in value (write $$ for a literal $)");
            goto fail;
        }
        size_t name_end = start;
        if (name_end < end && name_start(in[name_end]))
            while (name_end < end && name_char(in[name_end]))
                ++name_end;
        int nlen = (int)(name_end - start);
        bool has_default = end - name_end >= 2 && in[name_end] == ':' && in[name_end + 1] == '-';
        if (nlen == 0 || (name_end != end && !has_default)) {
            snprintf(msg, msgsize,
                     "invalid ${...} expression (expected ${NAME} or ${NAME:-default}; write $$ "
                     "for a literal $)");
            goto fail;
        }
        char name[256];
        if ((size_t)nlen >= sizeof(name)) {
            snprintf(msg, msgsize, "environment variable name is too long");
            goto fail;
        }
        memcpy(name, in + start, (size_t)nlen);
        name[nlen] = '\0';
        const char *value = getenv(name);
        if (has_default && (value == NULL || value[0] == '\0')) {
            if (put(&b, in + name_end + 2, end - name_end - 2) != 0)
                goto oom;
        } else if (value == NULL && placeholders) {
            if (placeholder(&b, name, msg, msgsize, result == 0) != 0)
                goto oom;
            result = 1;
        } else if (value == NULL) {
            snprintf(msg, msgsize, "environment variable %s is not set and has no default", name);
            goto fail;
        } else if (put(&b, value, strlen(value)) != 0) {
            goto oom;
        }
        i = end + 1;
    }
    *out = b.p;
    *outlen = b.len;
    return result;
oom:
    snprintf(msg, msgsize, "out of memory");
fail:
    free(b.p);
    return -1;
}
