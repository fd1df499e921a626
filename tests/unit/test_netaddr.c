/* Address and network parsing and matching for allow_from / trusted_proxies: core/netaddr.c,
 * conf_parse_cidr (the one network parser), pipeline/cidr.c. */
#include "check.h"

#include "conf/value.h"
#include "pipeline/cidr.h"

static int parses(const char *text)
{
    uint8_t a[16];
    return netaddr_parse(text, strlen(text), a) == 0;
}

static int same(const char *x, const char *y)
{
    uint8_t a[16], b[16];
    return netaddr_parse(x, strlen(x), a) == 0 && netaddr_parse(y, strlen(y), b) == 0 &&
           memcmp(a, b, 16) == 0;
}

static int cidr(const char *text, struct conf_cidr *c)
{
    memset(c, 0, sizeof *c);
    return conf_parse_cidr(text, strlen(text), c) == NULL ? 0 : -1;
}

static int contains(const char *net, const char *addr)
{
    struct conf_cidr c;
    uint8_t a[16];
    if (cidr(net, &c) != 0 || netaddr_parse(addr, strlen(addr), a) != 0)
        return -1;
    return cidr_contains(&c, a);
}

static void test_parse(void)
{
    uint8_t a[16];
    static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    CHECK(netaddr_parse("192.0.2.1", 9, a) == 0 && memcmp(a, v4, 16) == 0);
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(netaddr_parse("2001:db8::1", 11, a) == 0 && memcmp(a, v6, 16) == 0);
    CHECK(parses("::1"));
    CHECK(parses("::"));
    CHECK(parses("0.0.0.0"));
    CHECK(parses("255.255.255.255"));
    CHECK(parses("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"));
    /* IPv4-mapped IPv6 text is the same address as the dotted form. */
    CHECK(same("::ffff:192.0.2.1", "192.0.2.1"));
    CHECK(same("::FFFF:c000:201", "192.0.2.1"));
    CHECK(!same("::192.0.2.1", "192.0.2.1")); /* IPv4-compatible is not mapped */

    /* A view is not NUL-terminated: only len bytes count. */
    CHECK(netaddr_parse("192.0.2.12", 9, a) == 0 && memcmp(a, v4, 16) == 0);

    CHECK(!parses(""));
    CHECK(!parses("1.2.3"));
    CHECK(!parses("1.2.3.4.5"));
    CHECK(!parses("256.1.1.1"));
    CHECK(!parses("01.2.3.4"));
    CHECK(!parses("0x7f.0.0.1"));
    CHECK(!parses(" 1.2.3.4"));
    CHECK(!parses("1.2.3.4 "));
    CHECK(!parses("1.2.3.4:80"));
    CHECK(!parses("[::1]"));
    CHECK(!parses("[::1]:443"));
    CHECK(!parses("fe80::1%eth0"));
    CHECK(!parses("1.2.3.4/32"));
    CHECK(!parses("unknown"));
    CHECK(!parses("2001:db8:::1"));
    CHECK(!parses("1:2:3:4:5:6:7:8:9"));
    CHECK(netaddr_parse("1.2.3.4\0", 8, a) != 0); /* an embedded NUL is not ignored */
    CHECK(netaddr_parse(NULL, 0, a) != 0);
    char longtext[80];
    memset(longtext, '1', sizeof longtext);
    CHECK(netaddr_parse(longtext, sizeof longtext, a) != 0);
}

static void test_parse_cidr(void)
{
    struct conf_cidr c;
    CHECK(cidr("10.0.0.0/8", &c) == 0 && c.prefix == 104);
    CHECK(cidr("0.0.0.0/0", &c) == 0 && c.prefix == 96);
    CHECK(cidr("10.0.0.0/0", &c) != 0); /* host bits */
    CHECK(cidr("10.0.0.1/32", &c) == 0 && c.prefix == 128);
    /* host bits below the prefix: refused, in allow_from and trusted_proxies alike (the second
     * parser this file once tested took "10.1.2.3/8" as 10.0.0.0/8) */
    CHECK(cidr("10.1.2.3/8", &c) != 0);
    CHECK(cidr("2001:db8::1/32", &c) != 0);
    CHECK(cidr("10.0.0.1", &c) == 0 && c.prefix == 128);
    CHECK(cidr("2001:db8::/32", &c) == 0 && c.prefix == 32);
    CHECK(cidr("::/0", &c) == 0 && c.prefix == 0);
    CHECK(cidr("::1/128", &c) == 0 && c.prefix == 128);
    CHECK(cidr("::1", &c) == 0 && c.prefix == 128);
    CHECK(cidr("::ffff:10.0.0.0/104", &c) == 0 && c.prefix == 104);

    CHECK(cidr("10.0.0.0/33", &c) != 0);
    CHECK(cidr("2001:db8::/129", &c) != 0);
    CHECK(cidr("10.0.0.0/", &c) != 0);
    CHECK(cidr("10.0.0.0/08", &c) != 0);
    CHECK(cidr("10.0.0.0/-1", &c) != 0);
    CHECK(cidr("10.0.0.0/+8", &c) != 0);
    CHECK(cidr("10.0.0.0/8 ", &c) != 0);
    CHECK(cidr("10.0.0.0/1000", &c) != 0);
    CHECK(cidr("10.0.0/8", &c) != 0);
    CHECK(cidr("/8", &c) != 0);
    CHECK(cidr("", &c) != 0);
}

static void test_contains(void)
{
    CHECK(contains("10.0.0.0/8", "10.255.1.1") == 1);
    CHECK(contains("10.0.0.0/8", "10.0.0.0") == 1);
    CHECK(contains("10.0.0.0/8", "11.0.0.1") == 0);
    CHECK(contains("10.0.0.0/8", "9.255.255.255") == 0);
    CHECK(contains("192.0.2.0/25", "192.0.2.127") == 1);
    CHECK(contains("192.0.2.0/25", "192.0.2.128") == 0);
    CHECK(contains("192.0.2.1", "192.0.2.1") == 1);
    CHECK(contains("192.0.2.1", "192.0.2.2") == 0);
    CHECK(contains("0.0.0.0/0", "203.0.113.7") == 1);
    CHECK(contains("0.0.0.0/0", "2001:db8::1") == 0); /* a v4 network holds no v6 address */
    CHECK(contains("::/0", "2001:db8::1") == 1);
    CHECK(contains("::/0", "203.0.113.7") == 1);
    CHECK(contains("2001:db8::/32", "2001:db8:ffff::1") == 1);
    CHECK(contains("2001:db8::/32", "2001:db9::1") == 0);
    CHECK(contains("2001:db8::/33", "2001:db8:7fff::1") == 1);
    CHECK(contains("2001:db8::/33", "2001:db8:8000::1") == 0);
    CHECK(contains("::ffff:10.0.0.0/104", "10.3.2.1") == 1);

    struct conf_cidr bad = {.prefix = 129};
    uint8_t zero[16] = {0};
    CHECK(cidr_contains(&bad, zero) == 0);

    struct conf_cidr list[2];
    uint8_t a[16];
    CHECK(cidr("10.0.0.0/8", &list[0]) == 0 && cidr("2001:db8::/32", &list[1]) == 0);
    CHECK(netaddr_parse("2001:db8::5", 11, a) == 0 && cidr_list_contains(list, 2, a) == 1);
    CHECK(netaddr_parse("192.0.2.5", 9, a) == 0 && cidr_list_contains(list, 2, a) == 0);
    CHECK(cidr_list_contains(list, 0, a) == 0);
}

static void test_format(void)
{
    /* the log's client address: IPv4-mapped as dotted IPv4, the rest as IPv6 */
    static const char *const cases[] = {"192.0.2.1", "2001:db8::1", "::1", "0.0.0.0",
                                        "255.255.255.255", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"};
    for (size_t i = 0; i != sizeof(cases) / sizeof(cases[0]); ++i) {
        uint8_t a[16];
        char text[NETADDR_TEXT_MAX];
        CHECK(netaddr_parse(cases[i], strlen(cases[i]), a) == 0);
        CHECK_STR(netaddr_format(a, text), cases[i]);
    }
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_parse);
    CHECK_RUN(test_format);
    CHECK_RUN(test_parse_cidr);
    CHECK_RUN(test_contains);
    return check_done();
}
