/*
 * The entry points of conf/, at its top: conf_load() reads the file (or each *.yaml of a
 * directory), yaml_tree.c parses it, merge.c joins the files of a directory into one tree,
 * load.c turns the tree into a struct bridge_config (expanding ${VAR} with env.c and checking
 * each key against schema.c's table). Below them all, error.c formats errors and reads files;
 * beside them, model.c frees and queries the loaded model; print.c and restart.c read it.
 *
 * The whole file is read into memory before parsing instead of handing libyaml a FILE *, so
 * conf_load() and conf_load_string() share one path and reader errors (which libyaml reports
 * as a byte offset) can be turned into a line and column.
 */
#include "conf/config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"
#include "conf/yaml_tree.h"

#define MAX_CONFIG_BYTES (16u * 1024 * 1024)

/* The hex SHA-256 of texts[0..n) one after the other: of the file, or of the directory's files
 * in name order (bridge_config.sha256). */
static void digest(char *const *texts, const size_t *lens, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i != n; ++i)
        ok = EVP_DigestUpdate(c, texts[i], lens[i]);
    ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) && mdlen == SHA256_DIGEST_LENGTH;
    EVP_MD_CTX_free(c);
    if (!ok)
        mdlen = 0; /* out of memory: an empty digest */
    for (size_t i = 0; i != mdlen; ++i) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
}

/* Parses texts[0..n) (files[i] names text i, and is the string positions point at) and builds
 * the config, which takes files over; on failure files are freed here. */
static int load_texts(const char *name, char **files, char **texts, size_t *lens, size_t n,
                      const struct conf_options *opt, struct bridge_config **out,
                      struct conf_error *err)
{
    struct ynode **roots = calloc(n != 0 ? n : 1, sizeof(*roots));
    struct conf_errors errs = {0};
    int r = -1;

    if (roots == NULL) {
        conf_errorf(err, name, NULL, NULL, "out of memory");
        goto out;
    }
    /* a syntax error ends that file's parse; the other files are still checked */
    for (size_t i = 0; i != n; ++i) {
        struct conf_error e;
        if (ynode_parse(files[i], texts[i], lens[i], &roots[i], &e) != 0)
            conf_errors_add(&errs, &e, NULL);
    }
    if (conf_errors_finish(&errs, files, n, name, err) != 0)
        goto out;
    r = conf_from_trees(name, files, roots, n, opt, out, err);
    files = NULL; /* the config's, or freed */
    if (r == 0)
        digest(texts, lens, n, (*out)->sha256);
out:
    for (size_t i = 0; roots != NULL && i != n; ++i)
        ynode_free(roots[i]);
    free(roots);
    for (size_t i = 0; files != NULL && i != n; ++i)
        free(files[i]);
    free(files);
    return r;
}

int conf_load_string(const char *name, const char *text, size_t len, struct bridge_config **out,
                     struct conf_error *err)
{
    struct conf_error scratch;

    if (err == NULL)
        err = &scratch;
    if (name == NULL)
        name = "(config)";
    if (text == NULL)
        text = "";
    *out = NULL;
    char **files = calloc(1, sizeof(*files));
    if (files == NULL || (files[0] = strdup(name)) == NULL) {
        free(files);
        return conf_errorf(err, name, NULL, NULL, "out of memory");
    }
    char *texts[1] = {(char *)text};
    return load_texts(name, files, texts, &len, 1, NULL, out, err);
}

int conf_load_opts(const char *path, const struct conf_options *opt, struct bridge_config **out,
                   struct conf_error *err)
{
    char **files = NULL, **texts = NULL;
    size_t n = 0, *lens = NULL;
    int r = -1;

    *out = NULL;
    bool dir = conf_is_dir(path);
    int e = dir ? conf_dir_list(path, &files, &n) : 0;
    if (e != 0)
        return conf_errorf(err, path, NULL, NULL, "cannot read the directory: %s", strerror(e));
    if (dir && n == 0) {
        free(files);
        return conf_errorf(err, path, NULL, NULL, "no *.yaml file in the directory");
    }
    if (!dir) {
        if ((files = calloc(1, sizeof(*files))) == NULL || (files[0] = strdup(path)) == NULL) {
            free(files);
            return conf_errorf(err, path, NULL, NULL, "out of memory");
        }
        n = 1;
    }
    if ((texts = calloc(n, sizeof(*texts))) == NULL || (lens = calloc(n, sizeof(*lens))) == NULL) {
        conf_errorf(err, path, NULL, NULL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i != n; ++i) {
        errno = 0;
        e = conf_read_file(files[i], MAX_CONFIG_BYTES, &texts[i], &lens[i]);
        if (e == EFBIG) {
            conf_errorf(err, files[i], NULL, NULL, "file is larger than %u bytes",
                        MAX_CONFIG_BYTES);
            goto fail;
        }
        if (e != 0) {
            conf_errorf(err, files[i], NULL, NULL, "cannot open: %s", strerror(e));
            goto fail;
        }
    }
    r = load_texts(path, files, texts, lens, n, opt, out, err);
    files = NULL;
fail:
    for (size_t i = 0; i != n; ++i) {
        if (files != NULL)
            free(files[i]);
        if (texts != NULL)
            free(texts[i]);
    }
    free(files);
    free(texts);
    free(lens);
    return r;
}

int conf_load(const char *path, struct bridge_config **out, struct conf_error *err)
{
    return conf_load_opts(path, NULL, out, err);
}
