/*
 * Which restart-only settings a reload changed: the rows of the schema table flagged
 * CONF_F_RESTART, compared by value (a librdkafka property by name and value, in file order).
 * The table says which keys need a restart, so a new key cannot be forgotten by a hand-kept
 * list, and a changed value cannot hide behind an unchanged count.
 */
#include <stdbool.h>
#include <string.h>

#include "conf/schema.h"

static bool same_str(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static bool same_props(const struct conf_kv *a, size_t na, const struct conf_kv *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i != na; ++i)
        if (!same_str(a[i].key, b[i].key) || !same_str(a[i].value, b[i].value))
            return false;
    return true;
}

static bool same_value(const struct conf_schema *s, const struct bridge_config *a,
                       const struct bridge_config *b)
{
    const char *fa = (const char *)a + s->offset, *fb = (const char *)b + s->offset;
    switch (s->type) {
    case CONF_T_UINT:
        return *(const unsigned *)fa == *(const unsigned *)fb;
    case CONF_T_INT:
    case CONF_T_ENUM:
        return *(const int *)fa == *(const int *)fb;
    case CONF_T_SIZE:
        return *(const size_t *)fa == *(const size_t *)fb;
    case CONF_T_BOOL:
        return *(const bool *)fa == *(const bool *)fb;
    case CONF_T_STRING:
    case CONF_T_PATH:
    case CONF_T_ADDRESS:
    case CONF_T_BROKERS:
    case CONF_T_TOPIC:
    case CONF_T_HEADER:
        return same_str(*(char *const *)fa, *(char *const *)fb);
    case CONF_T_PROPS:
        return same_props(*(struct conf_kv *const *)fa,
                          *(const size_t *)((const char *)a + s->count_offset),
                          *(struct conf_kv *const *)fb,
                          *(const size_t *)((const char *)b + s->count_offset));
    default:
        /* a restart-only row of another type needs its comparison written here */
        return false;
    }
}

size_t conf_restart_changes(const struct bridge_config *old, const struct bridge_config *cur,
                            void (*on_changed)(const char *key, void *arg), void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i != conf_schema_len; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        if ((s->flags & CONF_F_RESTART) && !conf_schema_in_source(s) && !same_value(s, old, cur)) {
            ++n;
            if (on_changed != NULL)
                on_changed(s->path, arg);
        }
    }
    return n;
}
