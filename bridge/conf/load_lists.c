/*
 * Loader handlers for values that are lists or mappings: kafka.brokers (a string or a list),
 * routes, JSON pointer lists, networks, secrets and secret files, librdkafka properties.
 *
 * Each handler sets the element count as elements are completed, so that after an error
 * conf_free() releases exactly what was stored, with no separate unwinding here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"
#include "conf/loader.h"
#include "conf/value.h"

#define MAX_SECRET_FILE_BYTES (64u * 1024)
/* kafka.brokers: "embedded", "h:p,h:p" or a list of "h:p"; stored as "h:p,h:p". */
int loader_brokers(struct loader *l, const struct conf_schema *s, const struct ynode *n)
{
    char q[128], *joined = NULL, *t;
    size_t jlen = 0, len;
    const struct ynode *const *items = (const struct ynode *const *)&n;
    size_t nitems = 1;

    if (n->kind == YNODE_SEQ) {
        items = (const struct ynode *const *)n->items;
        nitems = n->nitems;
        if (nitems == 0)
            return loader_fail(l, &n->pos, "expected at least one broker");
    }
    for (size_t i = 0; i != nitems; ++i) {
        const struct ynode *item = items[i];
        if (loader_get_scalar(l, s, item, "a broker list", &t, &len) != 0)
            goto fail;
        if (n->kind == YNODE_SCALAR && strcmp(t, "embedded") == 0) {
            joined = t;
            break;
        }
        for (char *p = t, *end; p != NULL; p = end) {
            end = strchr(p, ',');
            if (end != NULL)
                *end++ = '\0';
            p += strspn(p, " \t");
            size_t plen = strlen(p);
            while (plen != 0 && (p[plen - 1] == ' ' || p[plen - 1] == '\t'))
                --plen;
            const char *why = conf_check_hostport(p, plen);
            if (why != NULL) {
                loader_quote(q, sizeof(q), p, plen, 80);
                free(t);
                loader_fail(l, &item->pos,
                            "invalid broker address %s: %s (expected embedded or "
                            "host:port[,host:port...])",
                            q, why);
                goto fail;
            }
            char *grown = realloc(joined, jlen + plen + 2);
            if (grown == NULL) {
                free(t);
                loader_oom(l);
                goto fail;
            }
            joined = grown;
            if (jlen != 0)
                joined[jlen++] = ',';
            memcpy(joined + jlen, p, plen);
            jlen += plen;
            joined[jlen] = '\0';
        }
        free(t);
    }
    loader_set_str(&l->cfg->kafka.brokers, joined);
    l->cfg->kafka.brokers_pos = n->pos;
    return 0;
fail:
    free(joined);
    return -1;
}

static int load_topic(struct loader *l, const struct ynode *n, char **out)
{
    char q[128], *t;
    size_t len;
    if (loader_get_scalar(l, NULL, n, "a topic name", &t, &len) != 0)
        return -1;
    const char *why = conf_check_topic(t, len);
    if (why != NULL) {
        free(t);
        return loader_fail(l, &n->pos, "invalid topic name %s: %s", loader_shown(n, q, sizeof(q)),
                           why);
    }
    *out = t;
    return 0;
}

int loader_routes(struct loader *l, const struct ynode *n, struct conf_route **out, size_t *count)
{
    if (ynode_is_null(n) || (n->kind == YNODE_MAP && n->npairs == 0))
        return loader_fail(l, &n->pos, "at least one route is required");
    if (n->kind != YNODE_MAP)
        return loader_fail(l, &n->pos,
                           "expected a mapping of event type patterns to topics, got %s",
                           ynode_kind_name(n));
    if ((*out = calloc(n->npairs, sizeof(**out))) == NULL)
        return loader_oom(l);
    *count = n->npairs;
    for (size_t i = 0; i != n->npairs; ++i) {
        const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
        struct conf_route *r = &(*out)[i];
        size_t old = loader_push_key(l, k->text, k->len);
        if (k->len == 0 || memchr(k->text, '\0', k->len) != NULL)
            return loader_fail(l, &k->pos, "a route pattern must be a non-empty string");
        if ((r->pattern = strdup(k->text)) == NULL)
            return loader_oom(l);
        r->pos = k->pos;
        if (ynode_is_null(v) || (v->kind == YNODE_SEQ && v->nitems == 0))
            return loader_fail(l, &k->pos, "route has no topic");
        if (v->kind == YNODE_MAP)
            return loader_fail(l, &v->pos, "expected a topic or a list of topics, got a mapping");
        size_t ntopics = v->kind == YNODE_SEQ ? v->nitems : 1;
        if ((r->topics = calloc(ntopics, sizeof(*r->topics))) == NULL)
            return loader_oom(l);
        r->ntopics = ntopics;
        if (v->kind == YNODE_SCALAR) {
            if (load_topic(l, v, &r->topics[0]) != 0)
                return -1;
        } else {
            for (size_t j = 0; j != ntopics; ++j) {
                size_t o = loader_push_index(l, j);
                if (load_topic(l, v->items[j], &r->topics[j]) != 0)
                    return -1;
                loader_pop(l, o);
            }
        }
        loader_pop(l, old);
    }
    return 0;
}

/* Checks n is a list (null: empty) and allocates room for its items after *count existing
 * ones, zeroed. Returns the number of items, or -1. */
static long prepare_list(struct loader *l, const struct ynode *n, const char *what, void **arr,
                         size_t count, size_t elem)
{
    if (ynode_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return loader_fail(l, &n->pos, "expected a list of %s, got %s", what, ynode_kind_name(n));
    if (n->nitems == 0)
        return 0;
    char *p = realloc(*arr, (count + n->nitems) * elem);
    if (p == NULL)
        return loader_oom(l);
    memset(p + count * elem, 0, n->nitems * elem);
    *arr = p;
    return (long)n->nitems;
}

int loader_pointers(struct loader *l, const struct ynode *n, char ***out, size_t *count)
{
    char q[128], *t;
    size_t len;
    long nitems = prepare_list(l, n, "JSON pointers", (void **)out, *count, sizeof(**out));
    for (long i = 0; i < nitems; ++i) {
        const struct ynode *item = n->items[i];
        size_t old = loader_push_index(l, (size_t)i);
        if (loader_get_scalar(l, NULL, item, "a JSON pointer", &t, &len) != 0)
            return -1;
        const char *why = conf_check_json_pointer(t, len);
        if (why != NULL) {
            free(t);
            return loader_fail(l, &item->pos, "invalid JSON pointer %s: %s",
                               loader_shown(item, q, sizeof(q)), why);
        }
        (*out)[(*count)++] = t;
        loader_pop(l, old);
    }
    return nitems < 0 ? -1 : 0;
}

int loader_headers(struct loader *l, const struct ynode *n, char ***out, size_t *count)
{
    char q[128], *t;
    size_t len;
    long nitems = prepare_list(l, n, "header names", (void **)out, *count, sizeof(**out));
    for (long i = 0; i < nitems; ++i) {
        const struct ynode *item = n->items[i];
        size_t old = loader_push_index(l, (size_t)i);
        if (loader_get_scalar(l, NULL, item, "a header name", &t, &len) != 0)
            return -1;
        const char *why = conf_check_header_name(t, len);
        if (why != NULL) {
            free(t);
            return loader_fail(l, &item->pos, "invalid header name %s: %s",
                               loader_shown(item, q, sizeof(q)), why);
        }
        for (char *c = t; *c != '\0'; ++c)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + ('a' - 'A'));
        (*out)[(*count)++] = t;
        loader_pop(l, old);
    }
    return nitems < 0 ? -1 : 0;
}

int loader_cidrs(struct loader *l, const struct ynode *n, struct conf_cidr **out, size_t *count)
{
    char q[128], *t;
    size_t len;
    long nitems = prepare_list(l, n, "networks", (void **)out, *count, sizeof(**out));
    for (long i = 0; i < nitems; ++i) {
        const struct ynode *item = n->items[i];
        size_t old = loader_push_index(l, (size_t)i);
        if (loader_get_scalar(l, NULL, item, "a network", &t, &len) != 0)
            return -1;
        struct conf_cidr *c = &(*out)[*count];
        const char *why = conf_parse_cidr(t, len, c);
        if (why != NULL) {
            free(t);
            return loader_fail(l, &item->pos, "invalid network %s: %s",
                               loader_shown(item, q, sizeof(q)), why);
        }
        c->text = t;
        ++*count;
        loader_pop(l, old);
    }
    return nitems < 0 ? -1 : 0;
}

static int read_secret_file(struct loader *l, const struct ynode *item, char *path,
                            struct conf_secret *sec)
{
    char *data;
    size_t len;
    /* before the read: a change after it shows as a new stamp, so a watcher cannot miss it */
    sec->stamp = conf_file_stamp(path);
    int e = conf_read_file(path, MAX_SECRET_FILE_BYTES, &data, &len);
    if (e == EFBIG)
        return loader_fail(l, &item->pos, "secret file %s is larger than %u bytes", path,
                           MAX_SECRET_FILE_BYTES);
    if (e != 0)
        return loader_fail(l, &item->pos, "cannot read secret file %s: %s", path, strerror(e));
    if (len != 0 && data[len - 1] == '\n')
        data[--len] = '\0';
    if (len != 0 && data[len - 1] == '\r')
        data[--len] = '\0';
    if (len == 0) {
        free(data);
        return loader_fail(l, &item->pos, "secret file %s is empty", path);
    }
    sec->value = data;
    sec->len = len;
    return 0;
}

/* secrets / secret_files: appends to the verify block's secret list. */
int loader_secrets(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                   struct conf_secret **out, size_t *count)
{
    bool files = s->type == CONF_T_SECRET_FILES;
    char *t;
    size_t len;
    long nitems =
        prepare_list(l, n, files ? "file paths" : "strings", (void **)out, *count, sizeof(**out));
    for (long i = 0; i < nitems; ++i) {
        const struct ynode *item = n->items[i];
        struct conf_secret *sec = &(*out)[*count];
        size_t old = loader_push_index(l, (size_t)i);
        if (loader_get_scalar(l, s, item, files ? "a file path" : "a string", &t, &len) != 0)
            return -1;
        sec->pos = item->pos;
        if (!files) {
            if (len == 0) {
                free(t);
                return loader_fail(l, &item->pos, "secret is empty");
            }
            sec->value = t;
            sec->len = len;
        } else {
            if (len == 0 || memchr(t, '\0', len) != NULL) {
                free(t);
                return loader_fail(l, &item->pos, "expected a file path");
            }
            if (read_secret_file(l, item, t, sec) != 0) {
                free(t);
                return -1;
            }
            sec->file = t;
        }
        ++*count;
        loader_pop(l, old);
    }
    return nitems < 0 ? -1 : 0;
}

int loader_props(struct loader *l, const struct ynode *n, struct conf_kv **out, size_t *count)
{
    if (ynode_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return loader_fail(l, &n->pos,
                           "expected a mapping of librdkafka property names to values, got %s",
                           ynode_kind_name(n));
    if (n->npairs == 0)
        return 0;
    if ((*out = calloc(n->npairs, sizeof(**out))) == NULL)
        return loader_oom(l);
    for (size_t i = 0; i != n->npairs; ++i) {
        const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
        struct conf_kv *kv = &(*out)[*count];
        size_t old = loader_push_key(l, k->text, k->len);
        if (k->len == 0 || memchr(k->text, '\0', k->len) != NULL)
            return loader_fail(l, &k->pos, "a property name must be a non-empty string");
        size_t vlen;
        if (loader_get_scalar(l, NULL, v, "a value", &kv->value, &vlen) != 0)
            return -1;
        ++*count;
        kv->pos = k->pos;
        if ((kv->key = strdup(k->text)) == NULL)
            return loader_oom(l);
        loader_pop(l, old);
    }
    return 0;
}
