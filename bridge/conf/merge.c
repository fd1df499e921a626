/*
 * A config directory's files joined into one tree, before loading: the loader then sees one
 * document whose nodes still carry their own file (struct conf_pos.file), so every message
 * names the right file.
 *
 * The rules are those a reader can check by eye: a top-level key is set in one file only, and
 * `sources` is the exception, merged by source name, each source defined in one file only.
 * A key set in two files is an error naming both places. Rejected: deep merging (a later file
 * overriding single keys of an earlier one, as kustomize patches do): the value in force could
 * then only be found by reading every file in order, and a source's secret could be replaced
 * by a file that only meant to add a route.
 *
 * The merged tree borrows every node from the files' trees; only its two containers (the root
 * and the sources mapping) are its own.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/loader.h"
#include "conf/merge.h"

static bool same_key(const struct ynode *a, const struct ynode *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* The first pair of map m whose key equals k and comes from another file than k. */
static const struct ynode_pair *other_file(const struct ynode *m, const struct ynode *k)
{
    for (size_t i = 0; i != m->npairs; ++i)
        if (same_key(m->pairs[i].key, k) && m->pairs[i].key->pos.file != k->pos.file)
            return &m->pairs[i];
    return NULL;
}

static int append(struct loader *l, struct ynode *m, const struct ynode_pair *p)
{
    struct ynode_pair *grown = realloc(m->pairs, (m->npairs + 1) * sizeof(*grown));
    if (grown == NULL)
        return loader_oom(l);
    m->pairs = grown;
    m->pairs[m->npairs++] = *p;
    return 0;
}

static void refuse(struct loader *l, const struct ynode *k, const struct ynode *first,
                   const char *what)
{
    char at[300];
    conf_pos_ref(at, sizeof(at), &first->pos, &k->pos);
    loader_fail(l, &k->pos, "also %s at %s (in a config directory, %s)", what, at,
                strcmp(what, "defined") == 0 ? "each source is defined in one file"
                                             : "each top-level key is set in one file");
}

static void merge_sources(struct loader *l, struct merged *m, const struct ynode *sources)
{
    for (size_t i = 0; i != sources->npairs && !l->fatal; ++i) {
        const struct ynode_pair *p = &sources->pairs[i];
        const struct ynode_pair *first = other_file(&m->sources, p->key);
        if (first == NULL) {
            append(l, &m->sources, p);
            continue;
        }
        size_t old = loader_push_key(l, "sources", 7);
        loader_push_key(l, p->key->text, p->key->len);
        refuse(l, p->key, first->key, "defined");
        loader_pop(l, old);
    }
}

int conf_merge(struct loader *l, struct ynode *const *roots, size_t n, struct merged *m)
{
    size_t before = loader_nerrors(l);

    memset(m, 0, sizeof(*m));
    m->root.kind = YNODE_MAP;
    m->root.pos = (struct conf_pos){1, 1, NULL};
    m->sources.kind = YNODE_MAP;
    for (size_t f = 0; f != n && !l->fatal; ++f) {
        const struct ynode *r = roots[f];
        if (r == NULL || ynode_is_null(r))
            continue;
        if (r->kind != YNODE_MAP) {
            loader_fail(l, &r->pos, "the top level must be a mapping of settings, got %s",
                        ynode_kind_name(r));
            continue;
        }
        for (size_t i = 0; i != r->npairs && !l->fatal; ++i) {
            const struct ynode_pair *p = &r->pairs[i];
            bool sources = p->key->len == 7 && memcmp(p->key->text, "sources", 7) == 0 &&
                           p->value->kind == YNODE_MAP;
            const struct ynode_pair *first = other_file(&m->root, p->key);
            if (sources && (first == NULL || first->value == &m->sources)) {
                if (first == NULL) {
                    /* the merged mapping stands where the first file's sources stand */
                    m->sources.pos = p->value->pos;
                    append(l, &m->root, &(struct ynode_pair){p->key, &m->sources});
                }
                merge_sources(l, m, p->value);
            } else if (first != NULL) {
                size_t old = loader_push_key(l, p->key->text, p->key->len);
                refuse(l, p->key, first->key, "set");
                loader_pop(l, old);
            } else {
                append(l, &m->root, p);
            }
        }
    }
    return loader_nerrors(l) == before ? 0 : -1;
}

void conf_merged_release(struct merged *m)
{
    free(m->root.pairs);
    free(m->sources.pairs);
}
