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
