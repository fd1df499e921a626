/*
 * Facts derived from a loaded config that more than one layer needs: the routes in match order
 * (the router matches in it, --check-config prints it) and the topics the config routes to
 * (topic creation, the embedded cluster, the producer's warm-up and the per-topic metrics).
 * Each is computed here once, so two readers cannot disagree.
 * Rejected: the router owning the order and --check-config asking it; conf/ sits below the
 * pipeline, so its printer could not call the router without a callback threaded through.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

static size_t literal_prefix(const char *pattern)
{
    return strcspn(pattern, "*");
}

/* 0 exact, 1 glob, 2 pattern made only of '*' (a catch-all) */
static int rank(const char *pattern)
{
    if (strchr(pattern, '*') == NULL)
        return 0;
    return strspn(pattern, "*") == strlen(pattern) ? 2 : 1;
}

void conf_route_order(const struct conf_route *routes, size_t n, const struct conf_route **order)
{
    /* a stable insertion sort: keeps file order among equals; route tables are small */
    for (size_t i = 0; i != n; ++i) {
        const struct conf_route *r = &routes[i];
        int rk = rank(r->pattern);
        size_t lp = literal_prefix(r->pattern);
        size_t j = i;
        while (j != 0) {
            const struct conf_route *q = order[j - 1];
            int qk = rank(q->pattern);
            if (qk < rk || (qk == rk && (rk != 1 || literal_prefix(q->pattern) >= lp)))
                break;
            order[j] = q;
            --j;
        }
        order[j] = r;
    }
}

static bool has_topic(const struct bridge_config *cfg, const char *t)
{
    for (size_t i = 0; i != cfg->ntopics; ++i)
        if (strcmp(cfg->topics[i], t) == 0)
            return true;
    return false;
}

int conf_collect_topics(struct bridge_config *cfg)
{
    free(cfg->topics);
    cfg->topics = NULL;
    cfg->ntopics = 0;
    size_t cap = 0;
    for (size_t s = 0; s != cfg->nsources; ++s) {
        for (size_t r = 0; r != cfg->sources[s].nroutes; ++r)
            cap += cfg->sources[s].routes[r].ntopics;
        ++cap; /* its dead-letter topic */
    }
    if (cap == 0)
        return 0;
    if ((cfg->topics = calloc(cap, sizeof(*cfg->topics))) == NULL)
        return -1;
    for (size_t s = 0; s != cfg->nsources; ++s) {
        const struct conf_source *src = &cfg->sources[s];
        for (size_t r = 0; r != src->nroutes; ++r)
            for (size_t t = 0; t != src->routes[r].ntopics; ++t)
                if (!has_topic(cfg, src->routes[r].topics[t]))
                    cfg->topics[cfg->ntopics++] = src->routes[r].topics[t];
        /* the top-level dead_letter_topic counts through the sources that inherit it */
        if (src->dead_letter_topic != NULL && !has_topic(cfg, src->dead_letter_topic))
            cfg->topics[cfg->ntopics++] = src->dead_letter_topic;
    }
    return 0;
}
