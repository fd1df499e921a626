/*
 * IP addresses: every address is 16 bytes; IPv4 is held as an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d), the form struct conf_cidr and request_view.peer use, so one comparison
 * serves both families. The one parser of address text: networks in the config
 * (conf_parse_cidr) and X-Forwarded-For (pipeline/verify.c) both go through it. Pure, any
 * thread.
 */
#ifndef BRIDGE_CORE_NETADDR_H
#define BRIDGE_CORE_NETADDR_H

#include <stddef.h>
#include <stdint.h>

/* Parses one textual address from (text, len), which need not be NUL-terminated: dotted IPv4
 * ("192.0.2.1", strictly four decimal parts) or IPv6 ("2001:db8::1", "::ffff:192.0.2.1").
 * Writes the 16-byte form to out and returns 0, or returns -1 on anything else: surrounding
 * spaces, a port, brackets, a zone ("%eth0"), a NUL byte, a prefix. */
int netaddr_parse(const char *text, size_t len, uint8_t out[16]);

/* Longest text netaddr_format writes, with its NUL. */
#define NETADDR_TEXT_MAX 46

/* Writes the 16-byte form as text into buf (NETADDR_TEXT_MAX bytes): an IPv4-mapped address
 * as dotted IPv4 ("192.0.2.1"), any other as IPv6 ("2001:db8::1"). Returns buf. */
const char *netaddr_format(const uint8_t addr[16], char buf[NETADDR_TEXT_MAX]);

#endif
