/*
 * jscan: the verdict on grammar edge cases (each as jansson decides it with JSON_ALLOW_NUL),
 * pointer compilation, lookups (nesting, arrays, escaped and repeated keys, kinds), unescaping.
 */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>

#include "pipeline/jscan.h"

static int verdict_n(const char *body, size_t len)
{
    struct jscan_hit hit;
    struct jscan_pointer ptr;
    jscan_pointer_compile("/a", &ptr);
    /* exactly len bytes on the heap, so ASan sees a read past the end */
    char *copy = malloc(len != 0 ? len : 1);
    if (len != 0)
        memcpy(copy, body, len);
    int r = jscan(bytes_of(copy, len), &ptr, 1, &hit);
    if (r != 0)
        CHECK(hit.kind == JSCAN_ABSENT);
    free(copy);
    return r;
}

static int verdict(const char *body)
{
    return verdict_n(body, strlen(body));
}

#define VALID(s) CHECK(verdict(s) == 0)
#define INVALID(s) CHECK(verdict(s) == -1)

static void test_grammar(void)
{
    VALID("{}");
    VALID(" \t\r\n{ \t\r\n} \t\r\n");
    VALID("{\"a\":1}");
    VALID("{\"a\":[1,2.5,-0,0.0e+1,1E-7,\"x\",true,false,null,{},[]]}");
    VALID("{\"\":{\"\":[[[]]]}}");
    VALID("{\"a\" : { \"b\" : [ 1 , 2 ] } , \"c\" : null }");
    INVALID("");
    INVALID("   ");
    INVALID("[]");
    INVALID("[{}]");
    INVALID("\"s\"");
    INVALID("1");
    INVALID("null");
    INVALID("{}{}");
    INVALID("{} x");
    INVALID("{}\f");           /* form feed is not JSON whitespace */
    INVALID("\xef\xbb\xbf{}"); /* no BOM */
    INVALID("{");
    INVALID("{\"a\"");
    INVALID("{\"a\":");
    INVALID("{\"a\":1");
    INVALID("{\"a\":1,}");
    INVALID("{\"a\":[1,]}");
    INVALID("{\"a\":[,1]}");
    INVALID("{,}");
    INVALID("{\"a\" 1}");
    INVALID("{\"a\":1 \"b\":2}");
    INVALID("{\"a\":1]");
    INVALID("{\"a\":[1}");
    INVALID("{a:1}");
    INVALID("{'a':1}");
    INVALID("{1:1}");
    INVALID("{\"a\":tru}");
    INVALID("{\"a\":truex}");
    INVALID("{\"a\":true1}");
    INVALID("{\"a\":nul}");
    INVALID("{\"a\":True}");
    INVALID("{\"a\":NaN}");
    INVALID("{\"a\":Infinity}");
    INVALID("{\"a\":undefined}");
    CHECK(verdict_n("{\"a\":1}\0", 8) == -1);
    CHECK(verdict_n("{\"a\":\"\0\"}", 8) == -1); /* raw NUL in a string */
    CHECK(verdict_n("{\0}", 3) == -1);
}

static void test_numbers(void)
{
    VALID("{\"a\":0}");
    VALID("{\"a\":-0}");
    VALID("{\"a\":10}");
    VALID("{\"a\":0.5}");
    VALID("{\"a\":1e5}");
    VALID("{\"a\":1E+5}");
    VALID("{\"a\":1e-5}");
    VALID("{\"a\":-1.25e-0005}");
    INVALID("{\"a\":01}");
    INVALID("{\"a\":-01}");
    INVALID("{\"a\":00}");
    INVALID("{\"a\":+1}");
    INVALID("{\"a\":-}");
    INVALID("{\"a\":- 1}");
    INVALID("{\"a\":.5}");
    INVALID("{\"a\":1.}");
    INVALID("{\"a\":1.e5}");
    INVALID("{\"a\":1e}");
    INVALID("{\"a\":1e+}");
    INVALID("{\"a\":1e5.0}");
    INVALID("{\"a\":0x10}");
    INVALID("{\"a\":1");
    INVALID("{\"a\":1.5");
    INVALID("{\"a\":1e");
    /* jansson's range: long long for integers, finite doubles for reals */
    VALID("{\"a\":9223372036854775807}");
    VALID("{\"a\":-9223372036854775808}");
    INVALID("{\"a\":9223372036854775808}");
    INVALID("{\"a\":-9223372036854775809}");
    INVALID("{\"a\":100000000000000000000}");
    VALID("{\"a\":9223372036854775808.0}");
    VALID("{\"a\":1e308}");
    VALID("{\"a\":1.7976931348623157e308}");
    VALID("{\"a\":1e-400}");
    VALID("{\"a\":0e99999999999999999999}");
    VALID("{\"a\":0.000e400}");
    VALID("{\"a\":1e-99999999999999999999}");
    INVALID("{\"a\":1e309}");
    INVALID("{\"a\":-1e400}");
    INVALID("{\"a\":1e99999999999999999999}");
    INVALID("{\"a\":0.1e310}");
    VALID("{\"a\":0.1e309}");
    VALID("{\"a\":0.001e311}");
    INVALID("{\"a\":0.01e311}");
    /* the boundary: 2^1024 - 2^970 rounds (to even) to infinity; just below it, to DBL_MAX */
    INVALID("{\"a\":179769313486231580793728971405303415079934132710037826936173778980444968292764"
            "75094664901797758720709633028641669288791094655554785194040263065748867150582068190"
            "89020007083836762738548458177115317644757302700698555713669596228429148198608349364"
            "75292719074168444365510704342711559699508093042880177904174497792}");
    INVALID("{\"a\":1.7976931348623158079372897140530341507993413271003782693617377898044496829276"
            "475094664901797758720709633028641669288791094655554785194040263065748867150582068190"
            "890200070838367627385484581771153176447573027006985557136695962284291481986083493647"
            "5292719074168444365510704342711559699508093042880177904174497792000e308}");
    VALID("{\"a\":1.79769313486231580793728971405303415079934132710037826936173778980444968292764"
          "750946649017977587207096330286416692887910946555547851940402630657488671505820681908"
          "902000708383676273854845817711531764475730270069855571366959622842914819860834936475"
          "292719074168444365510704342711559699508093042880177904174497791999e308}");
    VALID("{\"a\":1.797693134862315807937e308}");
    INVALID("{\"a\":1.797693134862315807938e308}");
}

static void test_strings(void)
{
    VALID("{\"a\":\"\"}");
    VALID("{\"a\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}");
    VALID("{\"a\":\"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\"}");
    VALID("{\"a\":\"\\u0000\"}"); /* JSON_ALLOW_NUL */
    INVALID("{\"a\\u0000\":1}");  /* jansson: NUL byte in object key not supported */
    VALID("{\"a\":\"\x7f\"}");    /* DEL is not a control character for JSON */
    INVALID("{\"a\":\"\x1f\"}");
    INVALID("{\"a\":\"\t\"}");
    INVALID("{\"a\":\"\n\"}");
    INVALID("{\"a\":\"x}");
    INVALID("{\"a\":\"\\\"}");
    INVALID("{\"a\":\"\\x\"}");
    INVALID("{\"a\":\"\\'\"}");
    INVALID("{\"a\":\"\\U0041\"}");
    INVALID("{\"a\":\"\\u004\"}");
    INVALID("{\"a\":\"\\u004g\"}");
    INVALID("{\"a\":\"\\u");
    /* surrogates */
    INVALID("{\"a\":\"\\ud800\"}");
    INVALID("{\"a\":\"\\uDBFF\"}");
    INVALID("{\"a\":\"\\udc00\"}");
    INVALID("{\"a\":\"\\udc00\\ud800\"}");
    INVALID("{\"a\":\"\\ud800\\u0041\"}");
    INVALID("{\"a\":\"\\ud800\\ud800\"}");
    INVALID("{\"a\":\"\\ud800x\"}");
    INVALID("{\"a\":\"\\ud800\\n\"}");
    INVALID("{\"a\":\"\\ud800\\udc0\"}");
    VALID("{\"a\":\"\\udbff\\udfff\"}");
    INVALID("{\"\\ud800\":1}");
    /* raw UTF-8 */
    VALID("{\"a\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xed\x9f\xbf\"}");
    VALID("{\"\xc3\xa9\":\"\xc2\x80\"}");
    INVALID("{\"a\":\"\x80\"}"); /* lone continuation byte */
    INVALID("{\"a\":\"\xc3\"}"); /* truncated */
    INVALID("{\"a\":\"\xc3");
    INVALID("{\"a\":\"\xe2\x82\"}");
    INVALID("{\"a\":\"\xc0\xaf\"}"); /* overlong '/' */
    INVALID("{\"a\":\"\xc1\xbf\"}");
    INVALID("{\"a\":\"\xe0\x80\xaf\"}");     /* overlong, 3 bytes */
    INVALID("{\"a\":\"\xf0\x80\x80\xaf\"}"); /* overlong, 4 bytes */
    INVALID("{\"a\":\"\xed\xa0\x80\"}");     /* U+D800 */
    INVALID("{\"a\":\"\xed\xbf\xbf\"}");     /* U+DFFF */
    INVALID("{\"a\":\"\xf4\x90\x80\x80\"}"); /* U+110000 */
    INVALID("{\"a\":\"\xf5\x80\x80\x80\"}");
    INVALID("{\"a\":\"\xff\"}");
    INVALID("{\"a\":\"\xc3\x28\"}");
    INVALID("{\"\xff\":1}");
    INVALID("{\"a\":1}\xc3\xa9");
    INVALID("{\"a\":\xc3\xa9}");
}

static void test_depth(void)
{
    char *b = malloc(2 * 1024 + 16);
    for (size_t d = 510; d <= 514; ++d) {
        /* d containers: the object and d - 1 arrays */
        size_t n = 0;
        n += (size_t)sprintf(b, "{\"a\":");
        for (size_t i = 1; i < d; ++i)
            b[n++] = '[';
        for (size_t i = 1; i < d; ++i)
            b[n++] = ']';
        b[n++] = '}';
        CHECK(verdict_n(b, n) == (d <= JSCAN_MAX_DEPTH ? 0 : -1));
    }
    free(b);
}

static void test_compile(void)
{
    struct jscan_pointer p;
    CHECK(jscan_pointer_compile("", &p) == 0 && p.ntok == 0);
    CHECK(jscan_pointer_compile("/", &p) == 0 && p.ntok == 1 && p.tok[0].len == 0);
    CHECK(jscan_pointer_compile("//", &p) == 0 && p.ntok == 2);
    CHECK(jscan_pointer_compile("/a~1b/c~0d/~01", &p) == 0 && p.ntok == 3);
    CHECK(memcmp(p.text + p.tok[0].off, "a/b", 3) == 0 && p.tok[0].len == 3);
    CHECK(memcmp(p.text + p.tok[1].off, "c~d", 3) == 0 && p.tok[1].len == 3);
    CHECK(memcmp(p.text + p.tok[2].off, "~1", 2) == 0 && p.tok[2].len == 2);
    CHECK(jscan_pointer_compile("/0/10/01/-/1a/999999999/1000000000", &p) == 0 && p.ntok == 7);
    CHECK(p.tok[0].index == 0 && p.tok[1].index == 10 && p.tok[2].index == UINT32_MAX);
    CHECK(p.tok[3].index == UINT32_MAX && p.tok[4].index == UINT32_MAX);
    CHECK(p.tok[5].index == 999999999 && p.tok[6].index == UINT32_MAX);
    CHECK(jscan_pointer_compile("a", &p) == -1);
    CHECK(jscan_pointer_compile("#/a", &p) == -1);
    CHECK(jscan_pointer_compile("/a~", &p) == -1);
    CHECK(jscan_pointer_compile("/a~2", &p) == -1);
    CHECK(jscan_pointer_compile(NULL, &p) == -1);
    CHECK(jscan_pointer_compile("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", &p) == 0 && p.ntok == 16);
    CHECK(jscan_pointer_compile("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", &p) == -1);
    char longp[300];
    longp[0] = '/';
    memset(longp + 1, 'x', 255);
    longp[256] = '\0';
    CHECK(jscan_pointer_compile(longp, &p) == 0 && p.tok[0].len == 255);
    longp[256] = 'x';
    longp[257] = '\0';
    CHECK(jscan_pointer_compile(longp, &p) == -1);
}

/* Looks up one pointer; returns the kind, and the raw text NUL-terminated in a static buffer. */
static char found[4096];
static enum jscan_kind find(const char *body, const char *ptr)
{
    struct jscan_pointer p;
    struct jscan_hit h;
    found[0] = '\0';
    if (jscan_pointer_compile(ptr, &p) != 0 || jscan(bytes_str(body), &p, 1, &h) != 0)
        return (enum jscan_kind) - 1;
    if (h.kind != JSCAN_ABSENT) {
        memcpy(found, h.raw.base, h.raw.len);
        found[h.raw.len] = '\0';
    } else {
        CHECK(h.raw.base == NULL && h.raw.len == 0);
    }
    return h.kind;
}

#define FIND(body, ptr, kind, raw)                                                                 \
    do {                                                                                           \
        CHECK(find(body, ptr) == (kind));                                                          \
        CHECK_STR(found, raw);                                                                     \
    } while (0)

static void test_lookup(void)
{
    const char *b = " {\"event\":\"account.updated\",\"id\":42,\"neg\":-7,\"real\":1.0,\"exp\":1e2,"
                    "\"t\":true,\"n\":null,\"data\":{\"account\":{\"_id\":\"acc_1\",\"n\":[10,"
                    "[20,21],{\"k\":\"v\"}]},\"list\":[]},\"a/b\":{\"c~d\":\"slash\"},"
                    "\"\":{\"\":\"empty\"},\"0\":\"zero key\"} ";
    CHECK(find(b, "") == JSCAN_OTHER && found[0] == '{' && strlen(found) == strlen(b) - 2);
    FIND(b, "/event", JSCAN_STRING, "account.updated");
    FIND(b, "/id", JSCAN_INTEGER, "42");
    FIND(b, "/neg", JSCAN_INTEGER, "-7");
    FIND(b, "/real", JSCAN_OTHER, "1.0");
    FIND(b, "/exp", JSCAN_OTHER, "1e2");
    FIND(b, "/t", JSCAN_OTHER, "true");
    FIND(b, "/n", JSCAN_OTHER, "null");
    FIND(b, "/data/account/_id", JSCAN_STRING, "acc_1");
    FIND(b, "/data/account/n/0", JSCAN_INTEGER, "10");
    FIND(b, "/data/account/n/1", JSCAN_OTHER, "[20,21]");
    FIND(b, "/data/account/n/1/1", JSCAN_INTEGER, "21");
    FIND(b, "/data/account/n/2/k", JSCAN_STRING, "v");
    FIND(b, "/data/account/n/3", JSCAN_ABSENT, "");
    FIND(b, "/data/account/n/01", JSCAN_ABSENT, "");
    FIND(b, "/data/account/n/-", JSCAN_ABSENT, "");
    FIND(b, "/data/account/n/k", JSCAN_ABSENT, "");
    FIND(b, "/data/list", JSCAN_OTHER, "[]");
    FIND(b, "/data/list/0", JSCAN_ABSENT, "");
    FIND(b, "/data/account/_id/x", JSCAN_ABSENT, "");
    FIND(b, "/event/0", JSCAN_ABSENT, "");
    FIND(b, "/id/0", JSCAN_ABSENT, "");
    FIND(b, "/a~1b/c~0d", JSCAN_STRING, "slash");
    FIND(b, "/a/b", JSCAN_ABSENT, "");
    FIND(b, "/", JSCAN_OTHER, "{\"\":\"empty\"}");
    FIND(b, "//", JSCAN_STRING, "empty");
    FIND(b, "/0", JSCAN_STRING, "zero key"); /* in an object, an index token is a key */
    FIND(b, "/Event", JSCAN_ABSENT, "");
    FIND(b, "/even", JSCAN_ABSENT, "");
    FIND(b, "/events", JSCAN_ABSENT, "");
    /* a malformed body finds nothing */
    CHECK(find("{\"event\":\"x\",}", "/event") == (enum jscan_kind) - 1);

    /* arrays past ten elements, and nested past the pointer's length */
    FIND("{\"a\":[0,1,2,3,4,5,6,7,8,9,10,11]}", "/a/11", JSCAN_INTEGER, "11");
    FIND("{\"a\":[0,1,2,3,4,5,6,7,8,9,10,11]}", "/a/12", JSCAN_ABSENT, "");
    FIND("{\"a\":[[[[1]]],{\"b\":[2]}]}", "/a/1/b/0", JSCAN_INTEGER, "2");
    FIND("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", "/a/b/c", JSCAN_OTHER, "{\"d\":{\"e\":1}}");
}

static void test_keys(void)
{
    /* escaped keys compare unescaped */
    FIND("{\"\\u0065vent\":\"x\"}", "/event", JSCAN_STRING, "x");
    FIND("{\"ev\\u0065nt\":\"x\"}", "/event", JSCAN_STRING, "x");
    FIND("{\"even\\u0074\":\"x\"}", "/event", JSCAN_STRING, "x");
    FIND("{\"even\\u0074s\":\"x\"}", "/event", JSCAN_ABSENT, "");
    FIND("{\"even\\u0074\":\"x\"}", "/events", JSCAN_ABSENT, "");
    FIND("{\"even\\u0075\":\"x\"}", "/event", JSCAN_ABSENT, "");
    FIND("{\"a\\/b\":1}", "/a~1b", JSCAN_INTEGER, "1");
    FIND("{\"a\\\"b\":1}", "/a\"b", JSCAN_INTEGER, "1");
    FIND("{\"a\\\\b\":1}", "/a\\b", JSCAN_INTEGER, "1");
    FIND("{\"\\t\":1}", "/\t", JSCAN_INTEGER, "1");
    FIND("{\"\\u00e9t\\u00E9\":1}", "/\xc3\xa9t\xc3\xa9", JSCAN_INTEGER, "1");
    FIND("{\"\xc3\xa9t\xc3\xa9\":1}", "/\xc3\xa9t\xc3\xa9", JSCAN_INTEGER, "1");
    FIND("{\"\\ud83d\\ude00\":1}", "/\xf0\x9f\x98\x80", JSCAN_INTEGER, "1");
    FIND("{\"\\ud83d\\ude00\":1}", "/\xf0\x9f\x98", JSCAN_ABSENT, "");
    /* a key longer than any bound still compares exactly */
    char body[700], ptr[300];
    memset(ptr, 'k', sizeof ptr);
    ptr[0] = '/';
    ptr[256] = '\0';
    snprintf(body, sizeof body, "{\"%.254s\\u006b\":1,\"%.255sk\":2}", ptr + 1, ptr + 1);
    FIND(body, ptr, JSCAN_INTEGER, "1");
    /* repeated keys: the last one wins, whole subtrees included */
    FIND("{\"a\":1,\"a\":2}", "/a", JSCAN_INTEGER, "2");
    FIND("{\"a\":1,\"b\":0,\"a\":\"s\"}", "/a", JSCAN_STRING, "s");
    FIND("{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "/a/b", JSCAN_ABSENT, "");
    FIND("{\"a\":{\"b\":1},\"a\":3}", "/a/b", JSCAN_ABSENT, "");
    FIND("{\"a\":{\"b\":1},\"\\u0061\":[]}", "/a/b", JSCAN_ABSENT, "");
    FIND("{\"a\":{\"b\":{\"c\":1},\"b\":{}}}", "/a/b/c", JSCAN_ABSENT, "");
    FIND("{\"a\":{\"b\":1,\"b\":2}}", "/a/b", JSCAN_INTEGER, "2");
    FIND("{\"a\":[{\"b\":1}],\"a\":[{\"c\":1}]}", "/a/0/b", JSCAN_ABSENT, "");
    FIND("{\"x\":{\"a\":1},\"a\":2}", "/a", JSCAN_INTEGER, "2");
    FIND("{\"a\":2,\"x\":{\"a\":1}}", "/a", JSCAN_INTEGER, "2");
}

static void test_many(void)
{
    const char *b = "{\"type\":\"t\\u00e9\",\"id\":\"i\",\"d\":{\"k\":[\"x\",\"y\"]}}";
    const char *ps[] = {"/type", "/id", "/d/k/1", "/d/k", "/none", "", "/d/k/0", "/type"};
    enum { N = sizeof ps / sizeof ps[0] };
    struct jscan_pointer p[N];
    struct jscan_hit h[N];
    for (size_t i = 0; i != N; ++i)
        CHECK(jscan_pointer_compile(ps[i], &p[i]) == 0);
    CHECK(jscan(bytes_str(b), p, N, h) == 0);
    CHECK(h[0].kind == JSCAN_STRING && h[0].escaped && bytes_eq_str(h[0].raw, "t\\u00e9"));
    CHECK(h[1].kind == JSCAN_STRING && !h[1].escaped && bytes_eq_str(h[1].raw, "i"));
    CHECK(h[2].kind == JSCAN_STRING && bytes_eq_str(h[2].raw, "y"));
    CHECK(h[3].kind == JSCAN_OTHER && bytes_eq_str(h[3].raw, "[\"x\",\"y\"]"));
    CHECK(h[4].kind == JSCAN_ABSENT);
    CHECK(h[5].kind == JSCAN_OTHER && bytes_eq_str(h[5].raw, b));
    CHECK(h[6].kind == JSCAN_STRING && bytes_eq_str(h[6].raw, "x"));
    CHECK(h[7].kind == JSCAN_STRING && h[7].raw.base == h[0].raw.base);
    /* a copied pointer still works (offsets, not addresses) */
    struct jscan_pointer copy = p[2];
    CHECK(jscan(bytes_str(b), &copy, 1, h) == 0 && bytes_eq_str(h[0].raw, "y"));
    /* more pointers than supported: refused, all absent */
    struct jscan_pointer *lots = calloc(JSCAN_MAX_POINTERS + 1, sizeof *lots);
    struct jscan_hit *lh = calloc(JSCAN_MAX_POINTERS + 1, sizeof *lh);
    CHECK(jscan(bytes_str(b), lots, JSCAN_MAX_POINTERS, lh) == 0 && lh[0].kind == JSCAN_OTHER);
    CHECK(jscan(bytes_str(b), lots, JSCAN_MAX_POINTERS + 1, lh) == -1 &&
          lh[0].kind == JSCAN_ABSENT);
    free(lots);
    free(lh);
    /* no pointers */
    CHECK(jscan(bytes_str(b), NULL, 0, NULL) == 0);
    CHECK(jscan(BYTES_NULL, NULL, 0, NULL) == -1);
}

static void test_integer(void)
{
    CHECK(jscan_integer(BYTES_LIT("0")) == 0);
    CHECK(jscan_integer(BYTES_LIT("-0")) == 0);
    CHECK(jscan_integer(BYTES_LIT("42")) == 42);
    CHECK(jscan_integer(BYTES_LIT("-42")) == -42);
    CHECK(jscan_integer(BYTES_LIT("9223372036854775807")) == 9223372036854775807LL);
    CHECK(jscan_integer(BYTES_LIT("-9223372036854775808")) == -9223372036854775807LL - 1);
}

static void check_unescape(const char *raw, const char *want, size_t wantlen)
{
    char out[64];
    size_t n = jscan_unescape(bytes_str(raw), out, sizeof out);
    CHECK(n == wantlen && memcmp(out, want, wantlen) == 0);
    /* exactly enough room works; one byte less does not */
    CHECK(jscan_unescape(bytes_str(raw), out, wantlen) == wantlen);
    if (wantlen != 0)
        CHECK(jscan_unescape(bytes_str(raw), out, wantlen - 1) == SIZE_MAX);
}

static void test_unescape(void)
{
    check_unescape("", "", 0);
    check_unescape("plain", "plain", 5);
    check_unescape("\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t", 8);
    check_unescape("a\\u0000b", "a\0b", 3);
    check_unescape("\\u0041\\u007f", "A\x7f", 2);
    check_unescape("\\u0080\\u07FF", "\xc2\x80\xdf\xbf", 4);
    check_unescape("\\u0800\\uffff", "\xe0\xa0\x80\xef\xbf\xbf", 6);
    check_unescape("\\uD800\\uDC00", "\xf0\x90\x80\x80", 4);
    check_unescape("\\uD83D\\uDE00!", "\xf0\x9f\x98\x80!", 5);
    check_unescape("\\uDBFF\\uDFFF", "\xf4\x8f\xbf\xbf", 4);
    check_unescape("x\xc3\xa9\\u00e9", "x\xc3\xa9\xc3\xa9", 5);
    char out[16];
    CHECK(jscan_unescape(BYTES_LIT("\\"), out, sizeof out) == SIZE_MAX);
    CHECK(jscan_unescape(BYTES_LIT("\\x"), out, sizeof out) == SIZE_MAX);
    CHECK(jscan_unescape(BYTES_LIT("\\u12"), out, sizeof out) == SIZE_MAX);
    CHECK(jscan_unescape(BYTES_LIT("\\uD800"), out, sizeof out) == SIZE_MAX);
    CHECK(jscan_unescape(BYTES_LIT("\\uDC00"), out, sizeof out) == SIZE_MAX);

    /* through a scan: the hit's raw bytes unescape to the value */
    struct jscan_pointer p;
    struct jscan_hit h;
    jscan_pointer_compile("/s", &p);
    CHECK(jscan(BYTES_LIT("{\"s\":\"a\\nb\\ud83d\\ude00\"}"), &p, 1, &h) == 0);
    CHECK(h.kind == JSCAN_STRING && h.escaped);
    size_t n = jscan_unescape(h.raw, out, sizeof out);
    CHECK(n == 7 && memcmp(out, "a\nb\xf0\x9f\x98\x80", 7) == 0);
}

static void test_fixture(void)
{
    const char *dir = getenv("BRIDGE_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/mono/mono.events.account_updated.json",
             dir != NULL ? dir : ".");
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    static char body[65536];
    size_t len = fread(body, 1, sizeof body, f);
    fclose(f);
    struct jscan_pointer p[2];
    struct jscan_hit h[2];
    jscan_pointer_compile("/event", &p[0]);
    jscan_pointer_compile("/data/account/_id", &p[1]);
    CHECK(jscan(bytes_of(body, len), p, 2, h) == 0);
    CHECK(h[0].kind == JSCAN_STRING && bytes_eq_str(h[0].raw, "mono.events.account_updated"));
    CHECK(h[1].kind == JSCAN_STRING && h[1].raw.len != 0);
    /* every prefix cut before the closing brace is refused */
    size_t close = len;
    while (close != 0 && body[close - 1] != '}')
        --close;
    CHECK(close > 1 && verdict_n(body, close) == 0);
    for (size_t i = 0; i + 1 < close; ++i)
        if (verdict_n(body, i) != -1) {
            CHECK(!"a truncated body was accepted");
            break;
        }
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_grammar);
    CHECK_RUN(test_numbers);
    CHECK_RUN(test_strings);
    CHECK_RUN(test_depth);
    CHECK_RUN(test_compile);
    CHECK_RUN(test_lookup);
    CHECK_RUN(test_keys);
    CHECK_RUN(test_many);
    CHECK_RUN(test_integer);
    CHECK_RUN(test_unescape);
    CHECK_RUN(test_fixture);
    return check_done();
}
