/*
 * Address parsing delegates to inet_pton, which is strict where it matters (IPv4 needs exactly
 * four decimal parts: no "10.1", no octal, no hex), after copying the view into a bounded,
 * NUL-terminated buffer. The alternative, getaddrinfo with AI_NUMERICHOST, accepts zone ids
 * and the legacy IPv4 forms, which have no place in an allow list.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <string.h>

/* Longest textual IPv6 address, "ffff:...:255.255.255.255", plus the NUL. */
#define ADDR_TEXT_MAX 46

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int netaddr_parse(const char *text, size_t len, uint8_t out[16])
{
    char buf[ADDR_TEXT_MAX];
    if (text == NULL || len == 0 || len >= sizeof buf || memchr(text, '\0', len) != NULL)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';

    if (memchr(buf, ':', len) == NULL) {
        struct in_addr a4;
        if (inet_pton(AF_INET, buf, &a4) != 1)
            return -1;
        memcpy(out, v4_mapped_prefix, sizeof v4_mapped_prefix);
        memcpy(out + 12, &a4, 4);
        return 0;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, buf, &a6) != 1)
        return -1;
    memcpy(out, &a6, 16);
    return 0;
}

int netaddr_parse_cidr(const char *text, size_t len, uint8_t addr[16], unsigned *prefix)
{
    if (text == NULL)
        return -1;
    const char *slash = memchr(text, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - text) : len;
    if (netaddr_parse(text, alen, addr) != 0)
        return -1;

    /* A v4 network is written in dotted form; "::ffff:10.0.0.0/104" is a v6 network. */
    int v4 = memchr(text, ':', alen) == NULL;
    unsigned max = v4 ? 32 : 128;
    if (slash == NULL) {
        *prefix = 128;
        return 0;
    }
    const char *p = slash + 1, *end = text + len;
    if (p == end || end - p > 3 || (*p == '0' && end - p > 1))
        return -1;
    unsigned n = 0;
    for (; p != end; ++p) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (unsigned)(*p - '0');
    }
    if (n > max)
        return -1;
    *prefix = v4 ? n + 96 : n;
    return 0;
}

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
