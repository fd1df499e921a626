/*
 * Route table: the routes sorted once into match order, exact patterns first, then globs by
 * descending literal-prefix length, then the catch-alls. Matching walks that order and stops at
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

static size_t literal_prefix(const char *pattern)
{
    const char *star = strchr(pattern, '*');
    return star == NULL ? strlen(pattern) : (size_t)(star - pattern);
}

/* rank: 0 exact, 1 glob, 2 pattern made only of '*' */
static int rank(const char *pattern)
{
    if (strchr(pattern, '*') == NULL)
        return 0;
    return strspn(pattern, "*") == strlen(pattern) ? 2 : 1;
}

struct route_table *route_table_create(const struct conf_route *routes, size_t n)
{
    struct route_table *t = calloc(1, sizeof(*t));
    if (t == NULL || (n != 0 && (t->order = calloc(n, sizeof(*t->order))) == NULL)) {
        free(t);
        return NULL;
    }
    /* a stable insertion sort: keeps file order among equals */
    for (size_t i = 0; i != n; ++i) {
        const struct conf_route *r = &routes[i];
        int rk = rank(r->pattern);
        size_t lp = literal_prefix(r->pattern);
        size_t j = t->n;
        while (j != 0) {
            const struct conf_route *q = t->order[j - 1];
            int qk = rank(q->pattern);
            if (qk < rk || (qk == rk && (rk != 1 || literal_prefix(q->pattern) >= lp)))
                break;
            t->order[j] = q;
            --j;
        }
        t->order[j] = r;
        ++t->n;
    }
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
