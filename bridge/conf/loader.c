/*
 * The loader's plumbing: the key path kept for messages, error reporting, and reading one
 * scalar with ${VAR} expansion. See load.c for the design of the loader as a whole.
 *
 * The key path is a fixed buffer grown and cut back as the walk descends and returns
 * (push/pop), instead of a string built per node: it costs nothing until an error is
 * reported.
 */
#include "conf/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/env.h"

static void append(struct loader *l, const char *s, size_t n)
{
    if (n > sizeof(l->path) - 1 - l->pathlen)
        n = sizeof(l->path) - 1 - l->pathlen;
    memcpy(l->path + l->pathlen, s, n);
    l->pathlen += n;
    l->path[l->pathlen] = '\0';
}

bool loader_bare_key(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i != len; ++i) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Writes (s, len) as a double-quoted string with \" \\ and \xNN escapes, cut at max bytes. */
void loader_quote(char *buf, size_t size, const char *s, size_t len, size_t max)
{
    size_t n = 0;
    buf[n++] = '"';
    for (size_t i = 0; i != len && n + 8 < size; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (i == max) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

/* Appends a key to the path: `name`, or `"a.b"` when it is not a bare word. Returns the
 * previous length for loader_pop(). */
size_t loader_push_key(struct loader *l, const char *key, size_t len)
{
    size_t old = l->pathlen;
    if (l->pathlen != 0)
        append(l, ".", 1);
    if (loader_bare_key(key, len)) {
        append(l, key, len);
    } else {
        char q[300];
        loader_quote(q, sizeof(q), key, len, 200);
        append(l, q, strlen(q));
    }
    return old;
}

size_t loader_push_index(struct loader *l, size_t i)
{
    size_t old = l->pathlen;
    char b[32];
    int n = snprintf(b, sizeof(b), "[%zu]", i);
    append(l, b, (size_t)n);
    return old;
}

void loader_pop(struct loader *l, size_t old)
{
    l->pathlen = old;
    l->path[old] = '\0';
}

int loader_fail(struct loader *l, const struct conf_pos *pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct conf_error e;
    conf_errorf(&e, l->file, pos, l->path, "%s", msg);
    conf_errors_add(&l->errors, &e, pos);
    return -1;
}

size_t loader_nerrors(const struct loader *l)
{
    return l->errors.n + l->errors.dropped;
}

void loader_warn(struct loader *l, const struct conf_pos *pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    conf_warnf(l->cfg, pos, l->path, "%s", msg);
}

void conf_warn_route(struct bridge_config *cfg, const struct conf_source *src,
                     const struct conf_route *r, const char *fmt, ...)
{
    struct loader l = {.file = cfg->file, .cfg = cfg};
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    loader_push_key(&l, "sources", 7);
    loader_push_key(&l, src->name, strlen(src->name));
    loader_push_key(&l, "routes", 6);
    loader_push_key(&l, r->pattern, strlen(r->pattern));
    loader_warn(&l, &r->pos, "%s", msg);
}

int loader_oom(struct loader *l)
{
    struct conf_error e;
    l->fatal = true;
    conf_errorf(&e, l->file, NULL, NULL, "out of memory");
    conf_errors_add(&l->errors, &e, NULL);
    return -1;
}

/* The node's text as written, quoted for a message. */
const char *loader_shown(const struct ynode *n, char *buf, size_t size)
{
    loader_quote(buf, size, n->text, n->len, 80);
    return buf;
}

/* Checks that n is a non-null scalar and expands it into *text (heap, caller frees).
 * Returns 1 (nothing stored) for a null value when s allows none, 0 on success, -1. */
int loader_get_scalar(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                      const char *expected, char **text, size_t *len)
{
    char msg[256];
    *text = NULL;
    if (ynode_is_null(n)) {
        if (s != NULL && (s->flags & CONF_F_NULLABLE))
            return 1;
        return loader_fail(l, &n->pos, "expected %s, got null", expected);
    }
    if (n->kind != YNODE_SCALAR)
        return loader_fail(l, &n->pos, "expected %s, got %s", expected, ynode_kind_name(n));
    int r = conf_env_expand(n->text, n->len, l->placeholders, text, len, msg, sizeof(msg));
    if (r < 0)
        return loader_fail(l, &n->pos, "%s", msg);
    if (r == 1) {
        loader_warn(l, &n->pos, "%s %s not set: checked with a placeholder (--placeholders)", msg,
                    strchr(msg, ',') != NULL ? "are" : "is");
        /* a secret that is one ${VAR} gets a placeholder every scheme takes: Standard Webhooks
         * wants base64 (after an optional whsec_), the others any 16 bytes or more */
        if (s != NULL && s->type == CONF_T_SECRETS && n->len > 3 && n->text[0] == '$' &&
            memchr(n->text + 1, '$', n->len - 1) == NULL && n->text[n->len - 1] == '}' &&
            memchr(n->text, ':', n->len) == NULL) {
            static const char secret[] = "whsec_cGxhY2Vob2xkZXItc2VjcmV0LW9mLTMyLWJ5dGVzISE=";
            char *t = strdup(secret);
            if (t == NULL) {
                free(*text);
                *text = NULL;
                return loader_oom(l);
            }
            free(*text);
            *text = t;
            *len = sizeof(secret) - 1;
        }
    }
    if ((s == NULL || !(s->flags & CONF_F_SECRET)) && memchr(*text, '\0', *len) != NULL) {
        free(*text);
        *text = NULL;
        return loader_fail(l, &n->pos, "must not contain a NUL byte");
    }
    return 0;
}

void loader_check_internal_topic(struct loader *l, const struct ynode *n, const char *t)
{
    char q[128];
    if (strncmp(t, "__", 2) == 0)
        loader_warn(l, &n->pos,
                    "topic %s is named like Kafka's internal topics (__consumer_offsets, "
                    "__transaction_state): brokers refuse records to those",
                    loader_shown(n, q, sizeof(q)));
}

void loader_set_str(char **field, char *value)
{
    free(*field);
    *field = value;
}
