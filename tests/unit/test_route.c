/* Route matching: exact beats glob, longer literal prefix beats shorter, "*" last; fan-out. */
#include "check.h"
#include "pipeline/route.h"

static char *t1[] = {"membership.account-connected"};
static char *t2[] = {"membership.account-events"};
static char *t3[] = {"payments.payment-succeeded", "notifications.payment-succeeded"};
static char *t4[] = {"webhooks.unrouted"};
static char *t5[] = {"mono.events"};
static char *t6[] = {"mid.glob"};

static const char *topic_of(const struct route_table *t, const char *type)
{
    const struct conf_route *r = route_match(t, bytes_str(type));
    return r == NULL ? "(none)" : r->topics[0];
}

static void test_match_order(void)
{
    /* written in an order that differs from match order on purpose */
    struct conf_route routes[] = {
        {"*", t4, 1, {9, 7, NULL}},
        {"mono.events.*", t5, 1, {4, 7, NULL}},
        {"mono.events.account_*", t2, 1, {3, 7, NULL}},
        {"mono.events.account_connected", t1, 1, {2, 7, NULL}},
        {"direct_debit.payment_successful", t3, 2, {5, 7, NULL}},
        {"mono.*.jobs*", t6, 1, {6, 7, NULL}},
    };
    struct route_table *t = route_table_create(routes, sizeof(routes) / sizeof(routes[0]));
    CHECK(t != NULL);
    CHECK_STR(topic_of(t, "mono.events.account_connected"), "membership.account-connected");
    CHECK_STR(topic_of(t, "mono.events.account_updated"), "membership.account-events");
    CHECK_STR(topic_of(t, "mono.events.reauthorisation_required"), "mono.events");
    CHECK_STR(topic_of(t, "mono.accounts.jobs.update"), "mid.glob");
    CHECK_STR(topic_of(t, "something.else"), "webhooks.unrouted");
    CHECK_STR(topic_of(t, ""), "webhooks.unrouted");
    /* exact means exact: a longer or shorter type is not the exact route */
    CHECK_STR(topic_of(t, "mono.events.account_connected2"), "membership.account-events");
    CHECK_STR(topic_of(t, "direct_debit.payment_successfu"), "webhooks.unrouted");
    const struct conf_route *fan = route_match(t, bytes_str("direct_debit.payment_successful"));
    CHECK(fan != NULL && fan->ntopics == 2);

    size_t n;
    const struct conf_route *const *order = route_table_order(t, &n);
    CHECK(n == 6);
    CHECK_STR(order[0]->pattern, "mono.events.account_connected");
    CHECK_STR(order[1]->pattern, "direct_debit.payment_successful");
    CHECK_STR(order[2]->pattern, "mono.events.account_*");
    CHECK_STR(order[3]->pattern, "mono.events.*");
    CHECK_STR(order[4]->pattern, "mono.*.jobs*");
    CHECK_STR(order[5]->pattern, "*");
    route_table_destroy(t);
}

static void test_file_order_breaks_ties(void)
{
    /* equal literal prefixes: file order decides */
    struct conf_route tie[] = {{"a.*.x", t1, 1, {1, 1, NULL}}, {"a.*", t2, 1, {2, 1, NULL}}};
    struct route_table *t = route_table_create(tie, 2);
    CHECK_STR(topic_of(t, "a.b.x"), "membership.account-connected");
    CHECK_STR(topic_of(t, "a.b.y"), "membership.account-events");
    route_table_destroy(t);
}

static void test_no_catch_all(void)
{
    /* no catch-all: no match */
    struct conf_route only[] = {{"a", t1, 1, {1, 1, NULL}}};
    struct route_table *t = route_table_create(only, 1);
    CHECK(route_match(t, bytes_str("b")) == NULL);
    route_table_destroy(t);
}

/* A route an earlier one (in match order) always beats, found with the router's own rules:
 * what --check-config warns about. */
static void test_shadowed(void)
{
    struct conf_route dead[] = {
        {"a.*", t1, 1, {1, 1, NULL}},    /* order 1 (prefix "a.", written first) */
        {"a.*.x", t2, 1, {2, 1, NULL}},  /* order 2: a.* takes every a.?.x */
        {"a.b*", t3, 1, {3, 1, NULL}},   /* order 0 (prefix "a.b"): reachable */
        {"b*c*d", t4, 1, {4, 1, NULL}},  /* order 3 */
        {"b*d", t5, 1, {5, 1, NULL}},    /* order 4: b*c*d does not take "bd" */
        {"*", t6, 1, {6, 1, NULL}},      /* order 6 */
        {"**", t6, 1, {7, 1, NULL}},     /* order 7: "*" takes everything */
        {"b*c*d*", t4, 1, {8, 1, NULL}}, /* order 5: b*c*d does not take "bcdx" */
        {"exact", t1, 1, {9, 1, NULL}},  /* exact: never beaten */
    };
    struct route_table *t = route_table_create(dead, 9);
    size_t n;
    const struct conf_route *const *order = route_table_order(t, &n);
    CHECK(n == 9);
    const char *by[9] = {0};
    for (size_t i = 0; i != n; ++i) {
        const struct conf_route *b = route_shadowed_by(t, i);
        for (size_t j = 0; j != 9; ++j)
            if (order[i] == &dead[j])
                by[j] = b != NULL ? b->pattern : "";
    }
    static const char *const want[9] = {"", "a.*", "", "", "", "", "*", "", ""};
    for (size_t j = 0; j != 9; ++j)
        CHECK_STR(by[j], want[j]);
    /* what the warning claims: an a.?.x type goes to a.*, never to a.*.x */
    CHECK_STR(topic_of(t, "a.q.x"), "membership.account-connected");
    CHECK(route_shadowed_by(t, 9) == NULL);
    route_table_destroy(t);
}

static void test_glob(void)
{
    CHECK(route_glob_match("a*b*c", bytes_str("aXXbYYc")));
    CHECK(!route_glob_match("a*b*c", bytes_str("aXXbYY")));
    CHECK(route_glob_match("**", bytes_str("")));
    CHECK(!route_glob_match("a", bytes_str("")));
    CHECK(route_glob_match("*.x", bytes_str("y.x.x")));
    route_table_destroy(NULL);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_match_order);
    CHECK_RUN(test_file_order_breaks_ties);
    CHECK_RUN(test_no_catch_all);
    CHECK_RUN(test_shadowed);
    CHECK_RUN(test_glob);
    return check_done();
}
