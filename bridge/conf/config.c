/*
 * The entry points of conf/, at its top: conf_load() reads the file, yaml_tree.c parses it,
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
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"
#include "conf/yaml_tree.h"

#define MAX_CONFIG_BYTES (16u * 1024 * 1024)

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
    if (r == 0) {
        static const char hex[] = "0123456789abcdef";
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)text, len, md);
        for (size_t i = 0; i != sizeof(md); ++i) {
            (*out)->sha256[2 * i] = hex[md[i] >> 4];
            (*out)->sha256[2 * i + 1] = hex[md[i] & 15];
        }
        (*out)->sha256[2 * sizeof(md)] = '\0';
    }
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
