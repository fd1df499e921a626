/*
 * Config directories on disk: which files a directory holds (every *.yaml, in name order) and
 * the fingerprint the daemon polls to notice that one was edited, added or removed.
 *
 * The fingerprint is a hash of each file's name, device, inode, size and modification time,
 * read with stat() (symbolic links followed): a Kubernetes ConfigMap update swaps the target of
 * the links, which changes the inode. Rejected: inotify. It would notice sooner, but it
 * watches links rather than what they point to, loses events across the ConfigMap's directory
 * swap, and the daemon already wakes every second.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "conf/internal.h"

bool conf_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool yaml_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int conf_dir_list(const char *dir, char ***files, size_t *n)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t count = 0;
    int r = 0;

    *files = NULL;
    *n = 0;
    if (d == NULL)
        return errno;
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        --dlen;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (!yaml_name(de->d_name))
            continue;
        char *path;
        if (asprintf(&path, "%.*s/%s", (int)dlen, dir, de->d_name) < 0) {
            r = ENOMEM;
            break;
        }
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        char **grown = realloc(v, (count + 1) * sizeof(*v));
        if (grown == NULL) {
            free(path);
            r = ENOMEM;
            break;
        }
        v = grown;
        v[count++] = path;
    }
    closedir(d);
    if (r != 0) {
        for (size_t i = 0; i != count; ++i)
            free(v[i]);
        free(v);
        return r;
    }
    if (count != 0)
        qsort(v, count, sizeof(*v), by_name);
    *files = v;
    *n = count;
    return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i != len; ++i)
        h = (h ^ b[i]) * 1099511628211u;
    return h;
}

static uint64_t stamp_file(uint64_t h, const char *path)
{
    struct stat st;
    h = fnv(h, path, strlen(path) + 1);
    if (stat(path, &st) != 0)
        return fnv(h, "missing", 7);
    uint64_t v[5] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
                     (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec};
    return fnv(h, v, sizeof(v));
}

uint64_t conf_stamp(const char *path)
{
    uint64_t h = 14695981039346656037u;
    if (!conf_is_dir(path))
        return stamp_file(h, path);
    char **files;
    size_t n;
    if (conf_dir_list(path, &files, &n) != 0)
        return 0;
    h = fnv(h, "dir", 3);
    for (size_t i = 0; i != n; ++i) {
        h = stamp_file(h, files[i]);
        free(files[i]);
    }
    free(files);
    return h;
}
