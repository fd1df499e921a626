/*
 * libyaml events -> struct ynode tree.
 *
 * Design: the event API (not yaml_document_t) is used and the tree is built by recursive
 * descent over events, because our nodes must carry positions converted to 1-based and keep
 * mappings as ordered pair lists (file order matters for routes and librdkafka properties).
 * libyaml's document loader was rejected: it resolves aliases by sharing nodes, which would
 * let a few bytes of input expand into a huge configuration ("billion laughs"); aliases are
 * refused instead, and so are anchors, which only serve aliases. Nesting depth is bounded so that
 * hostile input cannot exhaust the stack.
 */
#include "conf/yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64

#define STAR_HINT                                                                                  \
    "an unquoted value cannot start with '*' (YAML reads *name as an alias): quote it, "           \
    "e.g. \"*.created\": topic"

struct builder {
    yaml_parser_t parser;
    const char *file;
    const char *text;
    size_t len;
    struct conf_error *err;
};

static struct conf_pos mark_pos(const struct builder *b, yaml_mark_t m)
{
    return (struct conf_pos){(unsigned)m.line + 1, (unsigned)m.column + 1, b->file};
}

/* Reader errors (bad UTF-8, control characters) carry a byte offset only. */
static struct conf_pos offset_pos(const struct builder *b, size_t offset)
{
    struct conf_pos pos = {1, 1, b->file};
    for (size_t i = 0; i < offset && i < b->len; ++i) {
        if (b->text[i] == '\n') {
            ++pos.line;
            pos.col = 1;
        } else if (((unsigned char)b->text[i] & 0xC0) != 0x80) {
            ++pos.col;
        }
    }
    return pos;
}

static int syntax_error(struct builder *b)
{
    const yaml_parser_t *p = &b->parser;
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";

    if (p->error == YAML_MEMORY_ERROR)
        return conf_errorf(b->err, b->file, NULL, NULL, "out of memory");
    if (p->error == YAML_READER_ERROR) {
        struct conf_pos pos = offset_pos(b, p->problem_offset);
        return conf_errorf(b->err, b->file, &pos, NULL, "%s", problem);
    }
    struct conf_pos pos = mark_pos(b, p->problem_mark);
    if (p->context != NULL && strcmp(p->context, "while scanning an alias") == 0) {
        /* `*.created: topic` (a route pattern): libyaml's words would be about aliases */
        struct conf_pos cpos = mark_pos(b, p->context_mark);
        return conf_errorf(b->err, b->file, &cpos, NULL, "%s", STAR_HINT);
    }
    if (p->context != NULL) {
        struct conf_pos cpos = mark_pos(b, p->context_mark);
        return conf_errorf(b->err, b->file, &pos, NULL, "%s (%s at %u:%u)", problem, p->context,
                           cpos.line, cpos.col);
    }
    return conf_errorf(b->err, b->file, &pos, NULL, "%s", problem);
}

static int next(struct builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev))
        return syntax_error(b);
    return 0;
}

static int oom(struct builder *b)
{
    return conf_errorf(b->err, b->file, NULL, NULL, "out of memory");
}

static struct ynode *new_node(const struct builder *b, enum ynode_kind kind, yaml_mark_t start)
{
    struct ynode *n = calloc(1, sizeof(*n));
    if (n != NULL) {
        n->kind = kind;
        n->pos = mark_pos(b, start);
    }
    return n;
}

static int build(struct builder *b, yaml_event_t *ev, unsigned depth, struct ynode **out);

static int build_seq(struct builder *b, struct ynode *n, unsigned depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        if (next(b, &ev) != 0)
            return -1;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (n->nitems == cap) {
            size_t ncap = cap == 0 ? 4 : cap * 2;
            struct ynode **items = realloc(n->items, ncap * sizeof(*items));
            if (items == NULL) {
                yaml_event_delete(&ev);
                return oom(b);
            }
            n->items = items;
            cap = ncap;
        }
        n->items[n->nitems] = NULL;
        if (build(b, &ev, depth + 1, &n->items[n->nitems++]) != 0)
            return -1;
    }
}

static int build_map(struct builder *b, struct ynode *n, unsigned depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        if (next(b, &ev) != 0)
            return -1;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            struct conf_pos pos = mark_pos(b, ev.start_mark);
            bool alias = ev.type == YAML_ALIAS_EVENT;
            yaml_event_delete(&ev);
            return conf_errorf(b->err, b->file, &pos, NULL, "%s",
                               alias ? STAR_HINT : "a mapping key must be a string");
        }
        if (n->npairs == cap) {
            size_t ncap = cap == 0 ? 4 : cap * 2;
            struct ynode_pair *pairs = realloc(n->pairs, ncap * sizeof(*pairs));
            if (pairs == NULL) {
                yaml_event_delete(&ev);
                return oom(b);
            }
            n->pairs = pairs;
            cap = ncap;
        }
        struct ynode_pair *pair = &n->pairs[n->npairs++];
        pair->key = pair->value = NULL;
        if (build(b, &ev, depth + 1, &pair->key) != 0)
            return -1;
        if (next(b, &ev) != 0)
            return -1;
        if (build(b, &ev, depth + 1, &pair->value) != 0)
            return -1;
    }
}

/* Builds the node that starts with *ev (consumed) and stores it in *out, which holds the
 * partial node on failure too, so the caller's single ynode_free() releases everything. */
static int build(struct builder *b, yaml_event_t *ev, unsigned depth, struct ynode **out)
{
    struct conf_pos pos = mark_pos(b, ev->start_mark);
    struct ynode *n = NULL;
    int r = 0;

    if (depth > MAX_DEPTH) {
        yaml_event_delete(ev);
        return conf_errorf(b->err, b->file, &pos, NULL, "nesting deeper than %d levels", MAX_DEPTH);
    }
    const yaml_char_t *anchor =
        ev->type == YAML_SCALAR_EVENT           ? ev->data.scalar.anchor
        : ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
        : ev->type == YAML_MAPPING_START_EVENT  ? ev->data.mapping_start.anchor
                                                : NULL;
    if (anchor != NULL) {
        /* refused where it is written rather than at its first use: there is no use */
        r = conf_errorf(b->err, b->file, &pos, NULL,
                        "anchors (&%s) are not supported, nor aliases: write each value out",
                        (const char *)anchor);
        yaml_event_delete(ev);
        *out = NULL;
        return r;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = new_node(b, YNODE_SCALAR, ev->start_mark);
        if (n == NULL || (n->text = malloc(ev->data.scalar.length + 1)) == NULL) {
            free(n);
            n = NULL;
            r = oom(b);
            break;
        }
        memcpy(n->text, ev->data.scalar.value, ev->data.scalar.length);
        n->text[ev->data.scalar.length] = '\0';
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL;
        break;
    case YAML_SEQUENCE_START_EVENT:
        if ((n = new_node(b, YNODE_SEQ, ev->start_mark)) == NULL) {
            r = oom(b);
            break;
        }
        r = build_seq(b, n, depth);
        break;
    case YAML_MAPPING_START_EVENT:
        if ((n = new_node(b, YNODE_MAP, ev->start_mark)) == NULL) {
            r = oom(b);
            break;
        }
        r = build_map(b, n, depth);
        break;
    case YAML_ALIAS_EVENT:
        r = conf_errorf(b->err, b->file, &pos, NULL, "aliases (*%s) are not supported; %s",
                        (const char *)ev->data.alias.anchor,
                        "to start a value with '*', quote it, e.g. \"*.created\": topic");
        break;
    default:
        r = conf_errorf(b->err, b->file, &pos, NULL, "unexpected YAML event");
        break;
    }
    yaml_event_delete(ev);
    *out = n;
    return r;
}

static int expect(struct builder *b, yaml_event_type_t type)
{
    yaml_event_t ev;
    if (next(b, &ev) != 0)
        return -1;
    bool ok = ev.type == type;
    struct conf_pos pos = mark_pos(b, ev.start_mark);
    yaml_event_delete(&ev);
    if (!ok)
        return conf_errorf(b->err, b->file, &pos, NULL, "only one YAML document is allowed");
    return 0;
}

int ynode_parse(const char *file, const char *text, size_t len, struct ynode **root,
                struct conf_error *err)
{
    struct builder b = {.file = file, .text = text, .len = len, .err = err};
    yaml_event_t ev;
    int r = -1;

    *root = NULL;
    if (!yaml_parser_initialize(&b.parser))
        return oom(&b);
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);

    if (expect(&b, YAML_STREAM_START_EVENT) != 0 || next(&b, &ev) != 0)
        goto out;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        r = 0;
        goto out;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if (next(&b, &ev) != 0 || build(&b, &ev, 0, root) != 0)
        goto out;
    if (expect(&b, YAML_DOCUMENT_END_EVENT) != 0 || expect(&b, YAML_STREAM_END_EVENT) != 0)
        goto out;
    r = 0;
out:
    yaml_parser_delete(&b.parser);
    if (r != 0) {
        ynode_free(*root);
        *root = NULL;
    }
    return r;
}

void ynode_free(struct ynode *n)
{
    if (n == NULL)
        return;
    free(n->text);
    for (size_t i = 0; i != n->npairs; ++i) {
        ynode_free(n->pairs[i].key);
        ynode_free(n->pairs[i].value);
    }
    free(n->pairs);
    for (size_t i = 0; i != n->nitems; ++i)
        ynode_free(n->items[i]);
    free(n->items);
    free(n);
}

const struct ynode_pair *ynode_find(const struct ynode *map, const char *key)
{
    if (map == NULL || map->kind != YNODE_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i != map->npairs; ++i) {
        const struct ynode *k = map->pairs[i].key;
        if (k->len == klen && memcmp(k->text, key, klen) == 0)
            return &map->pairs[i];
    }
    return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
    if (n == NULL)
        return true;
    if (n->kind != YNODE_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
           strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

const char *ynode_kind_name(const struct ynode *n)
{
    if (ynode_is_null(n))
        return "null";
    switch (n->kind) {
    case YNODE_MAP:
        return "a mapping";
    case YNODE_SEQ:
        return "a list";
    default:
        return "a string";
    }
}
