/*
 * Fuzz target for webhook verification: every scheme's header parsing (Stripe-Signature,
 * webhook-signature / svix-signature, X-Slack-Signature, prefixed hex/base64 HMAC, shared
 * secrets), allow_from through trusted X-Forwarded-For, netaddr_parse and the strict hex and
 * base64 decoders.
 *
 * Input format (HTTP-like, so seeds are readable and built from signature-vectors.md):
 *
 *   line 1:   CLOCK PEER     one clock digit ('0'..'7' picks now_s from `clocks`), then the
 *                            peer address as text; unparseable text means "no peer"
 *   lines:    NAME: VALUE    request headers (value after ':' and optional blanks), up to an
 *                            empty line; a line without ':' is a header with an empty value
 *   the rest: the body, exact bytes
 *
 * Every input is checked against all verifiers below (built once, from C structs, independent
 * of the YAML loader). Each header value and the body get their own exactly-sized heap copy, so
 * a read past any of them shows under ASan.
 *
 * Invariants (oracles) besides "no crash":
 *  - verifier_check is deterministic and returns a known result;
 *  - a signature scheme that accepts a request rejects it once one body byte changes;
 *  - allow_from decides exactly as a reference walk of X-Forwarded-For (rightmost entry that
 *    is not a trusted proxy; an unparseable entry on the way forbids);
 *  - a string the strict decoders accept re-encodes to itself (hex: up to case; base64: up to
 *    omitted padding), i.e. nothing is skipped or ignored;
 *  - conf_parse_cidr gives a prefix <= 128 and a network that contains its own address.
 */
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "pipeline/encoding.h"
#include "conf/value.h"
#include "pipeline/cidr.h"
#include "pipeline/verify.h"

#define MAX_HEADERS 64

struct setup {
    enum verify_scheme scheme;
    const char *header;
    enum hmac_algorithm algorithm;
    enum sig_encoding encoding;
    const char *prefix;
    const char *secrets[4]; /* NULL-terminated */
    unsigned tolerance_s;
    int guarded; /* with allow_from and trusted_proxies */
};

/* Secrets of tests/fixtures/signature-vectors.md, so the seeds reach the accepting paths. */
static const struct setup setups[] = {
    {VERIFY_SCHEME_SHARED_SECRET, "mono-webhook-secret", 0, 0, NULL,
     {"mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8c", "dev-mono-secret"}, 0, 0},
    {VERIFY_SCHEME_SHARED_SECRET, "verif-hash", 0, 0, NULL, {"flw-bridge-secret-hash-2026"}, 0, 1},
    {VERIFY_SCHEME_HMAC, "x-hub-signature-256", HMAC_SHA256, SIG_HEX, "sha256=",
     {"It's a Secret to Everybody", "gh-bridge-test-secret"}, 0, 0},
    {VERIFY_SCHEME_HMAC, "x-hub-signature", HMAC_SHA1, SIG_HEX, "sha1=",
     {"gh-bridge-test-secret"}, 0, 0},
    {VERIFY_SCHEME_HMAC, "x-paystack-signature", HMAC_SHA512, SIG_HEX, NULL,
     {"sk_test_4f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"}, 0, 0},
    {VERIFY_SCHEME_HMAC, "x-shopify-hmac-sha256", HMAC_SHA256, SIG_BASE64, NULL,
     {"a1b2c3d4e5f60718293a4b5c6d7e8f90"}, 0, 0},
    {VERIFY_SCHEME_HMAC, "flutterwave-signature", HMAC_SHA256, SIG_BASE64, "",
     {"flw-bridge-secret-hash-2026"}, 0, 1},
    {VERIFY_SCHEME_HMAC, "x-fuzz-signature", HMAC_SHA512, SIG_BASE64, "v1=",
     {"sk_test_4f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"}, 0, 0},
    {VERIFY_SCHEME_HMAC, "x-fuzz-sha1-b64", HMAC_SHA1, SIG_BASE64, "sha1=",
     {"gh-bridge-test-secret"}, 0, 0},
    {VERIFY_SCHEME_STRIPE, NULL, 0, 0, NULL,
     {"whsec_test_7d2f1c9a8b3e4d5f6a7b8c9d0e1f2a3b", "whsec_test_00aa11bb22cc33dd44ee55ff66778899"},
     0, 0},
    {VERIFY_SCHEME_STRIPE, NULL, 0, 0, NULL, {"whsec_test_00aa11bb22cc33dd44ee55ff66778899"}, 60,
     1},
    {VERIFY_SCHEME_STANDARD_WEBHOOKS, NULL, 0, 0, NULL,
     {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
      "whsec_us21mCOZlzeYfiSs/U44KGrvNLQ7iXUOsmFIsncNTeI="},
     0, 0},
    {VERIFY_SCHEME_STANDARD_WEBHOOKS, NULL, 0, 0, NULL,
     {"DjVHlz3DHPV3/4OSsL7EbEk8sX9eDJ+Kwi1SdHc/mn4="}, 600, 1},
    {VERIFY_SCHEME_SLACK, NULL, 0, 0, NULL,
     {"8f742231b10e8888abcd99yyyzzz85a5", "e3b0c44298fc1c149afbf4c8996fb924"}, 0, 0},
    {VERIFY_SCHEME_SLACK, "x-fuzz-slack", 0, 0, NULL, {"e3b0c44298fc1c149afbf4c8996fb924"}, 0, 1},
    {VERIFY_SCHEME_NONE, NULL, 0, 0, NULL, {NULL}, 0, 1},
};
#define NSETUPS (sizeof setups / sizeof setups[0])

static const char *const allow_texts[] = {"203.0.113.0/24", "2001:db8::/32", "192.0.2.7"};
static const char *const trusted_texts[] = {"10.0.0.0/8", "fd00::/8", "127.0.0.1"};
#define NALLOW (sizeof allow_texts / sizeof allow_texts[0])
#define NTRUSTED (sizeof trusted_texts / sizeof trusted_texts[0])

/* now_s by the first input byte: the vectors' timestamps, and the clock's extremes. */
static const int64_t clocks[8] = {
    1773480765, 1614265330, 1649367553, 1531420618, 0, INT64_MAX, INT64_MIN, 1773480765 + 300,
};

static struct verifier *verifiers[NSETUPS];
static struct conf_cidr allow[NALLOW], trusted[NTRUSTED];
static int ready;

static void parse_cidrs(const char *const *texts, size_t n, struct conf_cidr *out)
{
    for (size_t i = 0; i != n; ++i)
        if (conf_parse_cidr(texts[i], strlen(texts[i]), &out[i]) != NULL)
            abort();
}

static void init(void)
{
    parse_cidrs(allow_texts, NALLOW, allow);
    parse_cidrs(trusted_texts, NTRUSTED, trusted);
    for (size_t i = 0; i != NSETUPS; ++i) {
        const struct setup *s = &setups[i];
        struct conf_secret secrets[4];
        memset(secrets, 0, sizeof secrets);
        size_t n = 0;
        for (; n != 4 && s->secrets[n] != NULL; ++n) {
            secrets[n].value = (char *)s->secrets[n];
            secrets[n].len = strlen(s->secrets[n]);
        }
        struct conf_source src;
        memset(&src, 0, sizeof src);
        src.name = "fuzz";
        src.path = "/webhooks/fuzz";
        src.verify.scheme = s->scheme;
        src.verify.header = (char *)s->header;
        src.verify.algorithm = s->algorithm;
        src.verify.encoding = s->encoding;
        src.verify.prefix = (char *)s->prefix;
        src.verify.secrets = secrets;
        src.verify.nsecrets = n;
        src.verify.tolerance_s = s->tolerance_s;
        src.verify.insecure = s->scheme == VERIFY_SCHEME_NONE;
        if (s->guarded) {
            src.allow_from = allow;
            src.nallow_from = NALLOW;
        }
        struct conf_error err;
        verifiers[i] = verifier_create("fuzz.yaml", &src, s->guarded ? trusted : NULL,
                                       s->guarded ? NTRUSTED : 0, &err);
        if (verifiers[i] == NULL) {
            fprintf(stderr, "fuzz_verify: setup %zu: %s\n", i, err.msg);
            abort();
        }
    }
    ready = 1;
}

/* ---- input --------------------------------------------------------------------------- */

struct input {
    int64_t now;
    struct request_view req;
    struct header_view headers[MAX_HEADERS];
    char *copies[MAX_HEADERS]; /* the header values' own buffers */
    char *body;
};

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl != NULL ? nl : end;
}

static char *copy(const char *p, size_t n)
{
    char *c = malloc(n != 0 ? n : 1);
    if (c == NULL)
        abort();
    if (n != 0)
        memcpy(c, p, n);
    return c;
}

static void parse_input(const uint8_t *data, size_t size, struct input *in)
{
    const char *p = (const char *)data, *end = p + size;
    memset(in, 0, sizeof *in);
    in->req.path = BYTES_LIT("/webhooks/fuzz");
    in->req.headers = in->headers;

    const char *eol = line_end(p, end);
    if (eol != p) {
        in->now = clocks[((unsigned char)p[0] - '0') & 7];
        in->req.has_peer = netaddr_parse(p + 1, (size_t)(eol - p - 1), in->req.peer) == 0;
    } else {
        in->now = clocks[0];
    }
    p = eol < end ? eol + 1 : end;

    while (p < end) {
        eol = line_end(p, end);
        if (eol == p) {
            ++p; /* the empty line: the body follows */
            in->body = copy(p, (size_t)(end - p));
            in->req.body = bytes_of(in->body, (size_t)(end - p));
            return;
        }
        if (in->req.nheaders != MAX_HEADERS) {
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            const char *v = colon != NULL ? colon + 1 : eol;
            while (v < eol && (*v == ' ' || *v == '\t'))
                ++v;
            size_t i = in->req.nheaders++;
            in->copies[i] = copy(v, (size_t)(eol - v));
            in->headers[i].name = bytes_of(p, (size_t)((colon != NULL ? colon : eol) - p));
            in->headers[i].value = bytes_of(in->copies[i], (size_t)(eol - v));
        }
        p = eol < end ? eol + 1 : end;
    }
    in->body = copy("", 0);
    in->req.body = bytes_of(in->body, 0);
}

static void free_input(struct input *in)
{
    for (size_t i = 0; i != in->req.nheaders; ++i)
        free(in->copies[i]);
    free(in->body);
}

/* ---- oracles ------------------------------------------------------------------------- */

/* The reference of verify.c's allow_from rule, written independently: the peer, or when the
 * peer is a trusted proxy, the rightmost X-Forwarded-For entry (all fields read as one list)
 * that is not trusted, the leftmost when all are; -1 when an entry on the way is unparseable
 * or there is no peer. */
static int reference_client(const struct request_view *req, uint8_t out[16])
{
    if (!req->has_peer)
        return -1;
    memcpy(out, req->peer, 16);
    if (!cidr_list_contains(trusted, NTRUSTED, out))
        return 0;
    size_t total = 0, nfields = 0;
    for (size_t i = 0; i != req->nheaders; ++i)
        if (bytes_case_eq(req->headers[i].name, BYTES_LIT("x-forwarded-for")))
            total += req->headers[i].value.len + 1, ++nfields;
    if (nfields == 0)
        return 0;
    char *list = malloc(total);
    if (list == NULL)
        abort();
    size_t n = 0;
    for (size_t i = 0; i != req->nheaders; ++i)
        if (bytes_case_eq(req->headers[i].name, BYTES_LIT("x-forwarded-for"))) {
            if (n != 0)
                list[n++] = ',';
            memcpy(list + n, req->headers[i].value.base, req->headers[i].value.len);
            n += req->headers[i].value.len;
        }
    int rc = 0;
    size_t stop = n;
    for (size_t i = n + 1; i-- != 0;) {
        if (i != 0 && list[i - 1] != ',')
            continue;
        size_t a = i, b = stop;
        while (a < b && (list[a] == ' ' || list[a] == '\t'))
            ++a;
        while (b > a && (list[b - 1] == ' ' || list[b - 1] == '\t'))
            --b;
        if (netaddr_parse(list + a, b - a, out) != 0) {
            rc = -1;
            break;
        }
        if (!cidr_list_contains(trusted, NTRUSTED, out))
            break;
        if (i == 0)
            break;
        stop = i - 1;
    }
    free(list);
    return rc;
}

static int signs_body(enum verify_scheme s)
{
    return s == VERIFY_SCHEME_HMAC || s == VERIFY_SCHEME_STRIPE ||
           s == VERIFY_SCHEME_STANDARD_WEBHOOKS || s == VERIFY_SCHEME_SLACK;
}

/* A signature that verifies must cover the body: change one byte (or add one) and check. */
static void check_body_covered(const struct verifier *v, const struct input *in)
{
    size_t n = in->req.body.len;
    char *b = malloc(n + 1);
    if (b == NULL)
        abort();
    memcpy(b, in->req.body.base, n);
    struct request_view r = in->req;
    if (n != 0) {
        b[n - 1] ^= 0x01;
        r.body = bytes_of(b, n);
    } else {
        b[0] = 'x';
        r.body = bytes_of(b, 1);
    }
    FUZZ_ASSERT(verifier_check(v, &r, in->now) != VERIFY_OK);
    free(b);
}

static void check_decoders(struct bytes s)
{
    if (s.len > 4096)
        return;
    uint8_t *out = malloc(s.len + 1);
    char *enc = malloc(2 * s.len + 8);
    if (out == NULL || enc == NULL)
        abort();
    size_t n;
    if (encoding_hex_decode(s.base, s.len, out, s.len, &n) == 0) {
        FUZZ_ASSERT(n * 2 == s.len);
        for (size_t i = 0; i != n; ++i) {
            snprintf(enc, 3, "%02x", out[i]);
            FUZZ_ASSERT(strncasecmp(enc, s.base + 2 * i, 2) == 0);
        }
    }
    if (encoding_base64_decode(s.base, s.len, out, s.len, &n) == 0) {
        int elen = EVP_EncodeBlock((unsigned char *)enc, out, (int)n);
        size_t want = s.len;
        if (want == 0 || s.base[want - 1] != '=')
            while (elen > 0 && enc[elen - 1] == '=')
                --elen;
        FUZZ_ASSERT((size_t)elen == want && memcmp(enc, s.base, want) == 0);
    }
    /* the output bound is respected: one byte less room than the decoded length fails */
    if (encoding_hex_decode(s.base, s.len, out, s.len, &n) == 0 && n != 0)
        FUZZ_ASSERT(encoding_hex_decode(s.base, s.len, out, n - 1, &n) != 0);
    free(out);
    free(enc);
}

static void check_cidr(struct bytes s)
{
    struct conf_cidr c;
    memset(&c, 0, sizeof c);
    if (conf_parse_cidr(s.base, s.len, &c) != NULL)
        return;
    FUZZ_ASSERT(c.prefix <= 128);
    FUZZ_ASSERT(cidr_contains(&c, c.addr)); /* host bits are zero: the network holds itself */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        init();
    struct input in;
    parse_input(data, size, &in);

    uint8_t client[16];
    int known = reference_client(&in.req, client);
    int allowed = known == 0 && cidr_list_contains(allow, NALLOW, client);

    for (size_t i = 0; i != NSETUPS; ++i) {
        enum verify_result r = verifier_check(verifiers[i], &in.req, in.now);
        FUZZ_ASSERT((unsigned)r < VERIFY_RESULT_COUNT);
        FUZZ_ASSERT(strcmp(verify_result_name(r), "unknown") != 0);
        FUZZ_ASSERT(verifier_check(verifiers[i], &in.req, in.now) == r);
        if (setups[i].guarded)
            FUZZ_ASSERT((r == VERIFY_FORBIDDEN_ADDRESS) == !allowed);
        else
            FUZZ_ASSERT(r != VERIFY_FORBIDDEN_ADDRESS);
        if (r == VERIFY_OK && signs_body(setups[i].scheme))
            check_body_covered(verifiers[i], &in);
    }

    for (size_t i = 0; i != in.req.nheaders; ++i) {
        check_decoders(in.headers[i].value);
        check_cidr(in.headers[i].value);
    }
    check_decoders(in.req.body);
    /* the first line again, as a network this time */
    const char *eol = memchr(data, '\n', size);
    size_t first = eol != NULL ? (size_t)(eol - (const char *)data) : size;
    if (first > 1)
        check_cidr(bytes_of((const char *)data + 1, first - 1));

    free_input(&in);
    return 0;
}
