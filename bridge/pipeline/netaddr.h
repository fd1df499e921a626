/*
 * IP addresses and networks for allow_from and trusted_proxies. Every address is 16 bytes;
 * IPv4 is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), the form struct conf_cidr and
 * request_view.peer use, so one comparison serves both families. Pure, any thread.
 */
#ifndef BRIDGE_PIPELINE_NETADDR_H
#define BRIDGE_PIPELINE_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

/* Parses one textual address from (text, len), which need not be NUL-terminated: dotted IPv4
 * ("192.0.2.1", strictly four decimal parts) or IPv6 ("2001:db8::1", "::ffff:192.0.2.1").
 * Writes the 16-byte form to out and returns 0, or returns -1 on anything else: surrounding
 * spaces, a port, brackets, a zone ("%eth0"), a NUL byte, a prefix. */
int netaddr_parse(const char *text, size_t len, uint8_t out[16]);

/* Parses a network "ADDR/PREFIX" or a bare address (a host: /32 or /128) into addr and
 * *prefix. An IPv4 prefix is 0..32 and is stored plus 96; an IPv6 prefix is 0..128. The
 * prefix is decimal digits only, without a sign or leading zeros. Host bits below the prefix
 * are allowed and ignored by cidr_contains(). Returns 0, or -1 on malformed text. */
int netaddr_parse_cidr(const char *text, size_t len, uint8_t addr[16], unsigned *prefix);

/* Whether addr lies inside network c (the first c->prefix bits agree). A prefix above 128
 * matches nothing. */
int cidr_contains(const struct conf_cidr *c, const uint8_t addr[16]);

/* Whether addr lies inside any of the n networks. */
int cidr_list_contains(const struct conf_cidr *list, size_t n, const uint8_t addr[16]);

#endif
