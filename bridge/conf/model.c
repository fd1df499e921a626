/*
 * The loaded model: freeing it, finding a source, which librdkafka properties are secret, and
 * the facts derived from it that more than one layer needs: the routes in match order
 * (the router matches in it, --check-config prints it) and the topics the config routes to
 * (topic creation, the embedded cluster, the producer's warm-up).
 * Each is computed here once, so two readers cannot disagree.
 * Rejected: the router owning the order and --check-config asking it; conf/ sits below the
 * pipeline, so its printer could not call the router without a callback threaded through.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "conf/internal.h"

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

static void free_cidrs(struct conf_cidr *c, size_t n)
{
    for (size_t i = 0; i != n; ++i)
        free(c[i].text);
    free(c);
}

static void free_source(struct conf_source *s)
{
    free(s->name);
    free(s->path);
    free(s->verify.header);
    free(s->verify.prefix);
    for (size_t i = 0; i != s->verify.nsecrets; ++i) {
        struct conf_secret *sec = &s->verify.secrets[i];
        if (sec->value != NULL)
            explicit_bzero(sec->value, sec->len);
        free(sec->value);
        free(sec->file);
    }
    free(s->verify.secrets);
    free(s->type.value);
    free(s->id.value);
    free(s->time.value);
    for (size_t i = 0; i != s->nkey; ++i)
        free(s->key[i]);
    free(s->key);
    for (size_t i = 0; i != s->nkeep_headers; ++i)
        free(s->keep_headers[i]);
    free(s->keep_headers);
    free(s->ce_source);
    free(s->dead_letter_topic);
    free_cidrs(s->allow_from, s->nallow_from);
    for (size_t i = 0; i != s->nroutes; ++i) {
        struct conf_route *r = &s->routes[i];
        free(r->pattern);
        for (size_t j = 0; j != r->ntopics; ++j)
            free(r->topics[j]);
        free(r->topics);
    }
    free(s->routes);
}

void conf_free(struct bridge_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->file);
    free(cfg->listen);
    free(cfg->admin_listen);
    free(cfg->tls_cert_file);
    free(cfg->tls_key_file);
    free(cfg->kafka.brokers);
    for (size_t i = 0; i != cfg->kafka.nprops; ++i) {
        struct conf_kv *kv = &cfg->kafka.props[i];
        if (kv->value != NULL && kv->key != NULL && conf_prop_is_secret(kv->key))
            explicit_bzero(kv->value, strlen(kv->value));
        free(kv->key);
        free(kv->value);
    }
    free(cfg->kafka.props);
    free(cfg->dead_letter_topic);
    free_cidrs(cfg->trusted_proxies, cfg->ntrusted_proxies);
    for (size_t i = 0; i != cfg->nsources; ++i)
        free_source(&cfg->sources[i]);
    free(cfg->sources);
    free(cfg->topics);
    for (size_t i = 0; i != cfg->nwarnings; ++i)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg->warning_pos);
    for (size_t i = 0; i != cfg->nfiles; ++i)
        free(cfg->files[i]);
    free(cfg->files);
    free(cfg);
}

const struct conf_source *conf_find_source(const struct bridge_config *cfg, const char *path,
                                           size_t len)
{
    if (cfg == NULL || path == NULL)
        return NULL;
    for (size_t i = 0; i != cfg->nsources; ++i) {
        const char *p = cfg->sources[i].path;
        if (p != NULL && strlen(p) == len && memcmp(p, path, len) == 0)
            return &cfg->sources[i];
    }
    return NULL;
}

bool conf_prop_is_secret(const char *key)
{
    static const char *const words[] = {"password", "secret", "ssl.key.pem",
                                        "sasl.oauthbearer.config", "ssl_key"};
    for (size_t i = 0; i != sizeof(words) / sizeof(words[0]); ++i)
        if (strstr(key, words[i]) != NULL)
            return true;
    return false;
}
