/*
 * Routing: picks the route (and so the topics) for an event type. Precedence: an exact pattern
 * beats any glob; among globs the longer literal prefix (the text before the first '*') wins,
 * ties go to the one written first; "*" matches last. Pure; built once per config, read-only
 * after, so any thread may match.
 */
#ifndef BRIDGE_PIPELINE_ROUTE_H
#define BRIDGE_PIPELINE_ROUTE_H

#include "conf/config.h"
#include "core/bytes.h"

struct route_table;

/* Builds the table over `routes`, which it borrows: they must outlive the table (both belong
 * to one loaded config). Returns NULL on allocation failure. */
struct route_table *route_table_create(const struct conf_route *routes, size_t n);

/* The route for `type`, or NULL when nothing matches (no "*" route). */
const struct conf_route *route_match(const struct route_table *t, struct bytes type);

/* The routes in match order (conf_route_order, the order --check-config prints; --asyncapi
 * lists them so); *n gets their count. */
const struct conf_route *const *route_table_order(const struct route_table *t, size_t *n);

/* The route that makes order[i] (of the table's match order) unreachable: an earlier route
 * that matches every event type order[i] matches, so order[i] never wins; NULL when there is
 * none (order[i] may still be reached only by types no earlier single route takes). Decided
 * with route_match's own rules. Any thread. */
const struct conf_route *route_shadowed_by(const struct route_table *t, size_t i);

/* Glob match where '*' matches any run of bytes (dots included). */
bool route_glob_match(const char *pattern, struct bytes s);

/* NULL is fine. */
void route_table_destroy(struct route_table *t);

#endif
