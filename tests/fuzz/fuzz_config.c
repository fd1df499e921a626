/*
 * Fuzz target for the YAML configuration loader: conf_load_string() on the raw input (YAML
 * syntax, the schema, ${VAR} expansion, file:line:col errors), then what the daemon does with
 * a config it accepted: conf_print() (--check-config), a verifier and a route table per
 * source. runtime_create() is deliberately not called: it registers metric series per source
 * name in a process-wide registry, which would grow without bound across inputs.
 *
 * Invariants checked: an error message is NUL-terminated inside its buffer and non-empty; a
 * loaded config has every field the header promises (listen addresses, source names and
 * paths starting with '/', routes with topics).
 */
#include <string.h>

#include "conf/config.h"
#include "fuzz.h"
#include "pipeline/route.h"
#include "pipeline/verify.h"

static FILE *devnull;

static void init(void)
{
    /* Variables the corpus refers to, so that both the set and the unset paths of ${VAR} and
     * ${VAR:-default} run. */
    setenv("FUZZ_SECRET", "fuzz-secret-value", 1);
    setenv("FUZZ_EMPTY", "", 1);
    setenv("FUZZ_PORT", "8080", 1);
    setenv("FUZZ_YAML", "{a: [1, 2]}", 1);
    unsetenv("FUZZ_UNSET");
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL)
        abort();
}

static void check_source(const struct bridge_config *cfg, const struct conf_source *src)
{
    FUZZ_ASSERT(src->name != NULL);
    FUZZ_ASSERT(src->path != NULL && src->path[0] == '/');
    for (size_t i = 0; i != src->verify.nsecrets; ++i)
        FUZZ_ASSERT(src->verify.secrets[i].value != NULL && src->verify.secrets[i].len != 0);
    for (size_t i = 0; i != src->nroutes; ++i) {
        FUZZ_ASSERT(src->routes[i].pattern != NULL);
        FUZZ_ASSERT(src->routes[i].ntopics != 0);
        for (size_t j = 0; j != src->routes[i].ntopics; ++j)
            FUZZ_ASSERT(src->routes[i].topics[j] != NULL);
    }
    FUZZ_ASSERT(conf_find_source(cfg, src->path, strlen(src->path)) != NULL);

    struct conf_error err;
    err.msg[0] = '\0';
    struct verifier *v =
        verifier_create(cfg->file, src, cfg->trusted_proxies, cfg->ntrusted_proxies, &err);
    if (v == NULL)
        FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) != NULL && err.msg[0] != '\0');
    verifier_destroy(v);

    struct route_table *t = route_table_create(src->routes, src->nroutes);
    if (t != NULL) {
        static const char *const types[] = {"mono.events.account_connected",
                                            "direct_debit.payment_failed", "", "*", "a.b.c"};
        for (size_t i = 0; i != sizeof types / sizeof types[0]; ++i)
            route_match(t, bytes_str(types[i]));
        for (size_t i = 0; i != src->nroutes; ++i) {
            /* every literal pattern routes to a route (itself or an earlier exact twin) */
            if (strchr(src->routes[i].pattern, '*') == NULL)
                FUZZ_ASSERT(route_match(t, bytes_str(src->routes[i].pattern)) != NULL);
        }
        size_t n;
        const struct conf_route *const *order = route_table_order(t, &n);
        FUZZ_ASSERT(n == src->nroutes);
        for (size_t i = 0; i != n; ++i) {
            /* a route said never to match: its own pattern, read as a type, goes elsewhere */
            const struct conf_route *by = route_shadowed_by(t, i);
            if (by != NULL)
                FUZZ_ASSERT(by != order[i] &&
                            route_match(t, bytes_str(order[i]->pattern)) != order[i]);
        }
    }
    route_table_destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (devnull == NULL)
        init();

    struct bridge_config *cfg = NULL;
    struct conf_error err;
    memset(err.msg, 'X', sizeof err.msg);
    int r = conf_load_string("fuzz.yaml", (const char *)data, size, &cfg, &err);
    if (r != 0) {
        FUZZ_ASSERT(r == -1 && cfg == NULL);
        FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) != NULL);
        FUZZ_ASSERT(strncmp(err.msg, "fuzz.yaml", 9) == 0);
        return 0;
    }
    FUZZ_ASSERT(cfg != NULL);
    FUZZ_ASSERT(cfg->listen != NULL && cfg->admin_listen != NULL);
    for (size_t i = 0; i != cfg->nsources; ++i)
        check_source(cfg, &cfg->sources[i]);
    conf_print(cfg, devnull);
    conf_free(cfg);
    return 0;
}
