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

const struct conf_route *route_match(const struct route_table *t, struct bytes type)
{
    for (size_t i = 0; i != t->n; ++i) {
        const struct conf_route *r = t->order[i];
        if (strchr(r->pattern, '*') == NULL ? bytes_eq_str(type, r->pattern)
                                            : route_glob_match(r->pattern, type))
            return r;
    }
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
