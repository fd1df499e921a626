/*
 * JSON scanning without a tree. One iterative pass validates the body (a hand-written state
 * machine over the RFC 8259 grammar, with jansson's exact limits: UTF-8 rules, surrogate
 * escapes, NUL only outside keys, integer and real ranges) and, for the pointers, keeps two
 * bit masks per container on the current path: `live`, the pointers whose tokens so far match
 * the path to this container and that go deeper, and `target`, those that end at it. A member
 * whose key matches token L of a live pointer resets that pointer's hit (a repeated key replaces
 * the earlier value, as in jansson) and passes it down; any other member is scanned with empty
 * masks, so pointer work happens only along matching paths. Masks are kept for the first
 * JSCAN_POINTER_MAX_TOKENS + 1 levels only; below them no pointer can be live, and a bit per
 * level (object or array) is all the state.
 * Keys with escapes are compared by unescaping one code point at a time against the token, so
 * nothing is copied and no length bound applies.
 * Rejected: a recursive descent (simpler, but 512 frames of C stack on server threads), and a
 * tokenizer plus a separate matcher (a second pass over every token for 3-10 pointers).
 */
#include "jscan.h"

#include <limits.h>
#include <string.h>

int jscan_pointer_compile(const char *ptr, struct jscan_pointer *out)
{
    memset(out, 0, sizeof(*out));
    if (ptr == NULL || (*ptr != '\0' && *ptr != '/'))
        return -1;
    size_t n = 0;
    for (const char *p = ptr; *p == '/';) {
        if (out->ntok == JSCAN_POINTER_MAX_TOKENS)
            return -1;
        size_t start = n;
        for (++p; *p != '\0' && *p != '/'; ++p) {
            char c = *p;
            if (c == '~') {
                if (p[1] != '0' && p[1] != '1')
                    return -1;
                c = *++p == '0' ? '~' : '/';
            }
            if (n == JSCAN_POINTER_MAX_LEN)
                return -1;
            out->text[n++] = c;
        }
        size_t len = n - start;
        const char *t = out->text + start;
        uint32_t index = UINT32_MAX;
        /* 1 to 9 digits, no leading zero (as the fuzz oracle, tests/fuzz/jsonptr.c) */
        if (len != 0 && len <= 9 && (len == 1 || t[0] != '0')) {
            index = 0;
            for (size_t i = 0; i != len && index != UINT32_MAX; ++i)
                index =
                    t[i] >= '0' && t[i] <= '9' ? index * 10 + (uint32_t)(t[i] - '0') : UINT32_MAX;
        }
        out->tok[out->ntok].off = (uint16_t)start;
        out->tok[out->ntok].len = (uint16_t)len;
        out->tok[out->ntok].index = index;
        ++out->ntok;
    }
    return 0;
}

/* ---- strings ------------------------------------------------------------------------------ */

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i != 4; ++i) {
        unsigned c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = (int)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (int)((c | 0x20) - 'a' + 10);
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Decodes the escape at p (just after the backslash) into out[0..3]; returns the number of
 * bytes written and advances *pp past it, or returns 0 if the escape is malformed (bad letter,
 * bad hex, lone or mismatched surrogate). */
static size_t decode_escape(const unsigned char **pp, const unsigned char *end, char out[4])
{
    const unsigned char *p = *pp;
    if (p == end)
        return 0;
    unsigned char c = *p++;
    switch (c) {
    case '"':
    case '\\':
    case '/':
        break;
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;
    case 'u': {
        if (end - p < 4)
            return 0;
        long cp = hex4(p);
        p += 4;
        if (cp < 0 || (cp >= 0xdc00 && cp <= 0xdfff))
            return 0;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                return 0;
            long lo = hex4(p + 2);
            if (lo < 0xdc00 || lo > 0xdfff)
                return 0;
            p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        *pp = p;
        if (cp < 0x80) {
            out[0] = (char)cp;
            return 1;
        }
        if (cp < 0x800) {
            out[0] = (char)(0xc0 | (cp >> 6));
            out[1] = (char)(0x80 | (cp & 0x3f));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = (char)(0xe0 | (cp >> 12));
            out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[2] = (char)(0x80 | (cp & 0x3f));
            return 3;
        }
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
    }
    default:
        return 0;
    }
    *pp = p;
    out[0] = (char)c;
    return 1;
}

size_t jscan_unescape(struct bytes raw, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)raw.base, *end = p + raw.len;
    size_t n = 0;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = (size_t)((bs != NULL ? bs : end) - p);
        if (cap - n < plain)
            return SIZE_MAX;
        if (plain != 0)
            memcpy(out + n, p, plain);
        n += plain;
        p += plain;
        if (bs == NULL)
            break;
        char u[4];
        ++p;
        size_t k = decode_escape(&p, end, u);
        if (k == 0 || cap - n < k)
            return SIZE_MAX;
        memcpy(out + n, u, k);
        n += k;
    }
    return n;
}

/* Whether the escaped string body raw unescapes to exactly tok, decoding as it compares. */
static bool escaped_equals(struct bytes raw, const char *tok, size_t len)
{
    const unsigned char *p = (const unsigned char *)raw.base, *end = p + raw.len;
    size_t j = 0;
    while (p < end) {
        if (*p != '\\') {
            if (j == len || tok[j] != (char)*p)
                return false;
            ++j, ++p;
            continue;
        }
        char u[4];
        ++p;
        size_t k = decode_escape(&p, end, u);
        if (k == 0 || len - j < k || memcmp(tok + j, u, k) != 0)
            return false;
        j += k;
    }
    return j == len;
}

/* Bytes that may appear raw in a string with nothing more to check: printable ASCII and DEL
 * (jansson, like RFC 8259, refuses only 0x00-0x1f), except '"' and '\\'. */
/* clang-format off */
static const unsigned char plain_byte[256] = {
    ['\x20'] = 1, 1, 0 /* " */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* \ */, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

#define STR_ESCAPED 1u
#define STR_NUL 2u /* contains \u0000 */

/* Scans a string whose opening quote is at p[-1]. Returns the address of the closing quote and
 * sets *flags, or NULL if the string is malformed or unterminated. */
static const unsigned char *scan_string(const unsigned char *p, const unsigned char *end,
                                        unsigned *flags)
{
    *flags = 0;
    for (;;) {
        while (p < end && plain_byte[*p])
            ++p;
        if (p == end)
            return NULL;
        unsigned c = *p;
        if (c == '"')
            return p;
        if (c == '\\') {
            char u[4];
            ++p;
            const unsigned char *at = p;
            size_t k = decode_escape(&p, end, u);
            if (k == 0)
                return NULL;
            *flags |= STR_ESCAPED;
            if (k == 1 && u[0] == '\0' && *at == 'u')
                *flags |= STR_NUL;
            continue;
        }
        if (c < 0x20)
            return NULL;
        /* UTF-8 as jansson's utf8_check_first/utf8_check_full: lead C2-F4, then 80-BF, no
         * overlong form, surrogate or code point past U+10FFFF */
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return NULL;
        if ((size_t)(end - p) <= n)
            return NULL;
        for (size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return NULL;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return NULL;
        p += n + 1;
    }
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* 2^1024 - 2^970, the least decimal that strtod rounds to infinity (the midpoint between
 * DBL_MAX and 2^1024 rounds to even, i.e. up), as 0.DIGITS x 10^309. */
static const char overflow_digits[] =
    "1797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179"
    "7758720709633028641669288791094655554785194040263065748867150582068190890200070838367627385"
    "4845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342"
    "711559699508093042880177904174497792";
#define OVERFLOW_EXP10 309

/* Whether the real (grammar already checked) overflows a double: jansson refuses it. */
static bool real_overflows(const unsigned char *s, const unsigned char *end)
{
    if (*s == '-')
        ++s;
    /* the significant digits: from the first non-zero digit, skipping the point */
    const unsigned char *first = NULL, *dig_end = s;
    long long exp10 = 0; /* value = 0.<significant digits> x 10^exp10 */
    bool point = false;
    for (; dig_end < end && (*dig_end == '.' || (*dig_end >= '0' && *dig_end <= '9')); ++dig_end) {
        if (*dig_end == '.') {
            point = true;
        } else if (first == NULL) {
            if (*dig_end != '0')
                first = dig_end, exp10 += point ? 0 : 1;
            else if (point)
                --exp10;
        } else if (!point) {
            ++exp10;
        }
        if (exp10 > (1LL << 40) || exp10 < -(1LL << 40))
            exp10 = exp10 > 0 ? 1LL << 40 : -(1LL << 40);
    }
    if (first == NULL)
        return false;    /* zero */
    if (dig_end < end) { /* exponent */
        const unsigned char *e = dig_end + 1;
        bool neg = *e == '-';
        if (*e == '-' || *e == '+')
            ++e;
        long long x = 0;
        for (; e < end; ++e)
            if (x < (1LL << 41))
                x = x * 10 + (*e - '0');
        exp10 += neg ? -x : x;
    }
    if (exp10 != OVERFLOW_EXP10)
        return exp10 > OVERFLOW_EXP10;
    size_t k = 0;
    for (const unsigned char *p = first; p < dig_end; ++p) {
        if (*p == '.')
            continue;
        int want = k < sizeof(overflow_digits) - 1 ? overflow_digits[k] : '0';
        if (*p != want)
            return *p > want;
        ++k;
    }
    /* a prefix of the bound: equal when the rest of the bound is zeros (then it is a tie) */
    for (; k < sizeof(overflow_digits) - 1; ++k)
        if (overflow_digits[k] != '0')
            return false;
    return true;
}

/* Whether integer digits (grammar already checked, optional '-') fit in long long. */
static bool integer_fits(const unsigned char *s, const unsigned char *end)
{
    bool neg = *s == '-';
    if (neg)
        ++s;
    size_t n = (size_t)(end - s);
    if (n != 19)
        return n < 19;
    return memcmp(s, neg ? "9223372036854775808" : "9223372036854775807", 19) <= 0;
}

long long jscan_integer(struct bytes raw)
{
    const char *s = raw.base, *end = s + raw.len;
    bool neg = s < end && *s == '-';
    if (neg)
        ++s;
    /* accumulate negatively: LLONG_MIN has no positive counterpart */
    long long v = 0;
    for (; s < end; ++s)
        v = v * 10 - (*s - '0');
    return neg ? v : -v;
}

static bool is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* Scans a number starting at p. Returns its end and sets *integer, or NULL if malformed or out
 * of jansson's range. */
static const unsigned char *scan_number(const unsigned char *p, const unsigned char *end,
                                        bool *integer)
{
    const unsigned char *s = p;
    if (*p == '-')
        ++p;
    if (!is_digit(p, end))
        return NULL;
    if (*p++ != '0')
        while (is_digit(p, end))
            ++p;
    *integer = true;
    if (p < end && *p == '.') {
        *integer = false;
        if (!is_digit(++p, end))
            return NULL;
        while (is_digit(p, end))
            ++p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *integer = false;
        ++p;
        if (p < end && (*p == '+' || *p == '-'))
            ++p;
        if (!is_digit(p, end))
            return NULL;
        while (is_digit(p, end))
            ++p;
    }
    if (*integer ? !integer_fits(s, p) : real_overflows(s, p))
        return NULL;
    return p;
}

/* ---- the scan ----------------------------------------------------------------------------- */

#define MASK_LEVELS (JSCAN_POINTER_MAX_TOKENS + 2) /* depths 1 .. MAX_TOKENS + 1 */

struct level {
    uint64_t live, target;
    const unsigned char *start;
    size_t index; /* arrays: the current element */
};

struct scan {
    const struct jscan_pointer *ptrs;
    struct jscan_hit *hits;
    struct level lv[MASK_LEVELS];
    unsigned char is_object[JSCAN_MAX_DEPTH / 8 + 1]; /* a bit per depth */
};

static const unsigned char *skip_space(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        ++p;
    return p;
}

static bool token_matches_key(const struct jscan_pointer *ptr, size_t t, struct bytes key,
                              bool escaped)
{
    const char *tok = ptr->text + ptr->tok[t].off;
    size_t len = ptr->tok[t].len;
    if (!escaped)
        return key.len == len && (len == 0 || memcmp(key.base, tok, len) == 0);
    return escaped_equals(key, tok, len);
}

/* Splits the pointers live at a container at path length depth-1 that match the member (key,
 * or array element `index`) into those ending there (*target) and those going on (*live),
 * resetting their hits: the member's value replaces any earlier one. */
static void descend(struct scan *s, uint64_t parent, size_t pathlen, bool object, struct bytes key,
                    bool escaped, size_t index, uint64_t *live, uint64_t *target)
{
    *live = *target = 0;
    for (uint64_t m = parent; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        const struct jscan_pointer *p = &s->ptrs[i];
        bool match =
            object ? token_matches_key(p, pathlen, key, escaped) : p->tok[pathlen].index == index;
        if (!match)
            continue;
        s->hits[i] = (struct jscan_hit){JSCAN_ABSENT, BYTES_NULL, false};
        if (p->ntok == pathlen + 1)
            *target |= 1ull << i;
        else
            *live |= 1ull << i;
    }
}

static void set_hits(struct scan *s, uint64_t target, enum jscan_kind kind, const unsigned char *a,
                     const unsigned char *b, bool escaped)
{
    for (uint64_t m = target; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        s->hits[i] = (struct jscan_hit){kind, bytes_of((const char *)a, (size_t)(b - a)), escaped};
    }
}

static int fail(struct jscan_hit *hits, size_t n)
{
    for (size_t i = 0; i != n; ++i)
        hits[i] = (struct jscan_hit){JSCAN_ABSENT, BYTES_NULL, false};
    return -1;
}

int jscan(struct bytes body, const struct jscan_pointer *ptrs, size_t n, struct jscan_hit *hits)
{
    struct scan s;
    const unsigned char *p = (const unsigned char *)body.base, *end = p + body.len;
    size_t depth = 0;
    uint64_t live = 0, target = 0;

    if (n > JSCAN_MAX_POINTERS)
        return fail(hits, n);
    s.ptrs = ptrs;
    s.hits = hits;
    memset(s.is_object, 0, sizeof(s.is_object));
    for (size_t i = 0; i != n; ++i) {
        hits[i] = (struct jscan_hit){JSCAN_ABSENT, BYTES_NULL, false};
        if (ptrs[i].ntok == 0)
            target |= 1ull << i;
        else
            live |= 1ull << i;
    }
    p = skip_space(p, end);
    if (p == end || *p != '{')
        return fail(hits, n);

value:
    /* at a value's first byte; live/target are the masks for it */
    if (p == end)
        return fail(hits, n);
    switch (*p) {
    case '{':
    case '[':
        if (depth == JSCAN_MAX_DEPTH)
            return fail(hits, n);
        ++depth;
        if (*p == '{')
            s.is_object[depth / 8] |= (unsigned char)(1u << (depth % 8));
        else
            s.is_object[depth / 8] &= (unsigned char)~(1u << (depth % 8));
        if (depth < MASK_LEVELS)
            s.lv[depth] = (struct level){live, target, p, 0};
        p = skip_space(p + 1, end);
        if (p == end)
            return fail(hits, n);
        if (s.is_object[depth / 8] & (1u << (depth % 8))) {
            if (*p == '}')
                goto close;
            goto member;
        }
        if (*p == ']')
            goto close;
        goto element;
    case '"': {
        unsigned flags;
        const unsigned char *q = scan_string(p + 1, end, &flags);
        if (q == NULL)
            return fail(hits, n);
        set_hits(&s, target, JSCAN_STRING, p + 1, q, flags & STR_ESCAPED);
        p = q + 1;
        goto next;
    }
    case 't':
    case 'f':
    case 'n': {
        const char *word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        size_t len = strlen(word);
        if ((size_t)(end - p) < len || memcmp(p, word, len) != 0)
            return fail(hits, n);
        set_hits(&s, target, JSCAN_OTHER, p, p + len, false);
        p += len;
        goto next;
    }
    default: {
        bool integer;
        const unsigned char *q = scan_number(p, end, &integer);
        if (q == NULL)
            return fail(hits, n);
        set_hits(&s, target, integer ? JSCAN_INTEGER : JSCAN_OTHER, p, q, false);
        p = q;
        goto next;
    }
    }

member : {
    /* at a key's opening quote (anything else fails) inside the object at `depth` */
    if (*p != '"')
        return fail(hits, n);
    unsigned flags;
    const unsigned char *q = scan_string(p + 1, end, &flags);
    if (q == NULL || (flags & STR_NUL))
        return fail(hits, n);
    struct bytes key = bytes_of((const char *)p + 1, (size_t)(q - p - 1));
    p = skip_space(q + 1, end);
    if (p == end || *p != ':')
        return fail(hits, n);
    p = skip_space(p + 1, end);
    if (depth < MASK_LEVELS && s.lv[depth].live != 0)
        descend(&s, s.lv[depth].live, depth - 1, true, key, flags & STR_ESCAPED, 0, &live, &target);
    else
        live = target = 0;
    goto value;
}

element:
    /* at an element's first byte inside the array at `depth` */
    if (depth < MASK_LEVELS && s.lv[depth].live != 0)
        descend(&s, s.lv[depth].live, depth - 1, false, BYTES_NULL, false, s.lv[depth].index, &live,
                &target);
    else
        live = target = 0;
    goto value;

next:
    /* after a value: a separator, the end of its container, or the end of the body */
    p = skip_space(p, end);
    if (depth == 0)
        return p == end ? 0 : fail(hits, n);
    if (p == end)
        return fail(hits, n);
    if (*p == ',') {
        p = skip_space(p + 1, end);
        if (p == end)
            return fail(hits, n);
        if (s.is_object[depth / 8] & (1u << (depth % 8)))
            goto member;
        if (depth < MASK_LEVELS)
            ++s.lv[depth].index;
        goto element;
    }
    if (*p != ((s.is_object[depth / 8] & (1u << (depth % 8))) ? '}' : ']'))
        return fail(hits, n);

close:
    /* at the closing bracket of the container at `depth` */
    ++p;
    if (depth < MASK_LEVELS)
        set_hits(&s, s.lv[depth].target, JSCAN_OTHER, s.lv[depth].start, p, false);
    --depth;
    goto next;
}
