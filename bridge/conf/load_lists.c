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
/* The length of a "scheme://" at the start of (s, len), 0 when there is none. */
static size_t scheme_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (loader_bare_key(s + i, 1) || s[i] == '+' || s[i] == '.'))
        ++i;
    return i != 0 && len - i > 3 && memcmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

/* Appends the brokers of one item (text t, "h:p[,h:p...]") to *joined. */
static int add_brokers(struct loader *l, const struct ynode *item, char *t, char **joined,
                       size_t *jlen)
{
    char q[128];
    int ret = 0;
    for (char *p = t, *end; p != NULL; p = end) {
        end = strchr(p, ',');
        if (end != NULL)
            *end++ = '\0';
        p += strspn(p, " \t");
        size_t plen = strlen(p);
        while (plen != 0 && (p[plen - 1] == ' ' || p[plen - 1] == '\t'))
            --plen;
        size_t sl = scheme_len(p, plen);
        if (sl != 0) {
            /* librdkafka takes the protocol from security.protocol, not from the address */
            loader_quote(q, sizeof(q), p, plen, 80);
            loader_warn(l, &item->pos,
                        "broker %s is written with a scheme: the bridge drops \"%.*s\" and uses "
                        "host:port; TLS and SASL are set by kafka.librdkafka security.protocol",
                        q, (int)sl, p);
            p += sl;
            plen -= sl;
        }
        const char *why = conf_check_hostport(p, plen);
        if (why != NULL) {
            loader_quote(q, sizeof(q), p, plen, 80);
            loader_fail(l, &item->pos,
                        "invalid broker address %s: %s (expected embedded or "
                        "host:port[,host:port...])",
                        q, why);
            ret = -1;
            continue;
        }
        char *grown = realloc(*joined, *jlen + plen + 2);
        if (grown == NULL)
            return loader_oom(l);
        *joined = grown;
        if (*jlen != 0)
            (*joined)[(*jlen)++] = ',';
        memcpy(*joined + *jlen, p, plen);
        *jlen += plen;
        (*joined)[*jlen] = '\0';
    }
    return ret;
}

/* kafka.brokers: "embedded", "h:p,h:p" or a list of "h:p"; stored as "h:p,h:p". */
int loader_brokers(struct loader *l, const struct conf_schema *s, const struct ynode *n)
{
    char *joined = NULL, *t;
    size_t jlen = 0, len;
    const struct ynode *const *items = (const struct ynode *const *)&n;
    size_t nitems = 1;
    int ret = 0;

    if (n->kind == YNODE_SEQ) {
        items = (const struct ynode *const *)n->items;
        nitems = n->nitems;
        if (nitems == 0)
            return loader_fail(l, &n->pos, "expected at least one broker");
    }
    for (size_t i = 0; i != nitems && !l->fatal; ++i) {
        const struct ynode *item = items[i];
        if (loader_get_scalar(l, s, item, "a broker list", &t, &len) != 0) {
            ret = -1;
            continue;
        }
        if (n->kind == YNODE_SCALAR && strcmp(t, "embedded") == 0) {
            free(joined);
            joined = t;
            break;
        }
        if (add_brokers(l, item, t, &joined, &jlen) != 0)
            ret = -1;
        free(t);
    }
    if (ret != 0) {
        free(joined);
        return -1;
    }
    loader_set_str(&l->cfg->kafka.brokers, joined);
    l->cfg->kafka.brokers_pos = n->pos;
    return 0;
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
    loader_check_internal_topic(l, n, t);
    *out = t;
    return 0;
}

/* One route: pattern k, topics v. */
static int load_route(struct loader *l, const struct ynode *k, const struct ynode *v,
                      struct conf_route *r)
{
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
    if (v->kind == YNODE_SCALAR)
        return load_topic(l, v, &r->topics[0]);
    int ret = 0;
    for (size_t j = 0; j != ntopics && !l->fatal; ++j) {
        size_t o = loader_push_index(l, j);
        if (load_topic(l, v->items[j], &r->topics[j]) != 0)
            ret = -1;
        loader_pop(l, o);
    }
    return ret;
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
    int ret = 0;
    for (size_t i = 0; i != n->npairs && !l->fatal; ++i) {
        const struct ynode *k = n->pairs[i].key;
        size_t old = loader_push_key(l, k->text, k->len);
        if (load_route(l, k, n->pairs[i].value, &(*out)[i]) != 0)
            ret = -1;
        loader_pop(l, old);
    }
    return ret;
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

/* The loops over a list's items: item() loads one (the path already names it) and returns
 * -1 on an error, which is reported and the next item loaded. The list fails when any did. */
static int each_item(struct loader *l, const struct ynode *n, long nitems,
                     int (*item)(struct loader *l, const struct ynode *n, void *arg), void *arg)
{
    int ret = nitems < 0 ? -1 : 0;
    for (long i = 0; i < nitems && !l->fatal; ++i) {
        size_t old = loader_push_index(l, (size_t)i);
        if (item(l, n->items[i], arg) != 0)
            ret = -1;
        loader_pop(l, old);
    }
    return ret;
}

struct strlist {
    char ***out;
    size_t *count;
};

static int load_pointer(struct loader *l, const struct ynode *item, void *arg)
{
    struct strlist *sl = arg;
    char q[128], *t;
    size_t len;
    if (loader_get_scalar(l, NULL, item, "a JSON pointer", &t, &len) != 0)
        return -1;
    const char *why = conf_check_json_pointer(t, len);
    if (why != NULL) {
        free(t);
        return loader_fail(l, &item->pos, "invalid JSON pointer %s: %s",
                           loader_shown(item, q, sizeof(q)), why);
    }
    (*sl->out)[(*sl->count)++] = t;
    return 0;
}

int loader_pointers(struct loader *l, const struct ynode *n, char ***out, size_t *count)
{
    struct strlist sl = {out, count};
    long nitems = prepare_list(l, n, "JSON pointers", (void **)out, *count, sizeof(**out));
    return each_item(l, n, nitems, load_pointer, &sl);
}

static int load_header(struct loader *l, const struct ynode *item, void *arg)
{
    struct strlist *sl = arg;
    char q[128], *t;
    size_t len;
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
    (*sl->out)[(*sl->count)++] = t;
    return 0;
}

int loader_headers(struct loader *l, const struct ynode *n, char ***out, size_t *count)
{
    struct strlist sl = {out, count};
    long nitems = prepare_list(l, n, "header names", (void **)out, *count, sizeof(**out));
    return each_item(l, n, nitems, load_header, &sl);
}

struct cidrlist {
    struct conf_cidr **out;
    size_t *count;
};

static int load_cidr(struct loader *l, const struct ynode *item, void *arg)
{
    struct cidrlist *cl = arg;
    char q[128], *t;
    size_t len;
    if (loader_get_scalar(l, NULL, item, "a network", &t, &len) != 0)
        return -1;
    struct conf_cidr *c = &(*cl->out)[*cl->count];
    const char *why = conf_parse_cidr(t, len, c);
    if (why != NULL) {
        free(t);
        memset(c, 0, sizeof(*c));
        return loader_fail(l, &item->pos, "invalid network %s: %s",
                           loader_shown(item, q, sizeof(q)), why);
    }
    c->text = t;
    ++*cl->count;
    return 0;
}

int loader_cidrs(struct loader *l, const struct ynode *n, struct conf_cidr **out, size_t *count)
{
    struct cidrlist cl = {out, count};
    long nitems = prepare_list(l, n, "networks", (void **)out, *count, sizeof(**out));
    return each_item(l, n, nitems, load_cidr, &cl);
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

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A secret is compared byte for byte: a newline that `echo` or a Secret made from a file left
 * at its end makes every request fail verification, so it is pointed out (never shown). */
static void check_secret_spaces(struct loader *l, const struct ynode *item,
                                const struct conf_secret *sec)
{
    bool lead = is_space(sec->value[0]), trail = is_space(sec->value[sec->len - 1]);
    if (!lead && !trail)
        return;
    bool eol = sec->value[sec->len - 1] == '\n' || sec->value[sec->len - 1] == '\r';
    loader_warn(l, &item->pos,
                "the secret %s with whitespace%s: it is compared byte for byte, so a request "
                "with the secret as the provider shows it gets 401",
                lead && trail ? "starts and ends"
                : lead        ? "starts"
                              : "ends",
                eol ? " (a line end)" : "");
}

struct secretlist {
    const struct conf_schema *s;
    struct conf_secret **out;
    size_t *count;
};

static int load_secret(struct loader *l, const struct ynode *item, void *arg)
{
    struct secretlist *sl = arg;
    bool files = sl->s->type == CONF_T_SECRET_FILES;
    struct conf_secret *sec = &(*sl->out)[*sl->count];
    char *t;
    size_t len;
    if (loader_get_scalar(l, sl->s, item, files ? "a file path" : "a string", &t, &len) != 0)
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
    ++*sl->count;
    check_secret_spaces(l, item, sec);
    return 0;
}

/* secrets / secret_files: appends to the verify block's secret list. */
int loader_secrets(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                   struct conf_secret **out, size_t *count)
{
    struct secretlist sl = {s, out, count};
    bool files = s->type == CONF_T_SECRET_FILES;
    long nitems =
        prepare_list(l, n, files ? "file paths" : "strings", (void **)out, *count, sizeof(**out));
    return each_item(l, n, nitems, load_secret, &sl);
}

static int load_prop(struct loader *l, const struct ynode *k, const struct ynode *v,
                     struct conf_kv *kv, size_t *count)
{
    if (k->len == 0 || memchr(k->text, '\0', k->len) != NULL)
        return loader_fail(l, &k->pos, "a property name must be a non-empty string");
    size_t vlen;
    if (loader_get_scalar(l, NULL, v, "a value", &kv->value, &vlen) != 0)
        return -1;
    ++*count;
    kv->pos = k->pos;
    if ((kv->key = strdup(k->text)) == NULL)
        return loader_oom(l);
    return 0;
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
    int ret = 0;
    for (size_t i = 0; i != n->npairs && !l->fatal; ++i) {
        const struct ynode *k = n->pairs[i].key;
        size_t old = loader_push_key(l, k->text, k->len);
        if (load_prop(l, k, n->pairs[i].value, &(*out)[*count], count) != 0)
            ret = -1;
        loader_pop(l, old);
    }
    return ret;
}
