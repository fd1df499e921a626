/*
 * Address parsing delegates to inet_pton, which is strict where it matters (IPv4 needs exactly
 * four decimal parts: no "10.1", no octal, no hex), after copying the view into a bounded,
 * NUL-terminated buffer. The alternative, getaddrinfo with AI_NUMERICHOST, accepts zone ids
 * and the legacy IPv4 forms, which have no place in an allow list.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

/* Longest textual IPv6 address, "ffff:...:255.255.255.255", plus the NUL. */
#define ADDR_TEXT_MAX NETADDR_TEXT_MAX

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

const char *netaddr_format(const uint8_t addr[16], char buf[NETADDR_TEXT_MAX])
{
    bool v4 = memcmp(addr, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0;
    if (inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, buf, NETADDR_TEXT_MAX) == NULL)
        buf[0] = '\0';
    return buf;
}
