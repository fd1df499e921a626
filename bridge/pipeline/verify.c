/*
 * Webhook verification. verifier_create() turns one source's verify: settings into a private,
 * read-only object: header names copied, whsec_ keys base64-decoded, and for the HMAC schemes
 * one keyed EVP_MAC_CTX per secret. verifier_check() then needs no configuration memory (a
 * reload may free it) and no lock: each check duplicates the keyed template (EVP_MAC_CTX_dup
 * reads its source only), which also skips the key schedule on every request. The rejected
 * alternative, EVP_MAC_CTX_new + EVP_MAC_init per request, refetches the digest and rehashes
 * the key each time for no gain.
 *
 * How a signature is checked: the provided value is parsed and decoded first (anything that
 * is not exactly the encoding, or not the digest's length, is MALFORMED_HEADER), then the
 * expected MAC is computed for each secret over the raw bytes as received and compared with
 * CRYPTO_memcmp on equal-length digests; any secret verifies (rotation). Shared secrets are
 * compared with bytes_ct_eq, whose time depends on the secret's length only. The timestamp
 * tolerance is checked after the signature, so STALE/FUTURE_TIMESTAMP always describe a
 * genuine request (a replay or a skewed clock), and a forgery is always MISMATCH.
 *
 * Decisions worth knowing:
 *  - a header that is present but empty counts as missing;
 *  - a signature header that is well formed but holds no signature of a known version (only
 *    Stripe v0, only Standard Webhooks v2) is MISMATCH; more than MAX_SIGNATURES signatures of
 *    the known version is MALFORMED_HEADER (bounds the work per request);
 *  - tolerance_s 0 means the default, 300 s: a zero-filled config never disables the check;
 *  - an internal OpenSSL failure during a check fails closed as MISMATCH;
 *  - X-Forwarded-For is read only when the peer is a trusted proxy, walking all its entries
 *    from the right; an unparseable entry met on that walk (including "unknown" or an
 *    "addr:port" form) makes the request FORBIDDEN_ADDRESS rather than falling back to the
 *    peer, since the peer is a proxy and would often be inside allow_from itself. RFC 7239
 *    Forwarded is not read.
 */
#include "verify.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/encoding.h"
#include "pipeline/cidr.h"

#define DEFAULT_TOLERANCE_S 300
#define MAX_SIGNATURES 8
/* 18 digits keep any timestamp and its distance to any sane clock inside int64_t. */
#define MAX_TIMESTAMP_DIGITS 18

struct verify_key {
    uint8_t *value; /* shared-secret: the secret's bytes; else NULL */
    size_t len;
    EVP_MAC_CTX *mac; /* HMAC schemes: keyed template, duplicated per check */
};

struct verifier {
    enum verify_scheme scheme;
    char *header; /* the signature (or secret) header; NULL for standard-webhooks */
    char *prefix; /* hmac: value prefix, "" when none */
    enum sig_encoding encoding;
    size_t md_len;
    unsigned tolerance_s;
    struct verify_key *keys;
    size_t nkeys;
    struct conf_cidr *allow; /* copies without text */
    size_t nallow;
    struct conf_cidr *trusted;
    size_t ntrusted;
};

static const char *const result_names[] = {
#define X(code, name) name,
    VERIFY_RESULT_TABLE(X)
#undef X
};

const char *verify_result_name(enum verify_result r)
{
    return (unsigned)r < VERIFY_RESULT_COUNT ? result_names[r] : "unknown";
}

/* ---- building ------------------------------------------------------------------------- */

static int fail(struct conf_error *err, const char *file, const struct conf_source *src,
                const struct conf_pos *pos, const char *key, const char *msg)
{
    char path[256];
    snprintf(path, sizeof path, "sources.%s.%s", src->name != NULL ? src->name : "?", key);
    return conf_errorf(err, file, pos, path, "%s", msg);
}

static const char *digest_name(enum hmac_algorithm alg, size_t *md_len)
{
    switch (alg) {
    case HMAC_SHA1:
        *md_len = 20;
        return "SHA1";
    case HMAC_SHA256:
        *md_len = 32;
        return "SHA256";
    case HMAC_SHA512:
        *md_len = 64;
        return "SHA512";
    }
    return NULL;
}

static EVP_MAC_CTX *keyed_mac(EVP_MAC *mac, const char *digest, const uint8_t *key, size_t len)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL || EVP_MAC_init(ctx, key, len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* The HMAC key of a Standard Webhooks secret: base64 after an optional "whsec_". Fills a
 * malloc'd *out (the caller wipes and frees it); returns 0 or -1. */
static int decode_whsec(const struct conf_secret *s, uint8_t **out, size_t *outlen)
{
    const char *text = s->value;
    size_t len = s->len;
    if (len >= 6 && memcmp(text, "whsec_", 6) == 0) {
        text += 6;
        len -= 6;
    }
    *out = malloc(len + 1);
    if (*out == NULL)
        return -1;
    if (encoding_base64_decode(text, len, *out, len + 1, outlen) != 0 || *outlen == 0) {
        OPENSSL_clear_free(*out, len + 1);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int copy_cidrs(const struct conf_cidr *in, size_t n, struct conf_cidr **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof **out);
    if (*out == NULL)
        return -1;
    for (size_t i = 0; i != n; ++i) {
        if (in[i].prefix > 128)
            return -1;
        memcpy((*out)[i].addr, in[i].addr, 16);
        (*out)[i].prefix = in[i].prefix;
    }
    return 0;
}

static int build_keys(struct verifier *v, const char *file, const struct conf_source *src,
                      const char *digest, struct conf_error *err)
{
    const struct conf_verify *cv = &src->verify;
    v->keys = calloc(cv->nsecrets + 1, sizeof *v->keys);
    if (v->keys == NULL)
        return fail(err, file, src, &cv->pos, "verify", "out of memory");
    v->nkeys = cv->nsecrets;

    EVP_MAC *mac = NULL;
    if (v->scheme != VERIFY_SCHEME_SHARED_SECRET) {
        mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (mac == NULL)
            return fail(err, file, src, &cv->pos, "verify", "OpenSSL offers no HMAC");
    }

    int rc = 0;
    for (size_t i = 0; i != cv->nsecrets && rc == 0; ++i) {
        const struct conf_secret *s = &cv->secrets[i];
        if (v->scheme == VERIFY_SCHEME_SHARED_SECRET) {
            v->keys[i].value = malloc(s->len);
            if (v->keys[i].value == NULL) {
                rc = fail(err, file, src, &s->pos, "verify.secrets", "out of memory");
                break;
            }
            memcpy(v->keys[i].value, s->value, s->len);
            v->keys[i].len = s->len;
            continue;
        }
        if (v->scheme == VERIFY_SCHEME_STANDARD_WEBHOOKS) {
            uint8_t *key;
            size_t klen;
            if (decode_whsec(s, &key, &klen) != 0) {
                rc = fail(err, file, src, &s->pos, "verify.secrets",
                          "a standard-webhooks secret must be \"whsec_\" followed by base64");
                break;
            }
            v->keys[i].mac = keyed_mac(mac, digest, key, klen);
            OPENSSL_clear_free(key, klen);
        } else {
            /* Stripe, Slack and plain HMAC use the secret's bytes as they are, whsec_ and all. */
            v->keys[i].mac = keyed_mac(mac, digest, (const uint8_t *)s->value, s->len);
        }
        if (v->keys[i].mac == NULL)
            rc = fail(err, file, src, &s->pos, "verify.secrets", "cannot set up HMAC");
    }
    EVP_MAC_free(mac);
    return rc;
}

static char *dup_or_default(const char *s, const char *dflt)
{
    const char *use = s != NULL && s[0] != '\0' ? s : dflt;
    return use != NULL ? strdup(use) : NULL;
}

struct verifier *verifier_create(const char *file, const struct conf_source *src,
                                 const struct conf_cidr *trusted_proxies, size_t ntrusted,
                                 struct conf_error *err)
{
    const struct conf_verify *cv = &src->verify;
    struct verifier *v = calloc(1, sizeof *v);
    if (v == NULL) {
        fail(err, file, src, &cv->pos, "verify", "out of memory");
        return NULL;
    }
    v->scheme = cv->scheme;
    v->tolerance_s = cv->tolerance_s != 0 ? cv->tolerance_s : DEFAULT_TOLERANCE_S;
    v->encoding = SIG_HEX;

    const char *digest = digest_name(HMAC_SHA256, &v->md_len);
    const char *need_header = NULL;
    switch (cv->scheme) {
    case VERIFY_SCHEME_NONE:
        break;
    case VERIFY_SCHEME_SHARED_SECRET:
        need_header = v->header = dup_or_default(cv->header, NULL);
        break;
    case VERIFY_SCHEME_HMAC:
        digest = digest_name(cv->algorithm, &v->md_len);
        if (digest == NULL) {
            fail(err, file, src, &cv->pos, "verify.algorithm", "unknown HMAC algorithm");
            goto error;
        }
        if (cv->encoding != SIG_HEX && cv->encoding != SIG_BASE64) {
            fail(err, file, src, &cv->pos, "verify.encoding", "unknown signature encoding");
            goto error;
        }
        v->encoding = cv->encoding;
        v->prefix = strdup(cv->prefix != NULL ? cv->prefix : "");
        need_header = v->header = dup_or_default(cv->header, NULL);
        if (v->prefix == NULL) {
            fail(err, file, src, &cv->pos, "verify", "out of memory");
            goto error;
        }
        break;
    case VERIFY_SCHEME_STRIPE:
        need_header = v->header = dup_or_default(cv->header, "stripe-signature");
        break;
    case VERIFY_SCHEME_SLACK:
        need_header = v->header = dup_or_default(cv->header, "x-slack-signature");
        break;
    case VERIFY_SCHEME_STANDARD_WEBHOOKS:
        v->encoding = SIG_BASE64;
        break;
    default:
        fail(err, file, src, &cv->pos, "verify.scheme", "unknown scheme");
        goto error;
    }
    if ((cv->scheme == VERIFY_SCHEME_SHARED_SECRET || cv->scheme == VERIFY_SCHEME_HMAC ||
         cv->scheme == VERIFY_SCHEME_STRIPE || cv->scheme == VERIFY_SCHEME_SLACK) &&
        need_header == NULL) {
        fail(err, file, src, &cv->pos, "verify", "out of memory");
        goto error;
    }
    if (cv->scheme != VERIFY_SCHEME_NONE && build_keys(v, file, src, digest, err) != 0)
        goto error;

    if (copy_cidrs(src->allow_from, src->nallow_from, &v->allow) != 0) {
        fail(err, file, src, &src->pos, "allow_from", "bad network or out of memory");
        goto error;
    }
    v->nallow = src->nallow_from;
    if (copy_cidrs(trusted_proxies, ntrusted, &v->trusted) != 0) {
        conf_errorf(err, file, NULL, "trusted_proxies", "bad network or out of memory");
        goto error;
    }
    v->ntrusted = ntrusted;
    return v;

error:
    verifier_destroy(v);
    return NULL;
}

void verifier_destroy(struct verifier *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i != v->nkeys; ++i) {
        if (v->keys[i].value != NULL)
            OPENSSL_clear_free(v->keys[i].value, v->keys[i].len);
        EVP_MAC_CTX_free(v->keys[i].mac); /* wipes the key it holds */
    }
    free(v->keys);
    free(v->header);
    free(v->prefix);
    free(v->allow);
    free(v->trusted);
    free(v);
}

/* ---- the client address ---------------------------------------------------------------- */

static struct bytes trim(struct bytes b)
{
    while (b.len != 0 && (b.base[0] == ' ' || b.base[0] == '\t')) {
        ++b.base;
        --b.len;
    }
    while (b.len != 0 && (b.base[b.len - 1] == ' ' || b.base[b.len - 1] == '\t'))
        --b.len;
    return b;
}

/* The address allow_from judges: the peer, or when the peer is a trusted proxy, the
 * rightmost X-Forwarded-For entry that is not itself a trusted proxy (the leftmost if all
 * are). Returns 0, or -1 when it cannot be known. */
int verifier_client_address(const struct verifier *v, const struct request_view *req,
                            uint8_t out[16])
{
    if (!req->has_peer)
        return -1;
    memcpy(out, req->peer, 16);
    if (!cidr_list_contains(v->trusted, v->ntrusted, req->peer))
        return 0;

    /* Several X-Forwarded-For fields read as one list joined by commas, in field order, so the
     * walk starts at the last entry of the last field. */
    for (size_t h = req->nheaders; h-- != 0;) {
        if (!bytes_case_eq(req->headers[h].name, BYTES_LIT("x-forwarded-for")))
            continue;
        struct bytes list = req->headers[h].value;
        if (list.base == NULL)
            return -1;
        size_t end = list.len;
        for (;;) {
            size_t start = end;
            while (start != 0 && list.base[start - 1] != ',')
                --start;
            struct bytes item = trim(bytes_of(list.base + start, end - start));
            if (netaddr_parse(item.base, item.len, out) != 0)
                return -1;
            if (!cidr_list_contains(v->trusted, v->ntrusted, out))
                return 0;
            if (start == 0)
                break;
            end = start - 1;
        }
    }
    return 0;
}

/* ---- signatures ------------------------------------------------------------------------ */

static struct bytes header_value(const struct request_view *req, const char *name)
{
    return request_header(req, bytes_str(name));
}

static int present(struct bytes b)
{
    return b.base != NULL && b.len != 0;
}

static int parse_timestamp(struct bytes s, int64_t *out)
{
    if (s.len == 0 || s.len > MAX_TIMESTAMP_DIGITS)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i != s.len; ++i) {
        if (s.base[i] < '0' || s.base[i] > '9')
            return -1;
        n = n * 10 + (s.base[i] - '0');
    }
    *out = n;
    return 0;
}

static enum verify_result check_time(const struct verifier *v, int64_t ts, int64_t now_s)
{
    /* Unsigned differences cannot overflow, whatever now_s holds. */
    if (now_s > ts && (uint64_t)now_s - (uint64_t)ts > v->tolerance_s)
        return VERIFY_STALE_TIMESTAMP;
    if (ts > now_s && (uint64_t)ts - (uint64_t)now_s > v->tolerance_s)
        return VERIFY_FUTURE_TIMESTAMP;
    return VERIFY_OK;
}

/* Decodes one provided signature into out (v->md_len bytes); -1 unless it is exactly one
 * digest in the expected encoding. */
static int decode_signature(const struct verifier *v, enum sig_encoding enc, struct bytes s,
                            uint8_t out[EVP_MAX_MD_SIZE])
{
    size_t n;
    int rc = enc == SIG_HEX ? encoding_hex_decode(s.base, s.len, out, v->md_len, &n)
                            : encoding_base64_decode(s.base, s.len, out, v->md_len, &n);
    return rc == 0 && n == v->md_len ? 0 : -1;
}

static int compute_mac(const struct verify_key *k, const struct bytes *parts, size_t nparts,
                       uint8_t out[EVP_MAX_MD_SIZE], size_t md_len)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(k->mac);
    if (ctx == NULL)
        return -1;
    int rc = 0;
    for (size_t i = 0; i != nparts && rc == 0; ++i)
        if (parts[i].len != 0 &&
            EVP_MAC_update(ctx, (const unsigned char *)parts[i].base, parts[i].len) != 1)
            rc = -1;
    size_t n = 0;
    if (rc == 0 && (EVP_MAC_final(ctx, out, &n, EVP_MAX_MD_SIZE) != 1 || n != md_len))
        rc = -1;
    EVP_MAC_CTX_free(ctx);
    return rc;
}

/* Whether the MAC of the concatenated parts under any key equals any of the signatures. */
static enum verify_result match(const struct verifier *v, const struct bytes *parts, size_t nparts,
                                uint8_t (*sigs)[EVP_MAX_MD_SIZE], size_t nsigs)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    int found = 0;
    for (size_t k = 0; k != v->nkeys && !found; ++k) {
        if (compute_mac(&v->keys[k], parts, nparts, mac, v->md_len) != 0)
            break;
        for (size_t s = 0; s != nsigs; ++s)
            found |= CRYPTO_memcmp(mac, sigs[s], v->md_len) == 0;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return found ? VERIFY_OK : VERIFY_MISMATCH;
}

static enum verify_result check_shared_secret(const struct verifier *v,
                                              const struct request_view *req)
{
    struct bytes got = header_value(req, v->header);
    if (!present(got))
        return VERIFY_MISSING_HEADER;
    /* Every secret is compared, so the time does not tell which one (if any) matched. */
    int found = 0;
    for (size_t k = 0; k != v->nkeys; ++k)
        found |= bytes_ct_eq(got, bytes_of((const char *)v->keys[k].value, v->keys[k].len));
    return found ? VERIFY_OK : VERIFY_MISMATCH;
}

static enum verify_result check_hmac(const struct verifier *v, const struct request_view *req)
{
    struct bytes got = header_value(req, v->header);
    if (!present(got))
        return VERIFY_MISSING_HEADER;
    size_t plen = strlen(v->prefix);
    if (got.len < plen || memcmp(got.base, v->prefix, plen) != 0)
        return VERIFY_MALFORMED_HEADER;
    uint8_t sig[1][EVP_MAX_MD_SIZE];
    if (decode_signature(v, v->encoding, bytes_of(got.base + plen, got.len - plen), sig[0]) != 0)
        return VERIFY_MALFORMED_HEADER;
    return match(v, &req->body, 1, sig, 1);
}

/* Stripe-Signature: comma-separated key=value items; exactly one t=, any number of v1=
 * (several during a secret roll), other schemes (v0) ignored. */
static enum verify_result check_stripe(const struct verifier *v, const struct request_view *req,
                                       int64_t now_s)
{
    struct bytes h = header_value(req, v->header);
    if (!present(h))
        return VERIFY_MISSING_HEADER;

    struct bytes t = BYTES_NULL;
    uint8_t sigs[MAX_SIGNATURES][EVP_MAX_MD_SIZE];
    size_t nsigs = 0;
    size_t pos = 0;
    for (;;) {
        const char *comma = memchr(h.base + pos, ',', h.len - pos);
        size_t end = comma != NULL ? (size_t)(comma - h.base) : h.len;
        struct bytes item = trim(bytes_of(h.base + pos, end - pos));
        const char *eq = memchr(item.base, '=', item.len);
        if (eq == NULL)
            return VERIFY_MALFORMED_HEADER;
        struct bytes key = bytes_of(item.base, (size_t)(eq - item.base));
        struct bytes val = bytes_of(eq + 1, item.len - key.len - 1);
        if (bytes_eq(key, BYTES_LIT("t"))) {
            if (t.base != NULL)
                return VERIFY_MALFORMED_HEADER;
            t = val;
        } else if (bytes_eq(key, BYTES_LIT("v1"))) {
            if (nsigs == MAX_SIGNATURES || decode_signature(v, SIG_HEX, val, sigs[nsigs]) != 0)
                return VERIFY_MALFORMED_HEADER;
            ++nsigs;
        }
        if (comma == NULL)
            break;
        pos = end + 1;
    }
    int64_t ts;
    if (t.base == NULL || parse_timestamp(t, &ts) != 0)
        return VERIFY_MALFORMED_HEADER;
    if (nsigs == 0)
        return VERIFY_MISMATCH;

    const struct bytes parts[] = {t, BYTES_LIT("."), req->body};
    enum verify_result r = match(v, parts, 3, sigs, nsigs);
    return r != VERIFY_OK ? r : check_time(v, ts, now_s);
}

/* webhook-signature: space-separated "version,base64" items; v1 is HMAC-SHA256 over
 * "id.timestamp.body", other versions (v1a is asymmetric) are ignored. */
static enum verify_result check_standard_webhooks(const struct verifier *v,
                                                  const struct request_view *req, int64_t now_s)
{
    struct bytes id = header_value(req, "webhook-id");
    struct bytes tsv = header_value(req, "webhook-timestamp");
    struct bytes sig = header_value(req, "webhook-signature");
    if (id.base == NULL && tsv.base == NULL && sig.base == NULL) {
        id = header_value(req, "svix-id");
        tsv = header_value(req, "svix-timestamp");
        sig = header_value(req, "svix-signature");
    }
    if (!present(id) || !present(tsv) || !present(sig))
        return VERIFY_MISSING_HEADER;
    int64_t ts;
    if (parse_timestamp(tsv, &ts) != 0)
        return VERIFY_MALFORMED_HEADER;

    uint8_t sigs[MAX_SIGNATURES][EVP_MAX_MD_SIZE];
    size_t nsigs = 0;
    size_t pos = 0;
    while (pos < sig.len) {
        if (sig.base[pos] == ' ') {
            ++pos;
            continue;
        }
        const char *sp = memchr(sig.base + pos, ' ', sig.len - pos);
        size_t end = sp != NULL ? (size_t)(sp - sig.base) : sig.len;
        struct bytes item = bytes_of(sig.base + pos, end - pos);
        const char *comma = memchr(item.base, ',', item.len);
        if (comma == NULL)
            return VERIFY_MALFORMED_HEADER;
        struct bytes version = bytes_of(item.base, (size_t)(comma - item.base));
        if (bytes_eq(version, BYTES_LIT("v1"))) {
            struct bytes b64 = bytes_of(comma + 1, item.len - version.len - 1);
            if (nsigs == MAX_SIGNATURES || decode_signature(v, SIG_BASE64, b64, sigs[nsigs]) != 0)
                return VERIFY_MALFORMED_HEADER;
            ++nsigs;
        }
        pos = end;
    }
    if (nsigs == 0)
        return VERIFY_MISMATCH;

    const struct bytes parts[] = {id, BYTES_LIT("."), tsv, BYTES_LIT("."), req->body};
    enum verify_result r = match(v, parts, 5, sigs, nsigs);
    return r != VERIFY_OK ? r : check_time(v, ts, now_s);
}

/* X-Slack-Signature: v0=<hex of HMAC-SHA256 over "v0:timestamp:body">. */
static enum verify_result check_slack(const struct verifier *v, const struct request_view *req,
                                      int64_t now_s)
{
    struct bytes sig = header_value(req, v->header);
    struct bytes tsv = header_value(req, "x-slack-request-timestamp");
    if (!present(sig) || !present(tsv))
        return VERIFY_MISSING_HEADER;
    int64_t ts;
    if (parse_timestamp(tsv, &ts) != 0)
        return VERIFY_MALFORMED_HEADER;
    uint8_t sigs[1][EVP_MAX_MD_SIZE];
    if (sig.len < 3 || memcmp(sig.base, "v0=", 3) != 0 ||
        decode_signature(v, SIG_HEX, bytes_of(sig.base + 3, sig.len - 3), sigs[0]) != 0)
        return VERIFY_MALFORMED_HEADER;

    const struct bytes parts[] = {BYTES_LIT("v0:"), tsv, BYTES_LIT(":"), req->body};
    enum verify_result r = match(v, parts, 4, sigs, 1);
    return r != VERIFY_OK ? r : check_time(v, ts, now_s);
}

enum verify_result verifier_check(const struct verifier *v, const struct request_view *req,
                                  int64_t now_s)
{
    if (v->nallow != 0) {
        uint8_t client[16];
        if (verifier_client_address(v, req, client) != 0 || !cidr_list_contains(v->allow, v->nallow, client))
            return VERIFY_FORBIDDEN_ADDRESS;
    }
    switch (v->scheme) {
    case VERIFY_SCHEME_NONE:
        return VERIFY_OK;
    case VERIFY_SCHEME_SHARED_SECRET:
        return check_shared_secret(v, req);
    case VERIFY_SCHEME_HMAC:
        return check_hmac(v, req);
    case VERIFY_SCHEME_STRIPE:
        return check_stripe(v, req, now_s);
    case VERIFY_SCHEME_STANDARD_WEBHOOKS:
        return check_standard_webhooks(v, req, now_s);
    case VERIFY_SCHEME_SLACK:
        return check_slack(v, req, now_s);
    }
    return VERIFY_MISMATCH;
}
