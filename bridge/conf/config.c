/*
 * The public entry points of conf/: reading the file, error formatting, freeing, lookup.
 * The work itself is split by concern: yaml_tree.c (syntax), env.c (${VAR}), schema.c (the
 * table of keys), load.c (tree -> struct bridge_config), print.c (output).
 *
 * The whole file is read into memory before parsing instead of handing libyaml a FILE *, so
 * conf_load() and conf_load_string() share one path and reader errors (which libyaml reports
 * as a byte offset) can be turned into a line and column.
 */
#include "conf/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"
#include "conf/yaml_tree.h"

#define MAX_CONFIG_BYTES (16u * 1024 * 1024)

int conf_errorf(struct conf_error *e, const char *file, const struct conf_pos *pos, const char *key,
                const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    size_t size = sizeof(e->msg), n;
    int r;
    if (file == NULL)
        file = "(config)";
    if (pos != NULL && pos->line != 0)
        r = snprintf(e->msg, size, "%s:%u:%u: ", file, pos->line, pos->col);
    else
        r = snprintf(e->msg, size, "%s: ", file);
    n = r < 0 ? 0 : (size_t)r < size ? (size_t)r : size - 1;
    if (key != NULL && key[0] != '\0') {
        r = snprintf(e->msg + n, size - n, "%s: ", key);
        n = r < 0 ? n : n + (size_t)r < size ? n + (size_t)r : size - 1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, size - n, fmt, ap);
    va_end(ap);
    return -1;
}

void conf_warnf(struct bridge_config *cfg, const struct conf_pos *pos, const char *key,
                const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct conf_error e;
    conf_errorf(&e, cfg->file, pos, key, "warning: %s", msg);
    char **w = realloc(cfg->warnings, (cfg->nwarnings + 1) * sizeof(*w));
    if (w == NULL)
        return; /* a warning lost to memory pressure stops nothing */
    cfg->warnings = w;
    if ((w[cfg->nwarnings] = strdup(e.msg)) != NULL)
        ++cfg->nwarnings;
}

int conf_read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    *out = NULL;
    *len = 0;
    if (f == NULL)
        return errno;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap == 0 ? 8192 : cap * 2;
            char *p = realloc(buf, cap + 1);
            if (p == NULL) {
                r = ENOMEM;
                break;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            r = EFBIG;
            break;
        }
        if (got == 0) {
            if (ferror(f))
                r = errno != 0 ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (r != 0) {
        free(buf);
        return r;
    }
    if (buf == NULL && (buf = malloc(1)) == NULL)
        return ENOMEM;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int conf_load_string(const char *name, const char *text, size_t len, struct bridge_config **out,
                     struct conf_error *err)
{
    struct ynode *root = NULL;
    struct conf_error scratch;

    if (err == NULL)
        err = &scratch;
    if (name == NULL)
        name = "(config)";
    if (text == NULL)
        text = "";
    *out = NULL;
    if (ynode_parse(name, text, len, &root, err) != 0)
        return -1;
    int r = conf_from_tree(name, root, out, err);
    ynode_free(root);
    return r;
}

int conf_load(const char *path, struct bridge_config **out, struct conf_error *err)
{
    char *text;
    size_t len;

    *out = NULL;
    errno = 0;
    int e = conf_read_file(path, MAX_CONFIG_BYTES, &text, &len);
    if (e == EFBIG)
        return conf_errorf(err, path, NULL, NULL, "file is larger than %u bytes", MAX_CONFIG_BYTES);
    if (e != 0)
        return conf_errorf(err, path, NULL, NULL, "cannot open: %s", strerror(e));
    int r = conf_load_string(path, text, len, out, err);
    free(text);
    return r;
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
