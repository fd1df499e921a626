/*
 * The bottom of conf/: an error or warning is "FILE:LINE:COL: key.path: message", formatted
 * here for every file of conf/ (the YAML tree, the loader, the checks of other layers), and the
 * reading of a whole file into memory (and the stamp that tells a new version of it). Depends on nothing else in conf/ but the model's types.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "conf/internal.h"

int conf_errorf(struct conf_error *e, const char *file, const struct conf_pos *pos, const char *key,
                const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    size_t size = sizeof(e->msg), n;
    int r;
    if (pos != NULL && pos->file != NULL)
        file = pos->file;
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
    struct conf_pos *wp = realloc(cfg->warning_pos, (cfg->nwarnings + 1) * sizeof(*wp));
    if (wp == NULL)
        return;
    cfg->warning_pos = wp;
    wp[cfg->nwarnings] = pos != NULL ? *pos : (struct conf_pos){0, 0, NULL};
    if ((w[cfg->nwarnings] = strdup(e.msg)) != NULL)
        ++cfg->nwarnings;
}

struct conf_file_stamp conf_file_stamp(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return (struct conf_file_stamp){0};
    return (struct conf_file_stamp){(unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                                    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                                    (long long)st.st_mtim.tv_nsec};
}

bool conf_file_stamp_eq(const struct conf_file_stamp *a, const struct conf_file_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns;
}

/* The rank of a position in the order messages are shown: files in load order (a position
 * with no file is in the first, or the only, file), then line, then column; no position
 * last. */
static int pos_cmp(const struct conf_pos *a, const struct conf_pos *b, char *const *files,
                   size_t nfiles)
{
    if ((a->line == 0) != (b->line == 0))
        return a->line == 0 ? 1 : -1;
    size_t fa = 0, fb = 0;
    for (size_t i = 0; i != nfiles; ++i) {
        if (a->file == files[i])
            fa = i;
        if (b->file == files[i])
            fb = i;
    }
    if (fa != fb)
        return fa < fb ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return 0;
}

void conf_sort_warnings(struct bridge_config *cfg)
{
    /* a stable insertion sort: a handful of warnings */
    for (size_t i = 1; i < cfg->nwarnings; ++i) {
        char *w = cfg->warnings[i];
        struct conf_pos p = cfg->warning_pos[i];
        size_t j = i;
        for (; j > 0 && pos_cmp(&cfg->warning_pos[j - 1], &p, cfg->files, cfg->nfiles) > 0; --j) {
            cfg->warnings[j] = cfg->warnings[j - 1];
            cfg->warning_pos[j] = cfg->warning_pos[j - 1];
        }
        cfg->warnings[j] = w;
        cfg->warning_pos[j] = p;
    }
}

void conf_errors_add(struct conf_errors *l, const struct conf_error *e, const struct conf_pos *pos)
{
    if (l->n == CONF_MAX_ERRORS) {
        ++l->dropped;
        return;
    }
    struct conf_errent *v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (v == NULL) {
        ++l->dropped;
        return;
    }
    l->v = v;
    v[l->n].pos = pos != NULL ? *pos : (struct conf_pos){0, 0, NULL};
    if ((v[l->n].msg = strdup(e->msg)) == NULL) {
        ++l->dropped;
        return;
    }
    ++l->n;
}

int conf_errors_finish(struct conf_errors *l, char *const *files, size_t nfiles, const char *name,
                       struct conf_error *err)
{
    if (l->n == 0 && l->dropped == 0)
        return 0;
    for (size_t i = 1; i < l->n; ++i) {
        struct conf_errent x = l->v[i];
        size_t j = i;
        for (; j > 0 && pos_cmp(&l->v[j - 1].pos, &x.pos, files, nfiles) > 0; --j)
            l->v[j] = l->v[j - 1];
        l->v[j] = x;
    }
    size_t size = sizeof(err->msg), n = 0;
    for (size_t i = 0; i != l->n; ++i) {
        size_t len = strlen(l->v[i].msg);
        /* whole lines only, with room left for the line that says what was cut */
        if (n + len + 1 + 100 > size) {
            l->dropped += l->n - i;
            break;
        }
        if (n != 0)
            err->msg[n++] = '\n';
        memcpy(err->msg + n, l->v[i].msg, len);
        n += len;
    }
    err->msg[n] = '\0';
    if (l->dropped != 0)
        snprintf(err->msg + n, size - n, "%s%s: %zu more error%s not shown", n != 0 ? "\n" : "",
                 name != NULL ? name : "(config)", l->dropped, l->dropped == 1 ? "" : "s");
    conf_errors_release(l);
    return -1;
}

void conf_errors_release(struct conf_errors *l)
{
    for (size_t i = 0; i != l->n; ++i)
        free(l->v[i].msg);
    free(l->v);
    l->v = NULL;
    l->n = l->dropped = 0;
}

void conf_pos_ref(char *buf, size_t size, const struct conf_pos *pos, const struct conf_pos *from)
{
    if (pos->file != NULL && from->file != NULL && pos->file != from->file)
        snprintf(buf, size, "%s:%u:%u", pos->file, pos->line, pos->col);
    else
        snprintf(buf, size, "%u:%u", pos->line, pos->col);
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
