/*
 * Open addressing with linear probing, and deletion by shifting later entries of the same run
 * back (no tombstones, so a long-lived process never degrades). The table holds twice as many
 * slots as connections can be open, so runs stay short. Rejected: a hash map per event loop
 * without a lock (a client's connections spread over the loops, so each loop would see only a
 * share and the limit would depend on the kernel's spreading).
 */
#include "addrcount.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint8_t addr[16];
    unsigned count; /* 0 = empty */
};

struct addrcount {
    pthread_mutex_t lock;
    size_t mask;
    size_t used;
    size_t max_used;
    struct slot slots[];
};

static size_t hash(const uint8_t a[16])
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, a + 8, 8);
    x ^= y * 0x9e3779b97f4a7c15u;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9u;
    return (size_t)(x ^ (x >> 29));
}

struct addrcount *addrcount_create(size_t max_open)
{
    size_t n = 16;
    while (n < 2 * max_open)
        n *= 2;
    struct addrcount *t = calloc(1, sizeof(*t) + n * sizeof(struct slot));
    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->mask = n - 1;
    t->max_used = n / 2;
    return t;
}

void addrcount_destroy(struct addrcount *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The slot holding addr, or the empty slot where it would go. */
static size_t find(const struct addrcount *t, const uint8_t addr[16])
{
    size_t i = hash(addr) & t->mask;
    while (t->slots[i].count != 0 && memcmp(t->slots[i].addr, addr, 16) != 0)
        i = (i + 1) & t->mask;
    return i;
}

bool addrcount_take(struct addrcount *t, const uint8_t addr[16], unsigned limit)
{
    pthread_mutex_lock(&t->lock);
    size_t i = find(t, addr);
    struct slot *s = &t->slots[i];
    bool ok;
    if (s->count == 0) {
        ok = t->used < t->max_used;
        if (ok) {
            memcpy(s->addr, addr, 16);
            s->count = 1;
            ++t->used;
        }
    } else {
        ok = limit == 0 || s->count < limit;
        if (ok)
            ++s->count;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

void addrcount_put(struct addrcount *t, const uint8_t addr[16])
{
    pthread_mutex_lock(&t->lock);
    size_t i = find(t, addr);
    if (t->slots[i].count != 0 && --t->slots[i].count == 0) {
        /* close the gap: move back each later entry of the run that may sit in slot i */
        --t->used;
        for (size_t j = (i + 1) & t->mask; t->slots[j].count != 0; j = (j + 1) & t->mask) {
            size_t home = hash(t->slots[j].addr) & t->mask;
            /* entry j may move to i when i lies cyclically in [home, j) */
            if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
                t->slots[i] = t->slots[j];
                t->slots[j].count = 0;
                i = j;
            }
        }
    }
    pthread_mutex_unlock(&t->lock);
}

unsigned addrcount_get(struct addrcount *t, const uint8_t addr[16])
{
    pthread_mutex_lock(&t->lock);
    unsigned n = t->slots[find(t, addr)].count;
    pthread_mutex_unlock(&t->lock);
    return n;
}
