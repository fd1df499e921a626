/*
 * Route table: the routes sorted once into match order (conf_route_order, the rule
 * --check-config prints too): exact patterns first, then globs by descending literal-prefix
 * length, then the catch-alls. Matching walks that order and stops at
 * the first hit, so the common case (an exact type) is a short scan of string compares.
 * Rejected: a hash map for exact types (route tables are tens of lines; a scan of memcmp on
 * lengths that mostly differ is as fast and keeps the code obvious).
 */
#include "route.h"

#include <stdlib.h>
#include <string.h>

struct route_table {
    const struct conf_route **order;
    size_t n;
};

struct route_table *route_table_create(const struct conf_route *routes, size_t n)
{
    struct route_table *t = calloc(1, sizeof(*t));
    if (t == NULL || (n != 0 && (t->order = calloc(n, sizeof(*t->order))) == NULL)) {
        free(t);
        return NULL;
    }
    conf_route_order(routes, n, t->order);
    t->n = n;
    return t;
}

bool route_glob_match(const char *p, struct bytes s)
{
    size_t i = 0, star_p = SIZE_MAX, star_i = 0;
    size_t pi = 0, plen = strlen(p);
    /* iterative wildcard match with single backtrack point: linear in practice */
    while (i < s.len) {
        if (pi < plen && p[pi] == '*') {
            star_p = pi++;
            star_i = i;
        } else if (pi < plen && p[pi] == s.base[i]) {
            ++pi;
            ++i;
        } else if (star_p != SIZE_MAX) {
            pi = star_p + 1;
            i = ++star_i;
        } else {
            return false;
        }
    }
    while (pi < plen && p[pi] == '*')
        ++pi;
    return pi == plen;
}

static bool matches(const struct conf_route *r, struct bytes type)
{
    return strchr(r->pattern, '*') == NULL ? bytes_eq_str(type, r->pattern)
                                           : route_glob_match(r->pattern, type);
}

const struct conf_route *route_match(const struct route_table *t, struct bytes type)
{
    for (size_t i = 0; i != t->n; ++i)
        if (matches(t->order[i], type))
            return t->order[i];
    return NULL;
}

/* Whether route a matches every type that route b matches. With '*' the only wildcard, it
 * does exactly when a matches b's pattern read as a type in which each '*' is a byte c that a
 * does not contain: a's literals cannot take c, so each c lies inside a run one of a's '*'
 * takes, and that run takes whatever b's '*' stands for as well. */
static bool covers(const struct conf_route *a, const struct conf_route *b)
{
    unsigned char c = 1;
    while (c != 0 && strchr(a->pattern, c) != NULL)
        ++c;
    if (c == 0)
        return false; /* a holds every byte: no such witness (never a real pattern) */
    size_t len = strlen(b->pattern);
    char buf[512], *w = len < sizeof(buf) ? buf : malloc(len + 1);
    if (w == NULL)
        return false;
    for (size_t i = 0; i <= len; ++i)
        w[i] = b->pattern[i] == '*' ? (char)c : b->pattern[i];
    bool r = matches(a, (struct bytes){w, len});
    if (w != buf)
        free(w);
    return r;
}

const struct conf_route *route_shadowed_by(const struct route_table *t, size_t i)
{
    for (size_t j = 0; j < i && i < t->n; ++j)
        if (covers(t->order[j], t->order[i]))
            return t->order[j];
    return NULL;
}

const struct conf_route *const *route_table_order(const struct route_table *t, size_t *n)
{
    *n = t->n;
    return t->order;
}

void route_table_destroy(struct route_table *t)
{
    if (t == NULL)
        return;
    free(t->order);
    free(t);
}
