/*
 * Validators for the kinds of values a configuration holds: listen addresses, broker lists,
 * CIDR networks, Kafka topic names, JSON pointers, HTTP header names. Pure functions over
 * (text, len); internal to conf/ (other layers get already-validated values).
 * Each check returns NULL when the value is good, else a static reason to append to the
 * error message.
 */
#ifndef BRIDGE_CONF_VALUE_H
#define BRIDGE_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* "host:port": host an IPv4 literal, "[IPv6]", "localhost" or a DNS name; port 1..65535. */
const char *conf_check_hostport(const char *s, size_t len);

/* "a.b.c.d/n", "IPv6/n" or a bare address (= /32, /128); the prefix is decimal without a
 * sign or leading zero, and host bits must be zero. The one network parser. Fills
 * addr and prefix of *out (IPv4 mapped into ::ffff:0:0/96, prefix + 96); text is untouched. */
const char *conf_parse_cidr(const char *s, size_t len, struct conf_cidr *out);

/* Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], and not "." or "..". */
const char *conf_check_topic(const char *s, size_t len);

/* RFC 6901: "" or starting with '/', every '~' followed by '0' or '1'; and within
 * CONF_POINTER_MAX_TOKENS tokens and CONF_POINTER_MAX_LEN unescaped bytes. The one check of a
 * pointer's text: the scanner (pipeline/jscan.c) compiles only pointers that passed it. */
const char *conf_check_json_pointer(const char *s, size_t len);

/* An HTTP header field name: 1 or more RFC 9110 token characters. */
const char *conf_check_header_name(const char *s, size_t len);

/* A request path: starts with '/', no whitespace, control characters, '?' or '#'. */
const char *conf_check_path(const char *s, size_t len);

#endif
