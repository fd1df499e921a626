/*
 * Network membership for allow_from and trusted_proxies, over the networks the config parsed
 * (conf_parse_cidr) and addresses in the 16-byte form of core/netaddr.h. Pure, any thread.
 */
#ifndef BRIDGE_PIPELINE_CIDR_H
#define BRIDGE_PIPELINE_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "core/netaddr.h"

/* Whether addr lies inside network c (the first c->prefix bits agree). A prefix above 128
 * matches nothing. */
int cidr_contains(const struct conf_cidr *c, const uint8_t addr[16]);

/* Whether addr lies inside any of the n networks. */
int cidr_list_contains(const struct conf_cidr *list, size_t n, const uint8_t addr[16]);

#endif
