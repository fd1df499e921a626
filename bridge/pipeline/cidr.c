/*
 * Prefix comparison on 16-byte addresses: an IPv4 network is a prefix of 96 + n bits over
 * ::ffff:0:0/96, so one comparison serves both families.
 */
#include "cidr.h"

#include <string.h>

int cidr_contains(const struct conf_cidr *c, const uint8_t addr[16])
{
    if (c->prefix > 128)
        return 0;
    /* An IPv4 network has prefix >= 96 over ::ffff:0:0/96, so it never holds an IPv6 address. */
    size_t whole = c->prefix / 8;
    unsigned rest = c->prefix % 8;
    if (memcmp(c->addr, addr, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (c->addr[whole] & mask) == (addr[whole] & mask);
}

int cidr_list_contains(const struct conf_cidr *list, size_t n, const uint8_t addr[16])
{
    for (size_t i = 0; i != n; ++i)
        if (cidr_contains(&list[i], addr))
            return 1;
    return 0;
}
