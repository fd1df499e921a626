/*
 * Value validators. Addresses are checked with inet_pton() (libc) rather than a hand-written
 * parser: it is the same routine the listener will use, so what passes here also binds. Host
 * names are checked syntactically only; resolving them here would make --check-config depend
 * on DNS at the time of the check. A network's address goes through core's netaddr_parse, the
 * parser X-Forwarded-For uses too.
 */
#include "conf/value.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/netaddr.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Copies (s, len) into buf as a C string; false when it does not fit or holds a NUL. */
static bool cstr(char *buf, size_t size, const char *s, size_t len)
{
    if (len >= size || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

static bool check_hostname(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= len; ++i) {
        if (i == len || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        /* '_' is not valid DNS, but Docker Compose service names use it. */
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
        if (label == 0 && s[i] == '-')
            return false;
        ++label;
    }
    return true;
}

const char *conf_check_hostport(const char *s, size_t len)
{
    const char *colon = NULL;
    const char *host = s;
    size_t hlen;
    char buf[INET6_ADDRSTRLEN + 1];

    if (len != 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return "missing ']' after IPv6 address";
        if ((size_t)(close - s) + 1 == len || close[1] != ':')
            return "expected host:port";
        colon = close + 1;
        host = s + 1;
        hlen = (size_t)(close - host);
        struct in6_addr a6;
        if (!cstr(buf, sizeof(buf), host, hlen) || inet_pton(AF_INET6, buf, &a6) != 1)
            return "invalid IPv6 address";
    } else {
        for (size_t i = len; i-- > 0;)
            if (s[i] == ':') {
                colon = s + i;
                break;
            }
        if (colon == NULL)
            return "expected host:port";
        hlen = (size_t)(colon - s);
        if (hlen == 0)
            return "missing host (use 0.0.0.0 or [::] for every address)";
        if (memchr(s, ':', hlen) != NULL)
            return "an IPv6 address must be written in brackets, e.g. [::1]:8080";
        bool numeric = true;
        for (size_t i = 0; i != hlen; ++i)
            if (!is_digit(s[i]) && s[i] != '.')
                numeric = false;
        if (numeric) {
            struct in_addr a4;
            if (!cstr(buf, sizeof(buf), s, hlen) || inet_pton(AF_INET, buf, &a4) != 1)
                return "invalid IPv4 address";
        } else if (!check_hostname(s, hlen)) {
            return "invalid host name";
        }
    }
    const char *port = colon + 1;
    size_t plen = len - (size_t)(port - s);
    if (plen == 0)
        return "missing port";
    unsigned long v = 0;
    for (size_t i = 0; i != plen; ++i) {
        if (!is_digit(port[i]))
            return "port is not a number";
        v = v * 10 + (unsigned long)(port[i] - '0');
        if (v > 65535)
            break;
    }
    if (v < 1 || v > 65535)
        return "port out of range (1..65535)";
    return NULL;
}

const char *conf_parse_cidr(const char *s, size_t len, struct conf_cidr *out)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - s) : len;

    if (netaddr_parse(s, alen, out->addr) != 0)
        return "invalid address (expected an IPv4 or IPv6 network such as 10.0.0.0/8)";
    /* a v4 network is written in dotted form; "::ffff:10.0.0.0/104" is a v6 network */
    bool v4 = memchr(s, ':', alen) == NULL;
    unsigned max = v4 ? 32 : 128, offset = v4 ? 96 : 0;
    unsigned prefix = max;
    if (slash != NULL) {
        size_t plen = len - alen - 1;
        if (plen == 0 || plen > 3 || (slash[1] == '0' && plen > 1))
            return "invalid prefix length";
        prefix = 0;
        for (size_t i = 0; i != plen; ++i) {
            if (!is_digit(slash[1 + i]))
                return "invalid prefix length";
            prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
        }
        if (prefix > max)
            return max == 32 ? "prefix length out of range (0..32)"
                             : "prefix length out of range (0..128)";
    }
    out->prefix = prefix + offset;
    for (unsigned bit = out->prefix; bit < 128; ++bit)
        if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
            return "address has bits set beyond the prefix length";
    return NULL;
}

const char *conf_check_topic(const char *s, size_t len)
{
    if (len == 0 || len > 249)
        return "a topic name has 1..249 characters";
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return "a topic name cannot be \".\" or \"..\"";
    for (size_t i = 0; i != len; ++i)
        if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return "a topic name has only the characters a-z A-Z 0-9 . _ -";
    return NULL;
}

#define CONF_STR_(x) #x
#define CONF_STR(x) CONF_STR_(x)

const char *conf_check_json_pointer(const char *s, size_t len)
{
    if (len == 0)
        return NULL;
    if (s[0] != '/')
        return "a JSON pointer starts with '/'";
    size_t tokens = 0, bytes = 0;
    for (size_t i = 0; i != len; ++i) {
        if (s[i] == '/') {
            ++tokens;
            continue;
        }
        if (s[i] == '~' && (i + 1 == len || (s[i + 1] != '0' && s[i + 1] != '1')))
            return "'~' must be followed by 0 or 1 in a JSON pointer (RFC 6901)";
        i += s[i] == '~'; /* ~0 and ~1 are one byte once unescaped */
        ++bytes;
    }
    if (memchr(s, '\0', len) != NULL)
        return "a JSON pointer cannot hold a NUL byte";
    if (tokens > CONF_POINTER_MAX_TOKENS)
        return "a JSON pointer has at most " CONF_STR(CONF_POINTER_MAX_TOKENS) " tokens";
    if (bytes > CONF_POINTER_MAX_LEN)
        return "a JSON pointer has at most " CONF_STR(CONF_POINTER_MAX_LEN) " bytes, unescaped";
    return NULL;
}

const char *conf_check_header_name(const char *s, size_t len)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    if (len == 0)
        return "a header name cannot be empty";
    for (size_t i = 0; i != len; ++i)
        if (!is_alnum(s[i]) && (s[i] == '\0' || strchr(tchar, s[i]) == NULL))
            return "a header name has only letters, digits and !#$%&'*+-.^_`|~";
    return NULL;
}

const char *conf_check_path(const char *s, size_t len)
{
    if (len == 0 || s[0] != '/')
        return "a path starts with '/'";
    for (size_t i = 0; i != len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '?' || c == '#')
            return "a path cannot hold spaces, control characters, '?' or '#'";
    }
    return NULL;
}
