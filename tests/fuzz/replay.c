/*
 * Replays a corpus through a fuzz target without libFuzzer, so that every ordinary build
 * (gcc, ASan+UBSan) checks the committed corpora under CTest. Each argument is a file or a
 * directory whose regular files (dot files skipped) are replayed in name order. Each input is
 * copied into a buffer of exactly its size, as libFuzzer does, so a read past the end shows
 * under ASan. A crashing input aborts the run; the signal handler (and ASan's death callback)
 * first names the file.
 * Rejected: linking libFuzzer's own driver with -runs=0, which needs clang for every build.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static char current[4096];

static void name_current(void)
{
    static const char pre[] = "replay: crashed on input ";
    if (write(STDERR_FILENO, pre, sizeof pre - 1) < 0 ||
        write(STDERR_FILENO, current, strlen(current)) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
        return;
}

static void on_fatal(int sig)
{
    name_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap == 0 ? 4096 : cap * 2;
            uint8_t *p = realloc(buf, cap);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    /* exactly n bytes (malloc(0) may return NULL: give a 1-byte buffer and a size of 0) */
    *out = malloc(n != 0 ? n : 1);
    if (*out == NULL) {
        free(buf);
        return -1;
    }
    if (n != 0)
        memcpy(*out, buf, n);
    free(buf);
    *len = n;
    return 0;
}

static int replay_file(const char *path, unsigned *passed, unsigned *failed)
{
    uint8_t *data;
    size_t len;
    if (read_all(path, &data, &len) != 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        ++*failed;
        return -1;
    }
    snprintf(current, sizeof current, "%s", path);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    ++*passed;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_dir(const char *dir, unsigned *passed, unsigned *failed)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
        ++*failed;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            char **p = realloc(names, cap * sizeof *names);
            if (p == NULL)
                abort();
            names = p;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL)
            abort();
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        ++n;
    }
    closedir(d);
    if (n != 0)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i != n; ++i) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            replay_file(names[i], passed, failed);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i != sizeof sigs / sizeof sigs[0]; ++i)
        signal(sigs[i], on_fatal);
    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(name_current);

    unsigned passed = 0, failed = 0;
    for (int i = 1; i < argc; ++i) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            replay_dir(argv[i], &passed, &failed);
        else
            replay_file(argv[i], &passed, &failed);
    }
    printf("%u passed, %u failed\n", passed, failed);
    /* an empty corpus checks nothing: that is a failure too */
    return failed == 0 && passed != 0 ? 0 : 1;
}
