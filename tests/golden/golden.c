/*
 * Golden cases: each directory under cases/ holds `request` (a request line "POST PATH",
 * header lines, a blank line, then the body, byte for byte) and `expected` (what the bridge
 * decides: status, reason and every record with its topic, key, headers and value). The runner
 * loads config.yaml, runs the pipeline's decide() on each request at a fixed clock, renders the
 * decision and compares it with `expected`. BRIDGE_UPDATE_GOLDEN=1 rewrites the expected files
 * (then review the diff). Usage: golden DIR [CASE...]: only the named cases are compared when
 * given (a name that is not a case fails the run); all run, in name order.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/decide.h"

#define NOW_MS 1773480765123LL /* 2026-03-14T09:32:45.123Z */
/* The monotonic clock stands still: a rate-limit bucket never refills between cases, which run
 * in name order, so the cases of a limited source spend its burst one by one. */
#define MONO_NS 1000000000ULL

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap && (buf = realloc(buf, cap = cap * 2 + 4096)) == NULL)
            abort();
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r != 0);
    fclose(f);
    *len = n;
    return buf;
}

struct out {
    char buf[65536];
    size_t len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n < sizeof(o->buf) - o->len ? (size_t)n : sizeof(o->buf) - o->len - 1;
}

/* Bytes as text, with anything unprintable as \xNN. */
static void put_bytes(struct out *o, struct bytes b)
{
    for (size_t i = 0; i != b.len; ++i) {
        unsigned char c = (unsigned char)b.base[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            put(o, "%c", c);
        else
            put(o, "\\x%02x", c);
    }
}

static void render(struct out *o, const struct decision *d, const struct request_view *rv)
{
    put(o, "status: %s\n", bridge_status_name(d->status));
    if (d->reason != NULL)
        put(o, "reason: %s\n", d->reason);
    for (size_t t = 0; t != d->ntopics; ++t) {
        put(o, "record: %s\n  key: ", d->topics[t]);
        put_bytes(o, d->env.key);
        put(o, "\n");
        for (size_t h = 0; h != d->env.nheaders; ++h) {
            put(o, "  header %s: ", d->env.headers[h].name);
            put_bytes(o, d->env.headers[h].value);
            put(o, "\n");
        }
        if (bytes_eq(d->env.value, rv->body))
            put(o, "  value: the request body, %zu bytes as received\n", rv->body.len);
        else {
            put(o, "  value: ");
            put_bytes(o, d->env.value);
            put(o, "\n");
        }
    }
}

/* Parses `request` into rv (views into text). Returns the path, or NULL. */
static int parse_request(char *text, size_t len, struct request_view *rv, struct header_view *hv,
                         size_t cap)
{
    char *end = text + len, *p = text, *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL || strncmp(p, "POST ", 5) != 0)
        return -1;
    *rv = (struct request_view){.path = bytes_of(p + 5, (size_t)(eol - p - 5)), .headers = hv};
    for (p = eol + 1; p < end && *p != '\n'; p = eol + 1) {
        if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL || rv->nheaders == cap)
            return -1;
        char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL)
            return -1;
        const char *v = colon + 1;
        while (v < eol && *v == ' ')
            ++v;
        hv[rv->nheaders++] = (struct header_view){bytes_of(p, (size_t)(colon - p)),
                                                  bytes_of(v, (size_t)(eol - v))};
    }
    if (p >= end)
        return -1;
    rv->body = bytes_of(p + 1, (size_t)(end - p - 1));
    /* a 203.0.113.9 peer, for allow_from */
    static const uint8_t peer[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 9};
    memcpy(rv->peer, peer, 16);
    rv->has_peer = 1;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: golden DIR [CASE...]\n");
        return 2;
    }
    char path[4096];
    struct conf_error err;
    struct bridge_config *cfg;
    snprintf(path, sizeof(path), "%s/config.yaml", argv[1]);
    if (conf_load(path, &cfg, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct runtime *rt = runtime_create(cfg, 1, &err);
    if (rt == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/cases", argv[1]);
    DIR *dir = opendir(path);
    char *names[512];
    size_t n = 0;
    for (struct dirent *e; dir != NULL && (e = readdir(dir)) != NULL && n < 512;)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    if (dir != NULL)
        closedir(dir);
    qsort(names, n, sizeof(names[0]), cmp);
    /* Named cases are the ones compared; every case still runs, in name order, since a
     * rate-limited source's bucket carries over from case to case. */
    int missing = 0;
    for (int a = 2; a < argc; ++a) {
        int found = 0;
        for (size_t i = 0; i != n && !found; ++i)
            found = strcmp(names[i], argv[a]) == 0;
        if (!found) {
            fprintf(stderr, "no case named %s\n", argv[a]);
            ++missing;
        }
    }

    int passed = 0, failed = missing, update = getenv("BRIDGE_UPDATE_GOLDEN") != NULL;
    for (size_t i = 0; i != n; ++i) {
        size_t rlen, elen;
        snprintf(path, sizeof(path), "%s/cases/%s/request", argv[1], names[i]);
        char *req = slurp(path, &rlen);
        struct header_view hv[32];
        struct request_view rv;
        static struct out o;
        o.len = 0;
        if (req == NULL || parse_request(req, rlen, &rv, hv, 32) != 0) {
            fprintf(stderr, "%s: unreadable request\n", names[i]);
            ++failed;
            free(req);
            continue;
        }
        const struct source_rt *src = runtime_find(rt, rv.path);
        if (src == NULL) { /* 404 is the HTTP layer's answer, not a decision */
            fprintf(stderr, "%s: no source serves this path in config.yaml\n", names[i]);
            ++failed;
            free(req);
            free(names[i]);
            continue;
        }
        struct decision d;
        decide(src, &rv, NOW_MS, MONO_NS, &d);
        render(&o, &d, &rv);
        decision_release(&d);
        int named = argc == 2;
        for (int a = 2; a < argc && !named; ++a)
            named = strcmp(names[i], argv[a]) == 0;
        snprintf(path, sizeof(path), "%s/cases/%s/expected", argv[1], names[i]);
        char *want = slurp(path, &elen);
        if (!named) {
            /* run for its effect on the next cases, not compared */
        } else if (want != NULL && elen == o.len && memcmp(want, o.buf, elen) == 0) {
            ++passed;
        } else if (update) {
            FILE *f = fopen(path, "wb");
            fwrite(o.buf, 1, o.len, f);
            fclose(f);
            printf("updated %s\n", names[i]);
            ++passed;
        } else {
            ++failed;
            fprintf(stderr, "%s: differs\n--- expected\n%.*s--- got\n%.*s", names[i],
                    want ? (int)elen : 0, want ? want : "", (int)o.len, o.buf);
        }
        free(want);
        free(req);
        free(names[i]);
    }
    runtime_release(rt);
    metrics_shutdown();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
