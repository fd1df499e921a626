/*
 * Tree -> struct bridge_config, driven by the schema table.
 *
 * A section (the top level, kafka, a source, its verify block, ...) is loaded in two passes:
 * first every key present in the file, in file order, each looked up in the table (not found:
 * "unknown key") and stored by the handler of its type; then every table row under the
 * section that the file did not mention, which is either an error (required) or its default,
 * fed through the same handler as if it had been written in the file. Rules that tie several
 * keys together (tls both-or-neither, scheme none needs insecure, inheritance of the
 * dead-letter topic) run after their section is complete, in finish_*().
 *
 * Every error is reported, in file order: a bad key is reported and the walk goes on with the
 * next key, item or source. What would only report consequences of an error is skipped: the
 * rules across a section's keys run on a section that loaded cleanly, and the rules across
 * sections on a config with no error at all. Values are ${VAR}-expanded as they are
 * read; messages quote the text as written in the file, never the expansion, so a secret
 * in the environment cannot leak through an error message.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"
#include "conf/loader.h"
#include "conf/merge.h"
#include "conf/value.h"

static void describe(const struct conf_schema *s, char *buf, size_t size)
{
    static const char *const names[] = {
        [CONF_T_STRING] = "a string",
        [CONF_T_PATH] = "a path",
        [CONF_T_ADDRESS] = "host:port",
        [CONF_T_BROKERS] = "a broker list",
        [CONF_T_UINT] = "an integer",
        [CONF_T_INT] = "an integer",
        [CONF_T_SIZE] = "a size in bytes",
        [CONF_T_BOOL] = "true or false",
        [CONF_T_TOPIC] = "a topic name",
        [CONF_T_HEADER] = "a header name",
        [CONF_T_FIELD] = "a JSON pointer or header name",
    };
    if (s->type == CONF_T_ENUM) {
        size_t n = (size_t)snprintf(buf, size, "one of ");
        for (const struct conf_enum_value *v = s->values; v->name != NULL && n < size; ++v)
            n += (size_t)snprintf(buf + n, size - n, "%s%s", v == s->values ? "" : ", ", v->name);
        return;
    }
    snprintf(buf, size, "%s",
             s->type < sizeof(names) / sizeof(names[0]) && names[s->type] != NULL ? names[s->type]
                                                                                  : "a value");
}

static int load_integer(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                        const char *t, size_t len, long long *out)
{
    char q[128];
    size_t i = 0;
    bool neg = false, over = false;
    unsigned long long v = 0;

    if (i < len && (t[i] == '-' || t[i] == '+'))
        neg = t[i++] == '-';
    if (i == len || t[i] < '0' || t[i] > '9')
        goto bad;
    for (; i < len && t[i] >= '0' && t[i] <= '9'; ++i) {
        if (v > (ULLONG_MAX - 9) / 10)
            over = true;
        else
            v = v * 10 + (unsigned long long)(t[i] - '0');
    }
    if (s->type == CONF_T_SIZE && i < len) {
        static const struct {
            const char *suffix;
            unsigned long long mult;
        } units[] = {{"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}};
        if (t[i] == ' ')
            ++i;
        size_t k = 0;
        while (k != 3 && !(len - i == 3 && memcmp(t + i, units[k].suffix, 3) == 0))
            ++k;
        if (k == 3)
            goto bad;
        if (v > ULLONG_MAX / units[k].mult)
            over = true;
        else
            v *= units[k].mult;
        i = len;
    }
    if (i != len)
        goto bad;
    if (over || v > (unsigned long long)LLONG_MAX)
        return loader_fail(l, &n->pos, "%s is out of range (%lld..%lld)",
                           loader_shown(n, q, sizeof(q)), s->min, s->max);
    long long sv = neg ? -(long long)v : (long long)v;
    if (sv < s->min || sv > s->max)
        return loader_fail(l, &n->pos, "%lld is out of range (%lld..%lld)", sv, s->min, s->max);
    *out = sv;
    return 0;
bad:
    return loader_fail(l, &n->pos, "expected %s, got %s",
                       s->type == CONF_T_SIZE ? "a size in bytes (optionally with KiB, MiB or GiB)"
                                              : "an integer",
                       loader_shown(n, q, sizeof(q)));
}

static void lowercase(char *s)
{
    for (; *s != '\0'; ++s)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + ('a' - 'A'));
}

/* Validates the expanded text t (owned: stored or freed) of node n for row s into field. */
static int store_scalar(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                        char *t, size_t len, void *field)
{
    char q[128], expected[256];
    const char *why = NULL, *what = NULL;
    long long v = 0;

    switch (s->type) {
    case CONF_T_STRING:
        if (len == 0 && !(s->flags & CONF_F_EMPTY_OK)) {
            why = "must not be empty";
            break;
        }
        loader_set_str(field, t);
        return 0;
    case CONF_T_PATH:
        what = "path";
        if ((why = conf_check_path(t, len)) == NULL) {
            loader_set_str(field, t);
            return 0;
        }
        break;
    case CONF_T_ADDRESS:
        what = "address";
        if ((why = conf_check_hostport(t, len)) == NULL) {
            loader_set_str(field, t);
            return 0;
        }
        break;
    case CONF_T_TOPIC:
        if (len == 0 && (s->flags & CONF_F_NULLABLE)) {
            free(t);
            loader_set_str(field, NULL);
            return 0;
        }
        what = "topic name";
        if ((why = conf_check_topic(t, len)) == NULL) {
            loader_check_internal_topic(l, n, t);
            loader_set_str(field, t);
            return 0;
        }
        break;
    case CONF_T_HEADER:
        what = "header name";
        if ((why = conf_check_header_name(t, len)) == NULL) {
            lowercase(t);
            loader_set_str(field, t);
            return 0;
        }
        break;
    case CONF_T_FIELD: {
        struct conf_field *f = field;
        if (len == 0 && (s->flags & CONF_F_NULLABLE)) {
            free(t);
            loader_set_str(&f->value, NULL);
            f->from = FIELD_ABSENT;
            f->pos = n->pos;
            return 0;
        }
        if (len == 0) {
            why = "must not be empty";
            break;
        }
        bool pointer = t[0] == '/';
        what = pointer ? "JSON pointer" : "header name";
        why = pointer ? conf_check_json_pointer(t, len) : conf_check_header_name(t, len);
        if (why != NULL)
            break;
        if (!pointer)
            lowercase(t);
        loader_set_str(&f->value, t);
        f->from = pointer ? FIELD_POINTER : FIELD_HEADER;
        f->pos = n->pos;
        return 0;
    }
    case CONF_T_UINT:
    case CONF_T_INT:
    case CONF_T_SIZE:
        if (load_integer(l, s, n, t, len, &v) != 0) {
            free(t);
            return -1;
        }
        free(t);
        if (s->type == CONF_T_UINT)
            *(unsigned *)field = (unsigned)v;
        else if (s->type == CONF_T_INT)
            *(int *)field = (int)v;
        else
            *(size_t *)field = (size_t)v;
        return 0;
    case CONF_T_BOOL:
        if (strcmp(t, "true") == 0 || strcmp(t, "false") == 0) {
            *(bool *)field = t[0] == 't';
            free(t);
            return 0;
        }
        free(t);
        return loader_fail(l, &n->pos, "expected true or false, got %s",
                           loader_shown(n, q, sizeof(q)));
    case CONF_T_ENUM:
        for (const struct conf_enum_value *e = s->values; e->name != NULL; ++e)
            if (strcmp(e->name, t) == 0) {
                *(int *)field = e->value;
                free(t);
                return 0;
            }
        free(t);
        describe(s, expected, sizeof(expected));
        return loader_fail(l, &n->pos, "unknown value %s (expected %s)",
                           loader_shown(n, q, sizeof(q)), expected);
    default:
        free(t);
        return loader_fail(l, &n->pos, "internal error: type %d is not a scalar", (int)s->type);
    }
    free(t);
    if (what != NULL)
        return loader_fail(l, &n->pos, "invalid %s %s: %s", what, loader_shown(n, q, sizeof(q)),
                           why);
    return loader_fail(l, &n->pos, "%s", why);
}

static int load_scalar(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                       void *field)
{
    char expected[256], *t;
    size_t len;
    describe(s, expected, sizeof(expected));
    int r = loader_get_scalar(l, s, n, expected, &t, &len);
    if (r < 0)
        return -1;
    if (r == 1) { /* null: "none" */
        if (s->type == CONF_T_FIELD) {
            struct conf_field *f = field;
            loader_set_str(&f->value, NULL);
            f->from = FIELD_ABSENT;
            f->pos = n->pos;
        } else {
            loader_set_str(field, NULL);
        }
        return 0;
    }
    return store_scalar(l, s, n, t, len, field);
}

static int load_section(struct loader *l, const char *spath, const struct ynode *n,
                        const struct conf_pos *keypos, void *base);
static int load_sources(struct loader *l, const struct ynode *n);

static int load_value(struct loader *l, const struct conf_schema *s, const struct ynode *n,
                      const struct conf_pos *keypos, void *base)
{
    void *field = (char *)base + s->offset;
    size_t *count = (size_t *)((char *)base + s->count_offset);

    switch (s->type) {
    case CONF_T_SECTION:
        return load_section(l, s->path, n, keypos, base);
    case CONF_T_SOURCES:
        return load_sources(l, n);
    case CONF_T_BROKERS:
        return loader_brokers(l, s, n);
    case CONF_T_ROUTES:
        return loader_routes(l, n, field, count);
    case CONF_T_POINTERS:
        return loader_pointers(l, n, field, count);
    case CONF_T_HEADERS:
        return loader_headers(l, n, field, count);
    case CONF_T_CIDRS:
        return loader_cidrs(l, n, field, count);
    case CONF_T_SECRETS:
    case CONF_T_SECRET_FILES:
        return loader_secrets(l, s, n, field, count);
    case CONF_T_PROPS:
        return loader_props(l, n, field, count);
    default:
        return load_scalar(l, s, n, field);
    }
}

/* The edit distance between a and b (insertions, deletions, substitutions and swaps of two
 * neighbours, each 1), or a number larger than max once it exceeds max. Keys are short. */
static size_t distance(const char *a, size_t alen, const char *b, size_t blen, size_t max)
{
    size_t d[3][64], *prev2 = d[0], *prev = d[1], *cur = d[2];
    if (alen >= 64 || blen >= 64)
        return max + 1;
    for (size_t j = 0; j <= blen; ++j)
        prev[j] = j;
    for (size_t i = 1; i <= alen; ++i) {
        size_t best = cur[0] = i;
        for (size_t j = 1; j <= blen; ++j) {
            size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c)
                c = prev[j] + 1;
            if (cur[j - 1] + 1 < c)
                c = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < c)
                c = prev2[j - 2] + 1;
            cur[j] = c;
            if (c < best)
                best = c;
        }
        if (best > max)
            return max + 1;
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[blen];
}

/* The key of section spath nearest to (key, len), close enough to be a typo of it; NULL when
 * none is. A key of n bytes may be n / 4 edits away (at least 1, at most 3). */
static const char *nearest_key(const char *spath, const char *key, size_t len)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i != conf_schema_len; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        if (!conf_schema_is_child(s, spath))
            continue;
        const char *k = conf_schema_key(s);
        size_t klen = strlen(k), max = klen / 4 < 1 ? 1 : klen / 4 > 3 ? 3 : klen / 4;
        size_t d = distance(key, len, k, klen, max);
        if (d <= max && d < best_d) {
            best = k;
            best_d = d;
        }
    }
    return best;
}

/* True when the key of pair i of map n appeared earlier in n: check_duplicates() has reported
 * it, and only the first is loaded. */
static bool repeated_key(const struct ynode *n, size_t i)
{
    const struct ynode *k = n->pairs[i].key;
    for (size_t j = 0; j != i; ++j) {
        const struct ynode *p = n->pairs[j].key;
        if (p->len == k->len && memcmp(p->text, k->text, k->len) == 0)
            return true;
    }
    return false;
}

/* Loads mapping n (NULL or null: absent) as the section spath of the table into base, then
 * the defaults of the keys it lacks. keypos locates the section's own key (NULL: top level).
 * A bad key is reported and the next one loaded; returns -1 when any key of the section (or
 * of a section under it) failed. */
static int load_section(struct loader *l, const char *spath, const struct ynode *n,
                        const struct conf_pos *keypos, void *base)
{
    size_t before = loader_nerrors(l);
    if (n != NULL && !ynode_is_null(n) && n->kind != YNODE_MAP)
        return loader_fail(l, &n->pos, "expected a mapping, got %s", ynode_kind_name(n));
    for (size_t i = 0; n != NULL && i < n->npairs && !l->fatal; ++i) {
        const struct ynode *k = n->pairs[i].key;
        if (repeated_key(n, i))
            continue;
        const struct conf_schema *s = conf_schema_child(spath, k->text, k->len);
        size_t old = loader_push_key(l, k->text, k->len);
        if (s == NULL) {
            const char *near = nearest_key(spath, k->text, k->len);
            if (near != NULL)
                loader_fail(l, &k->pos, "unknown key (did you mean %s?)", near);
            else
                loader_fail(l, &k->pos, "unknown key");
        } else {
            load_value(l, s, n->pairs[i].value, &k->pos, base);
        }
        loader_pop(l, old);
    }
    for (size_t i = 0; i != conf_schema_len && !l->fatal; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        const char *key = conf_schema_key(s);
        if (!conf_schema_is_child(s, spath) || ynode_find(n, key) != NULL)
            continue;
        size_t old = loader_push_key(l, key, strlen(key));
        if (s->flags & CONF_F_REQUIRED) {
            loader_fail(l, keypos, "required key is missing");
        } else if (s->type == CONF_T_SECTION) {
            load_section(l, s->path, NULL, keypos, base);
        } else if (s->def != NULL) {
            /* A default goes through the same checks as a written value, with no position. */
            struct ynode d = {.kind = YNODE_SCALAR, .text = (char *)s->def, .len = strlen(s->def)};
            load_scalar(l, s, &d, (char *)base + s->offset);
        }
        loader_pop(l, old);
    }
    return loader_nerrors(l) == before ? 0 : -1;
}

static bool source_name_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i != len; ++i)
        if (!loader_bare_key(s + i, 1) && s[i] != '.')
            return false;
    return true;
}

/* Inline secrets first, then those from files, each group in file order. */
static void order_secrets(struct conf_verify *v)
{
    for (size_t i = 1; i < v->nsecrets; ++i) {
        struct conf_secret x = v->secrets[i];
        size_t j = i;
        for (; j > 0 && x.file == NULL && v->secrets[j - 1].file != NULL; --j)
            v->secrets[j] = v->secrets[j - 1];
        v->secrets[j] = x;
    }
}

/* A short shared secret or HMAC key can be guessed: under 8 bytes it is refused unless the
 * operator says insecure: true, under 16 it loads with a warning. The message names the
 * secret's place and length, never its text. */
static int check_secret_lengths(struct loader *l, const struct conf_verify *v)
{
    size_t ninline = 0; /* inline secrets come first (order_secrets) */
    for (size_t i = 0; i != v->nsecrets; ++i) {
        const struct conf_secret *sec = &v->secrets[i];
        bool file = sec->file != NULL;
        ninline += !file;
        size_t old = loader_push_key(l, file ? "secret_files" : "secrets", file ? 12 : 7);
        loader_push_index(l, file ? i - ninline : i);
        if (sec->len < CONF_SECRET_MIN && !v->insecure)
            return loader_fail(l, &sec->pos,
                               "a secret of %zu bytes is too short to resist guessing: use at "
                               "least %d (%d or more recommended), or set insecure: true",
                               sec->len, CONF_SECRET_MIN, CONF_SECRET_GOOD);
        if (sec->len < CONF_SECRET_GOOD)
            loader_warn(l, &sec->pos, "a secret of %zu bytes is short; %d or more are recommended",
                        sec->len, CONF_SECRET_GOOD);
        loader_pop(l, old);
    }
    return 0;
}

static int finish_verify(struct loader *l, struct conf_source *src, const struct ynode *srcnode)
{
    const struct ynode_pair *vp = ynode_find(srcnode, "verify");
    const struct ynode *vn = vp->value;
    struct conf_verify *v = &src->verify;
    const char *scheme = conf_enum_name(conf_scheme_values, (int)v->scheme);
    size_t old = loader_push_key(l, "verify", 6);

    v->pos = vp->key->pos;
    order_secrets(v);
    for (size_t i = 0; i != conf_schema_len && v->scheme != VERIFY_SCHEME_HMAC; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        if (!(s->flags & CONF_F_HMAC_ONLY) || !conf_schema_is_child(s, "sources.*.verify"))
            continue;
        const struct ynode_pair *p = ynode_find(vn, conf_schema_key(s));
        if (p != NULL) {
            loader_push_key(l, p->key->text, p->key->len);
            return loader_fail(l, &p->key->pos, "applies only to scheme hmac (this scheme is %s)",
                               scheme);
        }
    }
    if (v->scheme == VERIFY_SCHEME_NONE) {
        const struct ynode_pair *p = ynode_find(vn, "scheme");
        if (!v->insecure) {
            loader_push_key(l, "scheme", 6);
            return loader_fail(l, &p->value->pos,
                               "scheme none accepts unauthenticated requests and requires "
                               "insecure: true");
        }
        if (v->nsecrets != 0) {
            p = ynode_find(vn, "secrets");
            if (p == NULL || ynode_is_null(p->value) || p->value->nitems == 0)
                p = ynode_find(vn, "secret_files");
            loader_push_key(l, p->key->text, p->key->len);
            return loader_fail(l, &p->key->pos, "scheme none takes no secrets");
        }
    } else {
        if (v->nsecrets == 0)
            return loader_fail(l, &v->pos,
                               "scheme %s requires at least one secret (secrets or secret_files)",
                               scheme);
        if (check_secret_lengths(l, v) != 0)
            return -1;
        if ((v->scheme == VERIFY_SCHEME_SHARED_SECRET || v->scheme == VERIFY_SCHEME_HMAC) &&
            v->header == NULL)
            return loader_fail(l, &v->pos, "scheme %s requires header", scheme);
    }
    loader_pop(l, old);
    return 0;
}

/* Whether a dead letter may keep request header `h` (lowercase): never the source's own
 * verification header, a header any scheme authenticates with, or one whose name says it holds
 * a credential; never a name the record itself uses (ce_*, dead_letter_*, content-type,
 * traceparent, which a dead letter keeps anyway). Returns why not, or NULL. */
static const char *keep_header_refused(const struct conf_source *src, const char *h)
{
    static const char *const schemes[] = {"stripe-signature", "webhook-signature",
                                          "svix-signature", "x-slack-signature",
                                          "x-hub-signature", "x-hub-signature-256",
                                          "verif-hash", "mono-webhook-secret"};
    static const char *const words[] = {"signature", "secret", "token", "auth", "hmac",
                                        "password", "cookie", "api-key", "apikey"};
    if (src->verify.header != NULL && strcmp(h, src->verify.header) == 0)
        return "is the source's verify.header; authentication headers are never kept";
    for (size_t i = 0; i != sizeof(schemes) / sizeof(schemes[0]); ++i)
        if (strcmp(h, schemes[i]) == 0)
            return "is an authentication header; those are never kept";
    for (size_t i = 0; i != sizeof(words) / sizeof(words[0]); ++i)
        if (strstr(h, words[i]) != NULL)
            return "looks like it holds a credential; such headers are never kept";
    if (strncmp(h, "ce_", 3) == 0 || strncmp(h, "dead_letter_", 12) == 0)
        return "is a name the record itself uses";
    if (strcmp(h, "content-type") == 0 || strcmp(h, "traceparent") == 0)
        return "is kept anyway";
    return NULL;
}

static int check_keep_headers(struct loader *l, const struct conf_source *src,
                              const struct ynode *srcnode)
{
    if (src->nkeep_headers == 0)
        return 0;
    const struct ynode_pair *ev = ynode_find(srcnode, "event");
    const struct ynode_pair *kp = ev != NULL ? ynode_find(ev->value, "keep_headers") : NULL;
    size_t old = loader_push_key(l, "event", 5);
    loader_push_key(l, "keep_headers", 12);
    if (src->nkeep_headers > CONF_MAX_KEEP_HEADERS)
        return loader_fail(l, kp != NULL ? &kp->key->pos : NULL, "at most %d headers",
                           CONF_MAX_KEEP_HEADERS);
    for (size_t i = 0; i != src->nkeep_headers; ++i) {
        const char *why = keep_header_refused(src, src->keep_headers[i]);
        if (why == NULL)
            continue;
        const struct conf_pos *pos =
            kp != NULL && i < kp->value->nitems ? &kp->value->items[i]->pos : NULL;
        loader_push_index(l, i);
        return loader_fail(l, pos, "%s %s", src->keep_headers[i], why);
    }
    loader_pop(l, old);
    return 0;
}

/* One source: its section, then the rules across its keys, which run only on a section that
 * loaded cleanly (on a broken one they would report consequences of its errors). */
static int load_source(struct loader *l, size_t i, const struct ynode *k, const struct ynode *v)
{
    struct bridge_config *cfg = l->cfg;
    struct conf_source *src = &cfg->sources[i];
    char q[128];

    if (!source_name_ok(k->text, k->len))
        return loader_fail(l, &k->pos, "invalid source name (use only a-z A-Z 0-9 . _ -)");
    if ((src->name = strdup(k->text)) == NULL)
        return loader_oom(l);
    src->pos = k->pos;
    if (load_section(l, "sources.*", v, &k->pos, src) != 0 || finish_verify(l, src, v) != 0 ||
        check_keep_headers(l, src, v) != 0)
        return -1;
    if (src->ce_source == NULL && asprintf(&src->ce_source, "/webhook-bridge/%s", src->name) < 0) {
        src->ce_source = NULL;
        return loader_oom(l);
    }
    for (size_t j = 0; j != i; ++j)
        if (cfg->sources[j].path != NULL && strcmp(cfg->sources[j].path, src->path) == 0) {
            const struct ynode *p = ynode_find(v, "path")->value;
            loader_push_key(l, "path", 4);
            return loader_fail(l, &p->pos, "path %s is already used by source %s",
                               loader_shown(p, q, sizeof(q)), cfg->sources[j].name);
        }
    return 0;
}

static int load_sources(struct loader *l, const struct ynode *n)
{
    struct bridge_config *cfg = l->cfg;
    size_t before = loader_nerrors(l);

    if (ynode_is_null(n) || (n->kind == YNODE_MAP && n->npairs == 0))
        return loader_fail(l, &n->pos, "at least one source is required");
    if (n->kind != YNODE_MAP)
        return loader_fail(l, &n->pos, "expected a mapping of source names to sources, got %s",
                           ynode_kind_name(n));
    if ((cfg->sources = calloc(n->npairs, sizeof(*cfg->sources))) == NULL)
        return loader_oom(l);
    cfg->nsources = n->npairs;
    for (size_t i = 0; i != n->npairs && !l->fatal; ++i) {
        const struct ynode *k = n->pairs[i].key;
        if (repeated_key(n, i))
            continue;
        size_t old = loader_push_key(l, k->text, k->len);
        load_source(l, i, k, n->pairs[i].value);
        loader_pop(l, old);
    }
    return loader_nerrors(l) == before ? 0 : -1;
}

/* The first route of sources[0..n) that publishes to topic t (its source in *src); NULL if
 * none. */
static const struct conf_route *route_to(const struct conf_source *sources, size_t n, const char *t,
                                         const struct conf_source **src)
{
    for (size_t s = 0; s != n; ++s)
        for (size_t r = 0; r != sources[s].nroutes; ++r)
            for (size_t k = 0; k != sources[s].routes[r].ntopics; ++k)
                if (strcmp(sources[s].routes[r].topics[k], t) == 0) {
                    *src = &sources[s];
                    return &sources[s].routes[r];
                }
    return NULL;
}

/* A topic that two sources route to holds two providers' bodies (and perhaps both formats),
 * which its consumers must tell apart: pointed out at the later route, once per topic and
 * source. A shared dead-letter topic is the design, and is not. */
static void check_shared_topics(struct loader *l)
{
    const struct bridge_config *cfg = l->cfg;
    char at[300];
    for (size_t s = 1; s < cfg->nsources; ++s) {
        const struct conf_source *src = &cfg->sources[s];
        for (size_t r = 0; r != src->nroutes; ++r)
            for (size_t k = 0; k != src->routes[r].ntopics; ++k) {
                const char *t = src->routes[r].topics[k];
                const struct conf_source *other, *self;
                const struct conf_route *first = route_to(cfg->sources, s, t, &other);
                /* once per source and topic: at the source's first route to it */
                if (first == NULL || route_to(src, 1, t, &self) != &src->routes[r])
                    continue;
                conf_pos_ref(at, sizeof(at), &first->pos, &src->routes[r].pos);
                size_t old = loader_push_key(l, "sources", 7);
                loader_push_key(l, src->name, strlen(src->name));
                loader_push_key(l, "routes", 6);
                loader_push_key(l, src->routes[r].pattern, strlen(src->routes[r].pattern));
                if (other->format != src->format)
                    loader_warn(l, &src->routes[r].pos,
                                "topic \"%s\" also gets the records of source %s (at %s) in %s "
                                "format, and this source's in %s: its consumers see both formats",
                                t, other->name, at,
                                conf_enum_name(conf_format_values, (int)other->format),
                                conf_enum_name(conf_format_values, (int)src->format));
                else
                    loader_warn(l, &src->routes[r].pos,
                                "topic \"%s\" also gets the records of source %s (at %s): its "
                                "consumers see two providers' events in one topic",
                                t, other->name, at);
                loader_pop(l, old);
            }
    }
}

/* Rules across sections, once everything is loaded. */
static int finish_root(struct loader *l, const struct ynode *root)
{
    struct bridge_config *cfg = l->cfg;

    if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL)) {
        const struct ynode_pair *p = ynode_find(root, "tls");
        loader_push_key(l, "tls", 3);
        return loader_fail(l, &p->key->pos, "cert_file and key_file must be given together");
    }
    const struct ynode *kn = ynode_find(root, "kafka")->value;
    if (strcmp(cfg->kafka.brokers, "embedded") == 0) {
        /* librdkafka's mock cluster replicates every topic on min(brokers, 3) brokers whatever
         * it is asked (2.0.2 ignores the factor of rd_kafka_mock_topic_create), so that is
         * the replication, as --check-config shows it; another value is said not to apply. */
        unsigned rf = cfg->kafka.embedded_brokers < 3 ? cfg->kafka.embedded_brokers : 3;
        const struct ynode_pair *p = ynode_find(kn, "topic_replication");
        if (p != NULL && cfg->kafka.topic_replication != rf) {
            size_t old = loader_push_key(l, "kafka", 5);
            loader_push_key(l, "topic_replication", 17);
            loader_warn(l, &p->value->pos,
                        "%u does not apply to the embedded cluster, which keeps %u "
                        "replica%s of each topic (min(embedded_brokers, 3))",
                        cfg->kafka.topic_replication, rf, rf == 1 ? "" : "s");
            loader_pop(l, old);
        }
        cfg->kafka.topic_replication = rf;
    }
    const struct ynode *sn = ynode_find(root, "sources")->value;
    for (size_t i = 0; i != cfg->nsources; ++i) {
        struct conf_source *src = &cfg->sources[i];
        if (cfg->dead_letter_topic != NULL &&
            ynode_find(sn->pairs[i].value, "dead_letter_topic") == NULL &&
            (src->dead_letter_topic = strdup(cfg->dead_letter_topic)) == NULL)
            return loader_oom(l);
    }
    check_shared_topics(l);
    if (conf_collect_topics(cfg) != 0)
        return loader_oom(l);
    return 0;
}

/* Reports every key that appears twice in a mapping, anywhere in the document. */
static void check_duplicates(struct loader *l, const struct ynode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i != n->npairs; ++i) {
        const struct ynode *k = n->pairs[i].key;
        size_t old = loader_push_key(l, k->text, k->len);
        for (size_t j = 0; j != i; ++j) {
            const struct ynode *prev = n->pairs[j].key;
            if (prev->len == k->len && memcmp(prev->text, k->text, k->len) == 0) {
                char at[300];
                conf_pos_ref(at, sizeof(at), &prev->pos, &k->pos);
                loader_fail(l, &k->pos, "duplicate key (first at %s)", at);
                break;
            }
        }
        check_duplicates(l, n->pairs[i].value);
        loader_pop(l, old);
    }
    for (size_t i = 0; i != n->nitems; ++i) {
        size_t old = loader_push_index(l, i);
        check_duplicates(l, n->items[i]);
        loader_pop(l, old);
    }
}

int conf_from_trees(const char *name, char **files, struct ynode *const *roots, size_t n,
                    const struct conf_options *opt, struct bridge_config **out,
                    struct conf_error *err)
{
    struct loader l = {.file = name, .placeholders = opt != NULL && opt->placeholders};
    struct merged m = {0};
    const struct ynode *root = n == 1 ? roots[0] : &m.root;

    *out = NULL;
    if ((l.cfg = calloc(1, sizeof(*l.cfg))) == NULL || (l.cfg->file = strdup(name)) == NULL) {
        free(l.cfg);
        for (size_t i = 0; i != n; ++i)
            free(files[i]);
        free(files);
        return conf_errorf(err, name, NULL, NULL, "out of memory");
    }
    l.cfg->files = files;
    l.cfg->nfiles = n;
    /* the merge drops what it refuses: the rest is still loaded, for its own errors */
    if (n != 1) {
        conf_merge(&l, roots, n, &m);
    } else if (root != NULL && !ynode_is_null(root) && root->kind != YNODE_MAP) {
        loader_fail(&l, &root->pos, "the top level must be a mapping of settings, got %s",
                    ynode_kind_name(root));
    }
    if (loader_nerrors(&l) == 0 || (n != 1 && !l.fatal)) {
        check_duplicates(&l, root);
        /* the rules across sections only on a config whose every key loaded */
        if (load_section(&l, "", root, NULL, l.cfg) == 0 && loader_nerrors(&l) == 0)
            finish_root(&l, root);
    }
    conf_merged_release(&m);
    if (conf_errors_finish(&l.errors, l.cfg->files, l.cfg->nfiles, name, err) != 0) {
        conf_free(l.cfg);
        return -1;
    }
    conf_sort_warnings(l.cfg);
    *out = l.cfg;
    return 0;
}
