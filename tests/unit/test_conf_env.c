/*
 * conf/ internals with many small cases: ${VAR} expansion (env.c) and the value validators
 * (value.c).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/env.h"
#include "conf/value.h"

/* Expands `in`; returns the result or "ERR: <message>" (static buffer). */
static const char *expand(const char *in)
{
    static char out[512];
    char *t, msg[256];
    size_t len;
    if (conf_env_expand(in, strlen(in), false, &t, &len, msg, sizeof(msg)) != 0) {
        snprintf(out, sizeof(out), "ERR: %s", msg);
        return out;
    }
    CHECK(strlen(t) == len);
    snprintf(out, sizeof(out), "%s", t);
    free(t);
    return out;
}

static void test_expand(void)
{
    setenv("CE_A", "alpha", 1);
    setenv("CE_EMPTY", "", 1);
    unsetenv("CE_UNSET");
    CHECK_STR(expand(""), "");
    CHECK_STR(expand("plain text"), "plain text");
    CHECK_STR(expand("${CE_A}"), "alpha");
    CHECK_STR(expand("x${CE_A}y${CE_A}z"), "xalphayalphaz");
    CHECK_STR(expand("${CE_A}${CE_A}"), "alphaalpha");
    CHECK_STR(expand("${CE_UNSET:-fallback}"), "fallback");
    CHECK_STR(expand("${CE_UNSET:-}"), "");
    CHECK_STR(expand("${CE_UNSET:-a:b/c d}"), "a:b/c d");
    CHECK_STR(expand("${CE_A:-fallback}"), "alpha");
    CHECK_STR(expand("${CE_EMPTY:-fallback}"), "fallback");
    CHECK_STR(expand("${CE_EMPTY}"), ""); /* set but empty is not "unset" */
    CHECK_STR(expand("$$"), "$");
    CHECK_STR(expand("$${CE_A}"), "${CE_A}");
    CHECK_STR(expand("$$$"), "$$");
    CHECK_STR(expand("a$"), "a$");
    CHECK_STR(expand("$CE_A"), "$CE_A"); /* only the braced form expands */
    CHECK_STR(expand("${CE_UNSET}"),
              "ERR: environment variable CE_UNSET is not set and has no default");
    CHECK_STR(expand("${CE_A"), "ERR: unterminated ${ in value (write $$ for a literal $)");
    CHECK_STR(expand("${}"), "ERR: invalid ${...} expression (expected ${NAME} or "
                             "${NAME:-default}; write $$ for a literal $)");
    CHECK_STR(expand("${1A}"), "ERR: invalid ${...} expression (expected ${NAME} or "
                               "${NAME:-default}; write $$ for a literal $)");
    CHECK_STR(expand("${CE_A:?x}"), "ERR: invalid ${...} expression (expected ${NAME} or "
                                    "${NAME:-default}; write $$ for a literal $)");
    /* a message never carries a default, which may be a development secret */
    CHECK(strstr(expand("${CE_A:?dev-secret}"), "dev-secret") == NULL);

    /* (in, len): bytes after len are not read */
    char *t, msg[64];
    size_t len;
    CHECK(conf_env_expand("${CE_A}tail", 7, false, &t, &len, msg, sizeof(msg)) == 0);
    CHECK(len == 5 && strcmp(t, "alpha") == 0);
    free(t);
}

#define GOOD(call) CHECK((call) == NULL)
#define BAD(call, why) CHECK_STR(call, why)

static void test_values(void)
{
    GOOD(conf_check_hostport("0.0.0.0:8080", 12));
    GOOD(conf_check_hostport("[::]:8080", 9));
    GOOD(conf_check_hostport("[fe80::1]:1", 11));
    GOOD(conf_check_hostport("localhost:65535", 15));
    GOOD(conf_check_hostport("kafka-0.kafka.svc.cluster.local:9092", 36));
    GOOD(conf_check_hostport("my_kafka:9092", 13));
    BAD(conf_check_hostport("[::1]", 5), "expected host:port");
    BAD(conf_check_hostport("[::1:80", 7), "missing ']' after IPv6 address");
    BAD(conf_check_hostport("host:", 5), "missing port");
    BAD(conf_check_hostport("-host:80", 8), "invalid host name");
    BAD(conf_check_hostport("a..b:80", 7), "invalid host name");
    BAD(conf_check_hostport("1.2.3:80", 8), "invalid IPv4 address");
    BAD(conf_check_hostport("host:65536", 10), "port out of range (1..65535)");
    BAD(conf_check_hostport("host:8o", 7), "port is not a number");

    struct conf_cidr c;
    GOOD(conf_parse_cidr("0.0.0.0/0", 9, &c));
    CHECK(c.prefix == 96 && c.addr[10] == 0xff && c.addr[11] == 0xff);
    GOOD(conf_parse_cidr("::/0", 4, &c));
    CHECK(c.prefix == 0);
    GOOD(conf_parse_cidr("2001:db8::/32", 13, &c));
    CHECK(c.prefix == 32 && c.addr[0] == 0x20 && c.addr[1] == 0x01 && c.addr[3] == 0xb8);
    GOOD(conf_parse_cidr("::1", 3, &c));
    CHECK(c.prefix == 128 && c.addr[15] == 1);
    BAD(conf_parse_cidr("2001:db8::1/32", 14, &c), "address has bits set beyond the prefix length");
    BAD(conf_parse_cidr("10.0.0.0/", 9, &c), "invalid prefix length");
    BAD(conf_parse_cidr("10.0.0.0/x", 10, &c), "invalid prefix length");
    BAD(conf_parse_cidr("::/129", 6, &c), "prefix length out of range (0..128)");
    BAD(conf_parse_cidr("example.com/8", 13, &c),
        "invalid address (expected an IPv4 or IPv6 network such as 10.0.0.0/8)");

    char topic[251];
    memset(topic, 'a', sizeof(topic));
    GOOD(conf_check_topic(topic, 249));
    BAD(conf_check_topic(topic, 250), "a topic name has 1..249 characters");
    BAD(conf_check_topic("", 0), "a topic name has 1..249 characters");
    BAD(conf_check_topic(".", 1), "a topic name cannot be \".\" or \"..\"");
    GOOD(conf_check_topic("...", 3));
    GOOD(conf_check_topic("Payments_v2.payment-succeeded", 29));
    BAD(conf_check_topic("a*", 2), "a topic name has only the characters a-z A-Z 0-9 . _ -");

    GOOD(conf_check_json_pointer("", 0));
    GOOD(conf_check_json_pointer("/", 1));
    GOOD(conf_check_json_pointer("/a~0b/~1c", 9));
    BAD(conf_check_json_pointer("/a~", 3),
        "'~' must be followed by 0 or 1 in a JSON pointer (RFC 6901)");
    BAD(conf_check_json_pointer("a", 1), "a JSON pointer starts with '/'");

    GOOD(conf_check_header_name("X-Hub-Signature-256", 19));
    BAD(conf_check_header_name("a:b", 3),
        "a header name has only letters, digits and !#$%&'*+-.^_`|~");
    BAD(conf_check_header_name("", 0), "a header name cannot be empty");

    GOOD(conf_check_path("/webhooks/mono", 14));
    BAD(conf_check_path("/a?b", 4), "a path cannot hold spaces, control characters, '?' or '#'");
    BAD(conf_check_path("a", 1), "a path starts with '/'");
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_expand);
    CHECK_RUN(test_values);
    return check_done();
}
