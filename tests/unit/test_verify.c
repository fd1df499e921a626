/*
 * Webhook verification against every vector of tests/fixtures/signature-vectors.md that the
 * bridge supports, and for every scheme the ways a request fails: wrong secret, one changed
 * body byte, stale and future timestamps, a missing header, a malformed header. Sources are
 * built as structs here, independent of the YAML loader; the clock is injected.
 */
#include "check.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include "conf/value.h"
#include "pipeline/cidr.h"
#include "pipeline/verify.h"

#define MAX_HEADERS 8

/* ---- building sources and requests ------------------------------------------------------ */

struct setup {
    enum verify_scheme scheme;
    const char *header;
    enum hmac_algorithm algorithm;
    enum sig_encoding encoding;
    const char *prefix;
    const char *secrets[3]; /* NULL-terminated */
    unsigned tolerance_s;
    bool insecure;
    const char *allow_from[3];      /* NULL-terminated CIDR texts */
    const char *trusted_proxies[3]; /* NULL-terminated CIDR texts */
};

static size_t parse_cidrs(const char *const *texts, struct conf_cidr *out)
{
    size_t n = 0;
    for (; n != 3 && texts[n] != NULL; ++n) {
        memset(&out[n], 0, sizeof out[n]);
        if (conf_parse_cidr(texts[n], strlen(texts[n]), &out[n]) != NULL) {
            fprintf(stderr, "bad test CIDR %s\n", texts[n]);
            abort();
        }
    }
    return n;
}

/* Builds the verifier from a source that lives on this stack frame only, which also checks
 * that the verifier keeps no pointer into the configuration. */
static struct verifier *make_err(const struct setup *s, struct conf_error *err)
{
    struct conf_secret secrets[3];
    memset(secrets, 0, sizeof secrets);
    size_t n = 0;
    for (; n != 3 && s->secrets[n] != NULL; ++n) {
        secrets[n].value = strdup(s->secrets[n]);
        secrets[n].len = strlen(s->secrets[n]);
    }
    struct conf_cidr allow[3], trusted[3];
    struct conf_source src;
    memset(&src, 0, sizeof src);
    src.name = "test";
    src.path = "/webhooks/test";
    src.verify.scheme = s->scheme;
    src.verify.header = s->header != NULL ? strdup(s->header) : NULL;
    src.verify.algorithm = s->algorithm;
    src.verify.encoding = s->encoding;
    src.verify.prefix = s->prefix != NULL ? strdup(s->prefix) : NULL;
    src.verify.secrets = secrets;
    src.verify.nsecrets = n;
    src.verify.tolerance_s = s->tolerance_s;
    src.verify.insecure = s->insecure;
    src.allow_from = allow;
    src.nallow_from = parse_cidrs(s->allow_from, allow);
    size_t ntrusted = parse_cidrs(s->trusted_proxies, trusted);

    struct verifier *v = verifier_create("test.yaml", &src, trusted, ntrusted, err);

    /* A reload frees the config: scribble over it so any borrowed pointer would show. */
    for (size_t i = 0; i != n; ++i) {
        memset(secrets[i].value, 'X', secrets[i].len);
        free(secrets[i].value);
    }
    if (src.verify.header != NULL)
        memset(src.verify.header, 'X', strlen(src.verify.header));
    free(src.verify.header);
    free(src.verify.prefix);
    memset(allow, 0xee, sizeof allow);
    memset(trusted, 0xee, sizeof trusted);
    return v;
}

static struct verifier *make(const struct setup *s)
{
    struct conf_error err = {{0}};
    struct verifier *v = make_err(s, &err);
    if (v == NULL) {
        fprintf(stderr, "verifier_create failed: %s\n", err.msg);
        abort();
    }
    return v;
}

struct req {
    struct header_view headers[MAX_HEADERS];
    struct request_view view;
};

/* A request from peer (IPv4/IPv6 text or NULL for unknown) with body and the header pairs
 * that follow (name, value, ..., NULL). */
static const struct request_view *request(struct req *r, const char *peer, const char *body, ...)
{
    memset(r, 0, sizeof *r);
    r->view.path = BYTES_LIT("/webhooks/test");
    r->view.body = bytes_str(body);
    r->view.headers = r->headers;
    if (peer != NULL) {
        if (netaddr_parse(peer, strlen(peer), r->view.peer) != 0)
            abort();
        r->view.has_peer = 1;
    }
    va_list ap;
    va_start(ap, body);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        if (r->view.nheaders == MAX_HEADERS)
            abort();
        r->headers[r->view.nheaders].name = bytes_str(name);
        r->headers[r->view.nheaders].value = bytes_str(va_arg(ap, const char *));
        ++r->view.nheaders;
    }
    va_end(ap);
    return &r->view;
}

#define PEER "203.0.113.9"

/* Checks one request: VERIFY(v, now, body, headers...) */
#define VERIFY(v, now, body, ...)                                                                  \
    verifier_check((v), request(&(struct req){0}, PEER, (body), __VA_ARGS__, NULL), (now))

#define EXPECT(got, want)                                                                          \
    do {                                                                                           \
        enum verify_result g_r = (got), w_r = (want);                                              \
        if (g_r == w_r) {                                                                          \
            ++check_passed;                                                                        \
        } else {                                                                                   \
            ++check_failed;                                                                        \
            fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #got,       \
                    verify_result_name(g_r), verify_result_name(w_r));                             \
        }                                                                                          \
    } while (0)

/* A copy of s with the byte at i changed. */
static char *flip(const char *s, size_t i)
{
    char *c = strdup(s);
    c[i] ^= 0x01;
    return c;
}

/* ---- 1. Mono and Flutterwave v3: shared secret ------------------------------------------- */

#define MONO_SECRET "mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8c"
#define MONO_BODY                                                                                  \
    "{\"event\":\"mono.events.account_connected\",\"data\":{\"id\":\"65f2c1a9e4b0d7a3c8f10b2e\"}}"

static void test_shared_secret(void)
{
    struct verifier *v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SHARED_SECRET,
        .header = "mono-webhook-secret",
        .secrets = {MONO_SECRET},
    });
    CHECK(strlen(MONO_BODY) == 82);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", MONO_SECRET), VERIFY_OK);
    EXPECT(VERIFY(v, 0, MONO_BODY, "Mono-Webhook-Secret", MONO_SECRET), VERIFY_OK);
    EXPECT(VERIFY(v, 0, MONO_BODY, "MONO-WEBHOOK-SECRET", MONO_SECRET), VERIFY_OK);
    /* No body is involved: any body passes with the right secret. */
    EXPECT(VERIFY(v, 0, "", "mono-webhook-secret", MONO_SECRET), VERIFY_OK);

    EXPECT(VERIFY(v, 0, MONO_BODY, "content-type", "application/json"), VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", ""), VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-signature", MONO_SECRET), VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret",
                  "mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8d"),
           VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret",
                  "Mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8c"),
           VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret",
                  "mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8"),
           VERIFY_MISMATCH); /* a prefix */
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", "m"), VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", MONO_SECRET "0"),
           VERIFY_MISMATCH); /* longer */
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", "dev-mono-secret"), VERIFY_MISMATCH);
    /* Only the first header of that name counts. */
    EXPECT(
        VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", "wrong", "mono-webhook-secret", MONO_SECRET),
        VERIFY_MISMATCH);
    verifier_destroy(v);

    /* Rotation: old and new both verify, a third value does not. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SHARED_SECRET,
        .header = "mono-webhook-secret",
        .secrets = {"mono_whsec_new_0000000000000000", MONO_SECRET},
    });
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", MONO_SECRET), VERIFY_OK);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", "mono_whsec_new_0000000000000000"),
           VERIFY_OK);
    EXPECT(VERIFY(v, 0, MONO_BODY, "mono-webhook-secret", "mono_whsec_other_00000000000000"),
           VERIFY_MISMATCH);
    verifier_destroy(v);

    /* Flutterwave v3: verif-hash. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SHARED_SECRET,
        .header = "verif-hash",
        .secrets = {"flw-bridge-secret-hash-2026"},
    });
    EXPECT(VERIFY(v, 0, "{}", "verif-hash", "flw-bridge-secret-hash-2026"), VERIFY_OK);
    EXPECT(VERIFY(v, 0, "{}", "Verif-Hash", "flw-bridge-secret-hash-2026"), VERIFY_OK);
    EXPECT(VERIFY(v, 0, "{}", "verif-hash", "flw-bridge-secret-hash-2025"), VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, "{}", "verif-hash", "flw-bridge-secret-hash-202"), VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, "{}", "x-other", "flw-bridge-secret-hash-2026"), VERIFY_MISSING_HEADER);
    verifier_destroy(v);
}

/* ---- 2. Standard Webhooks / Svix --------------------------------------------------------- */

#define P1_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define P1_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define P1_TS 1614265330
#define P1_TS_TEXT "1614265330"
#define P1_BODY "{\"test\": 2432232314}"
#define P1_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

#define C1_NEW "whsec_us21mCOZlzeYfiSs/U44KGrvNLQ7iXUOsmFIsncNTeI="
#define C1_OLD "whsec_DjVHlz3DHPV3/4OSsL7EbEk8sX9eDJ+Kwi1SdHc/mn4="
#define C1_ID "msg_2fK9xQ7LmN3pR8sT1vW4yZ6bC0d"
#define C1_TS 1773480765
#define C1_BODY                                                                                    \
    "{\"type\":\"mono.events.account_connected\",\"timestamp\":\"2026-03-14T09:32:45Z\",\"data\":" \
    "{\"id\":\"65f2c1a9e4b0d7a3c8f10b2e\"}}"
#define C1_SIG_NEW "v1,hJrqm9sMJKVwDAZzMOACSmSAuJOoev6P/cZ9PZHTS90="
#define C1_SIG_OLD "v1,mYF0S3uOvkzT1wUoVm31zAYkC95ACBj2mT8BOLSUy/0="
#define C1_SIGS C1_SIG_NEW " " C1_SIG_OLD

#define SW(v, now, body, id, ts, sig)                                                              \
    VERIFY(v, now, body, "webhook-id", id, "webhook-timestamp", ts, "webhook-signature", sig)

static struct verifier *make_sw(const char *s1, const char *s2)
{
    return make(&(struct setup){
        .scheme = VERIFY_SCHEME_STANDARD_WEBHOOKS,
        .secrets = {s1, s2},
    });
}

static void test_standard_webhooks(void)
{
    struct verifier *v = make_sw(P1_SECRET, NULL);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_OK);
    EXPECT(SW(v, P1_TS + 300, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_OK);
    EXPECT(SW(v, P1_TS - 300, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_OK);
    EXPECT(SW(v, P1_TS + 301, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_STALE_TIMESTAMP);
    EXPECT(SW(v, P1_TS - 301, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_FUTURE_TIMESTAMP);
    EXPECT(SW(v, 1773480765, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_STALE_TIMESTAMP);
    /* The reference tests' negative: the last character changed. */
    EXPECT(
        SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        VERIFY_MISMATCH);
    /* Every signed part matters: body byte, id, timestamp. */
    for (size_t i = 0; i != strlen(P1_BODY); ++i) {
        char *body = flip(P1_BODY, i);
        EXPECT(SW(v, P1_TS, body, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_MISMATCH);
        free(body);
    }
    EXPECT(SW(v, P1_TS, P1_BODY " ", P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_MISMATCH);
    EXPECT(SW(v, P1_TS, P1_BODY, "msg_p5jXN8AQM9LWM0D4loKWxJeK", P1_TS_TEXT, P1_SIG),
           VERIFY_MISMATCH);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, "1614265331", P1_SIG), VERIFY_MISMATCH);
    /* A tampered body with a stale timestamp is a forgery first. */
    EXPECT(SW(v, P1_TS + 10000, P1_BODY " ", P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_MISMATCH);
    /* Other versions are skipped, a v1 anywhere in the list verifies. */
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1a,AAAA v2,zzz " P1_SIG), VERIFY_OK);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "  " P1_SIG "  "), VERIFY_OK);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT,
              "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
           VERIFY_MISMATCH);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, C1_SIGS), VERIFY_MISMATCH);

    /* Missing headers. */
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "webhook-timestamp", P1_TS_TEXT, "webhook-signature", P1_SIG),
           VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "webhook-id", P1_ID, "webhook-signature", P1_SIG),
           VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "webhook-id", P1_ID, "webhook-timestamp", P1_TS_TEXT),
           VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "content-type", "application/json"), VERIFY_MISSING_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, ""), VERIFY_MISSING_HEADER);
    /* One spelling per request: webhook-* present means svix-* is not consulted. */
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "webhook-id", P1_ID, "svix-timestamp", P1_TS_TEXT,
                  "svix-signature", P1_SIG),
           VERIFY_MISSING_HEADER);

    /* Malformed headers. */
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, "16142653x0", P1_SIG), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, "-1614265330", P1_SIG), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, "+1614265330", P1_SIG), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, " 1614265330", P1_SIG), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, "1614265330.0", P1_SIG), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, "99999999999999999999999", P1_SIG),
           VERIFY_MALFORMED_HEADER);
    EXPECT(
        SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O"),
        VERIFY_MALFORMED_HEADER); /* truncated */
    EXPECT(
        SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        VERIFY_MALFORMED_HEADER); /* URL-safe alphabet */
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1,@@@@"), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1,AAAA"), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1,"), VERIFY_MALFORMED_HEADER);
    EXPECT(
        SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, "v1g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG " garbage"), VERIFY_MALFORMED_HEADER);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT,
              P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG),
           VERIFY_OK); /* eight is the bound */
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT,
              P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG " " P1_SIG
                     " " P1_SIG),
           VERIFY_MALFORMED_HEADER);

    /* Svix spelling, same algorithm; header names in any case. */
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "svix-id", P1_ID, "svix-timestamp", P1_TS_TEXT,
                  "svix-signature", P1_SIG),
           VERIFY_OK);
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "Svix-Id", P1_ID, "Svix-Timestamp", P1_TS_TEXT,
                  "Svix-Signature", P1_SIG),
           VERIFY_OK);
    EXPECT(VERIFY(v, P1_TS + 301, P1_BODY, "svix-id", P1_ID, "svix-timestamp", P1_TS_TEXT,
                  "svix-signature", P1_SIG),
           VERIFY_STALE_TIMESTAMP);
    EXPECT(VERIFY(v, P1_TS, P1_BODY "x", "svix-id", P1_ID, "svix-timestamp", P1_TS_TEXT,
                  "svix-signature", P1_SIG),
           VERIFY_MISMATCH);
    EXPECT(VERIFY(v, P1_TS, P1_BODY, "Webhook-Id", P1_ID, "WEBHOOK-TIMESTAMP", P1_TS_TEXT,
                  "Webhook-Signature", P1_SIG),
           VERIFY_OK);
    verifier_destroy(v);

    /* The secret without whsec_, as the reference libraries accept it. */
    v = make_sw("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL);
    EXPECT(SW(v, P1_TS, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_OK);
    verifier_destroy(v);

    /* P2. */
    v = make_sw("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", NULL);
    EXPECT(SW(v, 1649367553, "{\"email\":\"test@example.com\",\"username\":\"test_user\"}",
              "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553",
              "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
           VERIFY_OK);
    EXPECT(SW(v, 1649367553, "{\"email\":\"test@example.com\",\"username\":\"test_user\"}",
              "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553", P1_SIG),
           VERIFY_MISMATCH);
    verifier_destroy(v);

    /* C1, rotation: the two-signature header verifies with either secret or both. */
    CHECK(strlen(C1_BODY) == 116);
    const char *holders[][2] = {{C1_NEW, NULL}, {C1_OLD, NULL}, {C1_NEW, C1_OLD}, {C1_OLD, C1_NEW}};
    for (size_t i = 0; i != sizeof holders / sizeof holders[0]; ++i) {
        v = make_sw(holders[i][0], holders[i][1]);
        EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIGS), VERIFY_OK);
        EXPECT(SW(v, C1_TS + 60, C1_BODY, C1_ID, "1773480765", C1_SIG_OLD " " C1_SIG_NEW),
               VERIFY_OK);
        EXPECT(SW(v, C1_TS + 301, C1_BODY, C1_ID, "1773480765", C1_SIGS), VERIFY_STALE_TIMESTAMP);
        EXPECT(SW(v, C1_TS - 301, C1_BODY, C1_ID, "1773480765", C1_SIGS), VERIFY_FUTURE_TIMESTAMP);
        EXPECT(SW(v, C1_TS, C1_BODY "\n", C1_ID, "1773480765", C1_SIGS), VERIFY_MISMATCH);
        verifier_destroy(v);
    }
    v = make_sw(C1_NEW, NULL);
    EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIG_NEW), VERIFY_OK);
    EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIG_OLD), VERIFY_MISMATCH);
    verifier_destroy(v);
    v = make_sw(C1_OLD, NULL);
    EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIG_OLD), VERIFY_OK);
    EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIG_NEW), VERIFY_MISMATCH);
    verifier_destroy(v);
    /* Neither secret held: rejected. */
    v = make_sw(P1_SECRET, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIGS), VERIFY_MISMATCH);
    verifier_destroy(v);
    /* Unpadded base64 in the secret. */
    v = make_sw("whsec_us21mCOZlzeYfiSs/U44KGrvNLQ7iXUOsmFIsncNTeI", NULL);
    EXPECT(SW(v, C1_TS, C1_BODY, C1_ID, "1773480765", C1_SIGS), VERIFY_OK);
    verifier_destroy(v);
    /* Svix spelling of C1. */
    v = make_sw(C1_OLD, NULL);
    EXPECT(VERIFY(v, C1_TS, C1_BODY, "svix-id", C1_ID, "svix-timestamp", "1773480765",
                  "svix-signature", C1_SIGS),
           VERIFY_OK);
    verifier_destroy(v);

    /* A custom tolerance. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_STANDARD_WEBHOOKS,
        .secrets = {P1_SECRET},
        .tolerance_s = 30,
    });
    EXPECT(SW(v, P1_TS + 30, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_OK);
    EXPECT(SW(v, P1_TS + 31, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_STALE_TIMESTAMP);
    EXPECT(SW(v, P1_TS - 31, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_FUTURE_TIMESTAMP);
    /* Extreme clocks neither overflow nor pass. */
    EXPECT(SW(v, INT64_MAX, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_STALE_TIMESTAMP);
    EXPECT(SW(v, INT64_MIN, P1_BODY, P1_ID, P1_TS_TEXT, P1_SIG), VERIFY_FUTURE_TIMESTAMP);
    verifier_destroy(v);
}

/* ---- 3. GitHub, 5. Shopify, 6. Paystack, 7. Flutterwave v4: hmac ---------------------------- */

#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define C2_BODY "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":123456789}"

static void test_hmac_github(void)
{
    struct verifier *v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-hub-signature-256",
        .algorithm = HMAC_SHA256,
        .encoding = SIG_HEX,
        .prefix = "sha256=",
        .secrets = {"It's a Secret to Everybody"},
    });
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", GH_SIG), VERIFY_OK);
    EXPECT(VERIFY(v, 0, "Hello, World!", "X-Hub-Signature-256", GH_SIG), VERIFY_OK);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"),
           VERIFY_OK);
    /* No timestamp: the clock plays no part. */
    EXPECT(VERIFY(v, INT64_MAX, "Hello, World!", "x-hub-signature-256", GH_SIG), VERIFY_OK);
    EXPECT(VERIFY(v, 0, "Hello, World?", "x-hub-signature-256", GH_SIG), VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, "Hello, World!\n", "x-hub-signature-256", GH_SIG), VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18"),
           VERIFY_MISMATCH);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature", GH_SIG), VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", ""), VERIFY_MISSING_HEADER);
    /* Malformed: no prefix, wrong prefix, bad hex, odd length, truncated, too long. */
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b04"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", GH_SIG "00"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", GH_SIG " "),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", "sha256="),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", "sha256"), VERIFY_MALFORMED_HEADER);
    verifier_destroy(v);

    /* C2 with the wrong secret, then the right one. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-hub-signature-256",
        .algorithm = HMAC_SHA256,
        .prefix = "sha256=",
        .secrets = {"It's a Secret to Everybody"},
    });
    EXPECT(VERIFY(v, 0, C2_BODY, "x-hub-signature-256",
                  "sha256=2d3643e1b621a4227370056974673286eb6f378d903fce54b8d94f3b658e4162"),
           VERIFY_MISMATCH);
    verifier_destroy(v);
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-hub-signature-256",
        .algorithm = HMAC_SHA256,
        .prefix = "sha256=",
        .secrets = {"It's a Secret to Everybody", "gh-bridge-test-secret"},
    });
    CHECK(strlen(C2_BODY) == 56);
    EXPECT(VERIFY(v, 0, C2_BODY, "x-hub-signature-256",
                  "sha256=2d3643e1b621a4227370056974673286eb6f378d903fce54b8d94f3b658e4162"),
           VERIFY_OK);
    EXPECT(VERIFY(v, 0, "Hello, World!", "x-hub-signature-256", GH_SIG), VERIFY_OK);
    for (size_t i = 0; i < strlen(C2_BODY); i += 7) {
        char *body = flip(C2_BODY, i);
        EXPECT(VERIFY(v, 0, body, "x-hub-signature-256",
                      "sha256=2d3643e1b621a4227370056974673286eb6f378d903fce54b8d94f3b658e4162"),
               VERIFY_MISMATCH);
        free(body);
    }
    verifier_destroy(v);

    /* C2, legacy SHA-1 header. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-hub-signature",
        .algorithm = HMAC_SHA1,
        .prefix = "sha1=",
        .secrets = {"gh-bridge-test-secret"},
    });
    EXPECT(
        VERIFY(v, 0, C2_BODY, "x-hub-signature", "sha1=54aa775e7106588eb4de9dec4e158fa95229f343"),
        VERIFY_OK);
    EXPECT(VERIFY(v, 0, C2_BODY "x", "x-hub-signature",
                  "sha1=54aa775e7106588eb4de9dec4e158fa95229f343"),
           VERIFY_MISMATCH);
    /* A SHA-256 value in a SHA-1 slot is the wrong length. */
    EXPECT(VERIFY(v, 0, C2_BODY, "x-hub-signature",
                  "sha1=2d3643e1b621a4227370056974673286eb6f378d903fce54b8d94f3b658e4162"),
           VERIFY_MALFORMED_HEADER);
    verifier_destroy(v);
}

#define C4_BODY                                                                                    \
    "{\"id\":820982911946154508,\"email\":\"jon@example.com\",\"total_price\":\"199.00\"}"
#define C5_BODY                                                                                    \
    "{\"event\":\"charge.success\",\"data\":{\"id\":302961,\"domain\":\"test\",\"status\":"        \
    "\"success\",\"reference\":\"qTPrJoy9Bx\",\"amount\":20000,\"currency\":\"NGN\"}}"
#define C5_SIG                                                                                     \
    "bf9a6163a7928224e6122d6c6b65ceb859f157e6c35376a18d888725cdd45548437f2ec11211985008a5d4cbce2f" \
    "76db0973a491b888c62a2b7c8d68dc379d0a"
#define C6_BODY                                                                                    \
    "{\"id\":\"wbk_7Qx2Lm\",\"type\":\"charge.completed\",\"data\":{\"id\":\"chg_9Pz4Kd\","        \
    "\"amount\":5000,\"currency\":\"NGN\",\"status\":\"succeeded\",\"reference\":"                 \
    "\"order_2026_03_14_001\"}}"

static void test_hmac_others(void)
{
    /* Shopify C4: sha256, base64, no prefix. */
    struct verifier *v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-shopify-hmac-sha256",
        .algorithm = HMAC_SHA256,
        .encoding = SIG_BASE64,
        .secrets = {"a1b2c3d4e5f60718293a4b5c6d7e8f90"},
    });
    CHECK(strlen(C4_BODY) == 74);
    EXPECT(VERIFY(v, 0, C4_BODY, "X-Shopify-Hmac-Sha256",
                  "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg="),
           VERIFY_OK);
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg"),
           VERIFY_OK); /* unpadded */
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsh="),
           VERIFY_MALFORMED_HEADER); /* non-zero unused bits */
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "2peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg="),
           VERIFY_MISMATCH);
    char *body = flip(C4_BODY, 30);
    EXPECT(
        VERIFY(v, 0, body, "x-shopify-hmac-sha256", "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg="),
        VERIFY_MISMATCH);
    free(body);
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-topic", "orders/create"), VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "1peaOjJzvMk67k4-Q57hOc5fHLZI8ULZyfKVp7tLzsg="),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg=="),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  " 1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg="),
           VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256", "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZ"),
           VERIFY_MALFORMED_HEADER); /* decodes, but is too short */
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "d69e9a3a3273bcc93aee4e3e439ee139ce5f1cb648f142d9c9f295a7bb4bcec8"),
           VERIFY_MALFORMED_HEADER); /* hex where base64 is configured */
    verifier_destroy(v);
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-shopify-hmac-sha256",
        .algorithm = HMAC_SHA256,
        .encoding = SIG_BASE64,
        .secrets = {"a1b2c3d4e5f60718293a4b5c6d7e8f91"},
    });
    EXPECT(VERIFY(v, 0, C4_BODY, "x-shopify-hmac-sha256",
                  "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg="),
           VERIFY_MISMATCH); /* wrong secret */
    verifier_destroy(v);

    /* Paystack C5: sha512, hex. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-paystack-signature",
        .algorithm = HMAC_SHA512,
        .encoding = SIG_HEX,
        .secrets = {"sk_test_4f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"},
    });
    CHECK(strlen(C5_BODY) == 139);
    EXPECT(VERIFY(v, 0, C5_BODY, "x-paystack-signature", C5_SIG), VERIFY_OK);
    EXPECT(VERIFY(v, 0, C5_BODY, "X-Paystack-Signature", C5_SIG), VERIFY_OK);
    body = flip(C5_BODY, 100);
    EXPECT(VERIFY(v, 0, body, "x-paystack-signature", C5_SIG), VERIFY_MISMATCH);
    free(body);
    EXPECT(VERIFY(v, 0, C5_BODY, "x-paystack-signature",
                  "bf9a6163a7928224e6122d6c6b65ceb859f157e6c35376a18d888725cdd45548"),
           VERIFY_MALFORMED_HEADER); /* a SHA-256 length */
    EXPECT(VERIFY(v, 0, C5_BODY, "x-paystack-signature", "sha512=" C5_SIG),
           VERIFY_MALFORMED_HEADER);
    char badhex[] = C5_SIG;
    badhex[0] = 'z';
    EXPECT(VERIFY(v, 0, C5_BODY, "x-paystack-signature", badhex), VERIFY_MALFORMED_HEADER);
    EXPECT(VERIFY(v, 0, C5_BODY, "x-paystack-sig", C5_SIG), VERIFY_MISSING_HEADER);
    verifier_destroy(v);
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "x-paystack-signature",
        .algorithm = HMAC_SHA512,
        .secrets = {"sk_live_4f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"},
    });
    EXPECT(VERIFY(v, 0, C5_BODY, "x-paystack-signature", C5_SIG), VERIFY_MISMATCH);
    verifier_destroy(v);

    /* Flutterwave v4 C6: sha256, base64. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_HMAC,
        .header = "flutterwave-signature",
        .algorithm = HMAC_SHA256,
        .encoding = SIG_BASE64,
        .secrets = {"flw-bridge-secret-hash-2026"},
    });
    CHECK(strlen(C6_BODY) == 159);
    EXPECT(VERIFY(v, 0, C6_BODY, "flutterwave-signature",
                  "muREHWSHxo7Rn6zpm0m5nsYrfkgW4HnUoA2IzHY+0iI="),
           VERIFY_OK);
    EXPECT(VERIFY(v, 0, C6_BODY, "flutterwave-signature", "flw-bridge-secret-hash-2026"),
           VERIFY_MALFORMED_HEADER); /* the v3 style value is not a signature */
    body = flip(C6_BODY, 0);
    EXPECT(
        VERIFY(v, 0, body, "flutterwave-signature", "muREHWSHxo7Rn6zpm0m5nsYrfkgW4HnUoA2IzHY+0iI="),
        VERIFY_MISMATCH);
    free(body);
    EXPECT(VERIFY(v, 0, C6_BODY, "verif-hash", "flw-bridge-secret-hash-2026"),
           VERIFY_MISSING_HEADER);
    verifier_destroy(v);
}

/* ---- 4. Stripe --------------------------------------------------------------------------- */

#define C3_CUR "whsec_test_7d2f1c9a8b3e4d5f6a7b8c9d0e1f2a3b"
#define C3_PREV "whsec_test_00aa11bb22cc33dd44ee55ff66778899"
#define C3_TS 1773480765
#define C3_BODY                                                                                    \
    "{\"id\":\"evt_3PbX2f2eZvKYlo2C0xYz1234\",\"object\":\"event\",\"type\":"                      \
    "\"payment_intent.succeeded\"}"
#define C3_V1_CUR "v1=45c5a2adf29fe0067ad59fe08cef3250466b1bbc448dc5f40ba278c26d449599"
#define C3_V1_PREV "v1=a66969640058cff1bdc62192388f38b8b5e81b4fe311529748f5337637e7f984"
#define C3_HEADER "t=1773480765," C3_V1_CUR "," C3_V1_PREV

static struct verifier *make_stripe(const char *s1, const char *s2)
{
    return make(&(struct setup){.scheme = VERIFY_SCHEME_STRIPE, .secrets = {s1, s2}});
}

#define STRIPE(v, now, body, h) VERIFY(v, now, body, "stripe-signature", h)

static void test_stripe(void)
{
    CHECK(strlen(C3_BODY) == 88);
    const char *holders[][2] = {{C3_CUR, NULL}, {C3_PREV, NULL}, {C3_CUR, C3_PREV}};
    for (size_t i = 0; i != 3; ++i) {
        struct verifier *v = make_stripe(holders[i][0], holders[i][1]);
        EXPECT(STRIPE(v, C3_TS, C3_BODY, C3_HEADER), VERIFY_OK);
        EXPECT(VERIFY(v, C3_TS, C3_BODY, "Stripe-Signature", C3_HEADER), VERIFY_OK);
        EXPECT(STRIPE(v, C3_TS + 300, C3_BODY, C3_HEADER), VERIFY_OK);
        EXPECT(STRIPE(v, C3_TS + 301, C3_BODY, C3_HEADER), VERIFY_STALE_TIMESTAMP);
        EXPECT(STRIPE(v, C3_TS - 301, C3_BODY, C3_HEADER), VERIFY_FUTURE_TIMESTAMP);
        EXPECT(STRIPE(v, C3_TS, C3_BODY " ", C3_HEADER), VERIFY_MISMATCH);
        verifier_destroy(v);
    }

    struct verifier *v = make_stripe(C3_CUR, NULL);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765," C3_V1_CUR), VERIFY_OK);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, C3_V1_CUR ",t=1773480765"), VERIFY_OK); /* any order */
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765, " C3_V1_CUR), VERIFY_OK);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765," C3_V1_PREV), VERIFY_MISMATCH);
    EXPECT(
        STRIPE(v, C3_TS, C3_BODY,
               "t=1773480765,v1=45C5A2ADF29FE0067AD59FE08CEF3250466B1BBC448DC5F40BA278C26D449599"),
        VERIFY_OK);
    /* v0 (and any unknown scheme) is ignored, even when it holds garbage. */
    EXPECT(
        STRIPE(v, C3_TS, C3_BODY,
               "t=1773480765,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39,"
               "v1=45c5a2adf29fe0067ad59fe08cef3250466b1bbc448dc5f40ba278c26d449599,x=?"),
        VERIFY_OK);
    EXPECT(
        STRIPE(v, C3_TS, C3_BODY,
               "t=1773480765,v0=45c5a2adf29fe0067ad59fe08cef3250466b1bbc448dc5f40ba278c26d449599"),
        VERIFY_MISMATCH);
    /* The timestamp is signed. */
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480766," C3_V1_CUR), VERIFY_MISMATCH);
    for (size_t i = 0; i < strlen(C3_BODY); i += 5) {
        char *body = flip(C3_BODY, i);
        EXPECT(STRIPE(v, C3_TS, body, C3_HEADER), VERIFY_MISMATCH);
        free(body);
    }
    /* Missing. */
    EXPECT(VERIFY(v, C3_TS, C3_BODY, "x-stripe-signature", C3_HEADER), VERIFY_MISSING_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, ""), VERIFY_MISSING_HEADER);
    /* Malformed. */
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "garbage"), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, C3_V1_CUR), VERIFY_MALFORMED_HEADER); /* no t= */
    EXPECT(STRIPE(v, C3_TS, C3_BODY, C3_V1_CUR "," C3_V1_PREV), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=," C3_V1_CUR), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=17734807x5," C3_V1_CUR), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=-1773480765," C3_V1_CUR), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765,t=1773480765," C3_V1_CUR),
           VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765," C3_V1_CUR ","), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765,," C3_V1_CUR), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765;" C3_V1_CUR), VERIFY_MALFORMED_HEADER);
    EXPECT(
        STRIPE(v, C3_TS, C3_BODY,
               "t=1773480765,v1=45c5a2adf29fe0067ad59fe08cef3250466b1bbc448dc5f40ba278c26d44959g"),
        VERIFY_MALFORMED_HEADER); /* bad hex */
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765,v1=45c5a2adf29fe006"), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765,v1="), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765,v1=" C3_V1_CUR), VERIFY_MALFORMED_HEADER);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, "t=1773480765"), VERIFY_MISMATCH); /* no signature at all */
    verifier_destroy(v);

    /* Neither secret: the rotation header is rejected. */
    v = make_stripe("whsec_test_ffffffffffffffffffffffffffffffff", NULL);
    EXPECT(STRIPE(v, C3_TS, C3_BODY, C3_HEADER), VERIFY_MISMATCH);
    verifier_destroy(v);
}

/* ---- 8. Slack ---------------------------------------------------------------------------- */

#define SLACK_BODY                                                                                 \
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="         \
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"     \
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"             \
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."               \
    "803a0bc887a14d10d2c447fce8b6703c"
#define SLACK_SIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define C7_BODY                                                                                    \
    "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&"     \
    "user_id=U2147483697&command=%2Fbridge&text=status"
#define C7_SIG "v0=1b2e211b10a5fcbdcedda65b3a6ab7badcd013493c1c4e7357371ad4fbcb7730"

#define SLACK(v, now, body, ts, sig)                                                               \
    VERIFY(v, now, body, "x-slack-request-timestamp", ts, "x-slack-signature", sig)

static void test_slack(void)
{
    struct verifier *v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SLACK,
        .secrets = {"8f742231b10e8888abcd99yyyzzz85a5"},
    });
    EXPECT(SLACK(v, 1531420618, SLACK_BODY, "1531420618", SLACK_SIG), VERIFY_OK);
    EXPECT(VERIFY(v, 1531420618, SLACK_BODY, "X-Slack-Request-Timestamp", "1531420618",
                  "X-Slack-Signature", SLACK_SIG),
           VERIFY_OK);
    EXPECT(SLACK(v, 1531420618 + 301, SLACK_BODY, "1531420618", SLACK_SIG), VERIFY_STALE_TIMESTAMP);
    EXPECT(SLACK(v, 1531420618 - 301, SLACK_BODY, "1531420618", SLACK_SIG),
           VERIFY_FUTURE_TIMESTAMP);
    EXPECT(SLACK(v, 1531420618, SLACK_BODY, "1531420619", SLACK_SIG), VERIFY_MISMATCH);
    char *body = flip(SLACK_BODY, 200);
    EXPECT(SLACK(v, 1531420618, body, "1531420618", SLACK_SIG), VERIFY_MISMATCH);
    free(body);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765", C7_SIG), VERIFY_MISMATCH); /* wrong secret */
    verifier_destroy(v);

    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SLACK,
        .header = "x-slack-signature",
        .secrets = {"e3b0c44298fc1c149afbf4c8996fb924"},
    });
    CHECK(strlen(C7_BODY) == 137);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765", C7_SIG), VERIFY_OK);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765",
                 "v0=1B2E211B10A5FCBDCEDDA65B3A6AB7BADCD013493C1C4E7357371AD4FBCB7730"),
           VERIFY_OK);
    EXPECT(SLACK(v, 1773480765 + 301, C7_BODY, "1773480765", C7_SIG), VERIFY_STALE_TIMESTAMP);
    EXPECT(SLACK(v, 1773480765 - 301, C7_BODY, "1773480765", C7_SIG), VERIFY_FUTURE_TIMESTAMP);
    EXPECT(SLACK(v, 1773480765, C7_BODY "&x=1", "1773480765", C7_SIG), VERIFY_MISMATCH);
    /* Missing either header. */
    EXPECT(VERIFY(v, 1773480765, C7_BODY, "x-slack-signature", C7_SIG), VERIFY_MISSING_HEADER);
    EXPECT(VERIFY(v, 1773480765, C7_BODY, "x-slack-request-timestamp", "1773480765"),
           VERIFY_MISSING_HEADER);
    /* Malformed. */
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765",
                 "1b2e211b10a5fcbdcedda65b3a6ab7badcd013493c1c4e7357371ad4fbcb7730"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765",
                 "v1=1b2e211b10a5fcbdcedda65b3a6ab7badcd013493c1c4e7357371ad4fbcb7730"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765",
                 "v0=1b2e211b10a5fcbdcedda65b3a6ab7badcd013493c1c4e7357371ad4fbcb773z"),
           VERIFY_MALFORMED_HEADER);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765", "v0="), VERIFY_MALFORMED_HEADER);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765x", C7_SIG), VERIFY_MALFORMED_HEADER);
    EXPECT(SLACK(v, 1773480765, C7_BODY, "1773480765.5", C7_SIG), VERIFY_MALFORMED_HEADER);
    verifier_destroy(v);
}

/* ---- none and configuration errors -------------------------------------------------------- */

static void test_none_and_create_errors(void)
{
    struct verifier *v = make(&(struct setup){.scheme = VERIFY_SCHEME_NONE, .insecure = true});
    EXPECT(VERIFY(v, 0, "anything", "x", "y"), VERIFY_OK);
    verifier_destroy(v);
    verifier_destroy(NULL);

    /* The rules on what a source must hold (a header, secrets, insecure beside none) are the
     * loader's, tested in test_conf.c; the verifier only refuses what it cannot make a key of. */
    struct conf_error err;
    /* A secret that is not base64: the message names the key, never the secret. */
    const char *bad[] = {"whsec_not*base64!", "whsec_", "whsec_A", "whsec_AB=C"};
    for (size_t i = 0; i != sizeof bad / sizeof bad[0]; ++i) {
        memset(&err, 0, sizeof err);
        CHECK(make_err(
                  &(struct setup){.scheme = VERIFY_SCHEME_STANDARD_WEBHOOKS, .secrets = {bad[i]}},
                  &err) == NULL);
        CHECK_CONTAINS(err.msg, "verify.secrets");
    }
    CHECK(strstr(err.msg, "AB=C") == NULL);
    memset(&err, 0, sizeof err);
    CHECK(make_err(&(struct setup){.scheme = VERIFY_SCHEME_STANDARD_WEBHOOKS,
                                   .secrets = {P1_SECRET, "whsec_leaky*secret"}},
                   &err) == NULL);
    CHECK(strstr(err.msg, "leaky") == NULL && strstr(err.msg, "MfKQ9r8") == NULL);

    memset(&err, 0, sizeof err);
    CHECK(make_err(&(struct setup){.scheme = (enum verify_scheme)42, .secrets = {"x"}}, &err) ==
          NULL);
    CHECK_CONTAINS(err.msg, "scheme");

    CHECK_STR(verify_result_name(VERIFY_OK), "ok");
    CHECK_STR(verify_result_name(VERIFY_STALE_TIMESTAMP), "stale_timestamp");
    CHECK_STR(verify_result_name(VERIFY_FORBIDDEN_ADDRESS), "forbidden_address");
    CHECK_STR(verify_result_name(VERIFY_RESULT_COUNT), "unknown");
}

/* ---- allow_from and X-Forwarded-For ------------------------------------------------------- */

static enum verify_result from(const struct verifier *v, const char *peer, const char *xff1,
                               const char *xff2)
{
    struct req r;
    const struct request_view *req;
    if (xff2 != NULL)
        req = request(&r, peer, "{}", "mono-webhook-secret", MONO_SECRET, "x-forwarded-for", xff1,
                      "X-Forwarded-For", xff2, NULL);
    else if (xff1 != NULL)
        req = request(&r, peer, "{}", "mono-webhook-secret", MONO_SECRET, "x-forwarded-for", xff1,
                      NULL);
    else
        req = request(&r, peer, "{}", "mono-webhook-secret", MONO_SECRET, NULL);
    return verifier_check(v, req, 0);
}

static void test_allow_from(void)
{
    /* No allow_from: any address, X-Forwarded-For irrelevant. */
    struct verifier *v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SHARED_SECRET,
        .header = "mono-webhook-secret",
        .secrets = {MONO_SECRET},
    });
    EXPECT(from(v, "198.51.100.1", NULL, NULL), VERIFY_OK);
    EXPECT(from(v, NULL, NULL, NULL), VERIFY_OK);
    EXPECT(from(v, "198.51.100.1", "garbage", NULL), VERIFY_OK);
    verifier_destroy(v);

    /* allow_from without trusted proxies: the peer alone decides. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SHARED_SECRET,
        .header = "mono-webhook-secret",
        .secrets = {MONO_SECRET},
        .allow_from = {"203.0.113.0/24", "2001:db8::/32"},
    });
    EXPECT(from(v, "203.0.113.9", NULL, NULL), VERIFY_OK);
    EXPECT(from(v, "203.0.113.255", NULL, NULL), VERIFY_OK);
    EXPECT(from(v, "2001:db8:1::7", NULL, NULL), VERIFY_OK);
    EXPECT(from(v, "198.51.100.1", NULL, NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "2001:db9::7", NULL, NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, NULL, NULL, NULL), VERIFY_FORBIDDEN_ADDRESS);
    /* An untrusted peer cannot claim an allowed address. */
    EXPECT(from(v, "198.51.100.1", "203.0.113.9", NULL), VERIFY_FORBIDDEN_ADDRESS);
    /* The address is checked first, before the secret. */
    {
        struct req r;
        EXPECT(verifier_check(v, request(&r, "198.51.100.1", "{}", NULL), 0),
               VERIFY_FORBIDDEN_ADDRESS);
        EXPECT(verifier_check(v, request(&r, "203.0.113.9", "{}", NULL), 0), VERIFY_MISSING_HEADER);
        EXPECT(verifier_check(
                   v, request(&r, "203.0.113.9", "{}", "mono-webhook-secret", "nope", NULL), 0),
               VERIFY_MISMATCH);
    }
    verifier_destroy(v);

    /* Behind trusted proxies. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_SHARED_SECRET,
        .header = "mono-webhook-secret",
        .secrets = {MONO_SECRET},
        .allow_from = {"203.0.113.0/24", "2001:db8::/32"},
        .trusted_proxies = {"10.0.0.0/8", "fd00::/8"},
    });
    EXPECT(from(v, "10.1.2.3", "203.0.113.9", NULL), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", " 203.0.113.9 ", NULL), VERIFY_OK);
    EXPECT(from(v, "fd00::1", "2001:db8::5", NULL), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", "198.51.100.1", NULL), VERIFY_FORBIDDEN_ADDRESS);
    /* Trusted hops on the right are skipped. */
    EXPECT(from(v, "10.1.2.3", "203.0.113.9, 10.0.0.5", NULL), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", "203.0.113.9,10.0.0.5,fd00::2", NULL), VERIFY_OK);
    /* A client cannot spoof: what it wrote is left of the address the proxy appended. */
    EXPECT(from(v, "10.1.2.3", "203.0.113.9, 198.51.100.1", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "garbage, 203.0.113.9", NULL), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", "198.51.100.1, 203.0.113.9", NULL), VERIFY_OK);
    /* Unparseable entries met on the walk: strict. */
    EXPECT(from(v, "10.1.2.3", "203.0.113.9, garbage", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "unknown", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "203.0.113.9:4711", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "[2001:db8::5]", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "203.0.113.9,", NULL), VERIFY_FORBIDDEN_ADDRESS);
    /* All trusted: the leftmost is the client. */
    EXPECT(from(v, "10.1.2.3", "10.0.0.7, 10.0.0.8", NULL), VERIFY_FORBIDDEN_ADDRESS);
    /* A trusted peer without X-Forwarded-For is judged itself. */
    EXPECT(from(v, "10.1.2.3", NULL, NULL), VERIFY_FORBIDDEN_ADDRESS);
    /* Several fields form one list: the last entry of the last field is nearest. */
    EXPECT(from(v, "10.1.2.3", "198.51.100.1", "203.0.113.9"), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", "203.0.113.9", "198.51.100.1"), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.1.2.3", "203.0.113.9", "10.0.0.9"), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", "203.0.113.9", "10.0.0.9, garbage"), VERIFY_FORBIDDEN_ADDRESS);
    /* A peer outside the proxies is judged itself, whatever it forwards. */
    EXPECT(from(v, "203.0.113.50", "198.51.100.1", NULL), VERIFY_OK);
    EXPECT(from(v, "198.51.100.1", "203.0.113.9", NULL), VERIFY_FORBIDDEN_ADDRESS);
    verifier_destroy(v);

    /* All-trusted chain whose leftmost hop is itself allowed. */
    v = make(&(struct setup){
        .scheme = VERIFY_SCHEME_NONE,
        .insecure = true,
        .allow_from = {"10.0.0.7/32"},
        .trusted_proxies = {"10.0.0.0/8"},
    });
    EXPECT(from(v, "10.1.2.3", "10.0.0.7, 10.0.0.8", NULL), VERIFY_OK);
    EXPECT(from(v, "10.1.2.3", "10.0.0.8, 10.0.0.7", NULL), VERIFY_FORBIDDEN_ADDRESS);
    EXPECT(from(v, "10.0.0.7", NULL, NULL), VERIFY_OK);
    verifier_destroy(v);
}

/* ---- many threads on one verifier ---------------------------------------------------------- */

struct worker {
    const struct verifier *stripe, *sw;
    int failures;
};

static void *on_thread(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i != 300; ++i) {
        struct req r;
        int good = i % 3 != 0;
        const char *body = good ? C3_BODY : C3_BODY "x";
        enum verify_result got = verifier_check(
            w->stripe, request(&r, PEER, body, "stripe-signature", C3_HEADER, NULL), C3_TS);
        w->failures += got != (good ? VERIFY_OK : VERIFY_MISMATCH);
        got = verifier_check(w->sw,
                             request(&r, PEER, C1_BODY, "webhook-id", C1_ID, "webhook-timestamp",
                                     "1773480765", "webhook-signature", C1_SIGS, NULL),
                             C1_TS);
        w->failures += got != VERIFY_OK;
    }
    return NULL;
}

/* verifier_check() is called from every event loop at once on one verifier. */
static void test_threads(void)
{
    struct verifier *stripe = make_stripe(C3_PREV, C3_CUR);
    struct verifier *sw = make_sw(C1_OLD, C1_NEW);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i != 4; ++i) {
        w[i] = (struct worker){stripe, sw, 0};
        CHECK(pthread_create(&t[i], NULL, on_thread, &w[i]) == 0);
    }
    for (int i = 0; i != 4; ++i) {
        pthread_join(t[i], NULL);
        CHECK(w[i].failures == 0);
    }
    verifier_destroy(stripe);
    verifier_destroy(sw);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_shared_secret);
    CHECK_RUN(test_standard_webhooks);
    CHECK_RUN(test_hmac_github);
    CHECK_RUN(test_hmac_others);
    CHECK_RUN(test_stripe);
    CHECK_RUN(test_slack);
    CHECK_RUN(test_none_and_create_errors);
    CHECK_RUN(test_allow_from);
    CHECK_RUN(test_threads);
    return check_done();
}
