/*
 * Open connections per client address, so that one address cannot hold every connection the
 * process allows. A fixed table sized at creation for the most connections the process keeps
 * (there can be no more distinct addresses than that), behind one mutex: it is touched once when
 * a connection opens and once when it closes, never per request. Addresses are 16 bytes
 * (IPv4 as ::ffff:a.b.c.d, as in core/netaddr.h).
 */
#ifndef BRIDGE_CORE_ADDRCOUNT_H
#define BRIDGE_CORE_ADDRCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addrcount;

/* A table for up to max_open connections at once. NULL on allocation failure. */
struct addrcount *addrcount_create(size_t max_open);
/* NULL is fine. */
void addrcount_destroy(struct addrcount *t);

/* Counts one more connection from addr unless it already has `limit` (0 = no limit) or the
 * table is full; returns whether it was counted. Any thread. */
bool addrcount_take(struct addrcount *t, const uint8_t addr[16], unsigned limit);

/* Uncounts one connection from addr, which must have been counted. Any thread. */
void addrcount_put(struct addrcount *t, const uint8_t addr[16]);

/* Connections counted for addr now (tests, metrics). Any thread. */
unsigned addrcount_get(struct addrcount *t, const uint8_t addr[16]);

#endif
