/*
 * Explain. The request given on the command line goes through exactly what a request to the
 * server goes through: h2o's path normalization (http_path_normalize), the answers made before
 * any decision (decide_admit: 404, 405, 413) and then decide(), with the config loaded as the
 * server loads it. This file only describes the result: where each attribute came from (the
 * pipeline records it in struct event), the record of every topic as envelope_build() made it,
 * and the answer body the server would send (bridge_status_body). Rejected: a second,
 * explain-only decision path; it would drift from the server's, and explain is the tool that
 * must never lie about it.
 *
 * What explain cannot see is said so: Kafka's own answers (503 when it does not acknowledge,
 * 413 when a topic refuses the record's size), and a rate limit, since one request never
 * exceeds it. Secrets are never printed: the request's headers are not echoed (only the
 * records' headers, which never hold one), and verification is described by its reason alone.
 */
#include "explain.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/netaddr.h"
#include "http/server.h"
#include "kafka/producer.h"
#include "pipeline/decide.h"

#define MAX_HEADERS 64
#define LABEL "%-14s" /* the field column of the text output */

struct options {
    const char *config, *path, *method, *body_file;
    struct header_view headers[MAX_HEADERS];
    size_t nheaders;
    uint8_t peer[16];
    bool has_peer, json;
    int64_t now_ms; /* -1: the clock */
};

static int usage(FILE *f)
{
    fprintf(f, "usage: webhook-bridge explain --config FILE --path PATH [-H 'NAME: VALUE']...\n"
               "                              [--method METHOD] [--peer ADDRESS] [--now TIME]\n"
               "                              [--body FILE] [--json] < BODY\n"
               "  decides one request as the server would and prints what would happen; sends\n"
               "  nothing. Exit 0 accepted, 1 not accepted (dead letter or an error answer),\n"
               "  2 usage or config error.\n"
               "  --path PATH        the request path (as a provider would send it)\n"
               "  -H 'NAME: VALUE'   a request header, repeatable (the secret or signature too;\n"
               "                     it is never printed)\n"
               "  --method METHOD    the request method (default POST)\n"
               "  --peer ADDRESS     the client's address, for allow_from and trusted_proxies\n"
               "                     (default: none known)\n"
               "  --now TIME         the receive time, RFC 3339 (default: now); signed timestamps\n"
               "                     are judged at it\n"
               "  --body FILE        the body (default: standard input)\n"
               "  --json             one JSON object instead of text\n");
    return 2;
}

/* A -H argument as a header view into argv: "name: value", spaces around the value dropped
 * as HTTP drops them. The argument is never echoed in an error: it may hold the secret. */
static int parse_header(char *arg, struct header_view *h)
{
    char *colon = strchr(arg, ':');
    if (colon == NULL || colon == arg)
        return -1;
    for (const char *c = arg; c != colon; ++c)
        if (*c <= ' ' || *c == 0x7f)
            return -1;
    char *v = colon + 1, *end = v + strlen(v);
    while (*v == ' ' || *v == '\t')
        ++v;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        --end;
    *h = (struct header_view){bytes_of(arg, (size_t)(colon - arg)), bytes_of(v, (size_t)(end - v))};
    return 0;
}

/* -1: go on; else the exit status. */
static int parse_options(int argc, char **argv, struct options *o, FILE *errout)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"path", required_argument, NULL, 'p'},
        {"header", required_argument, NULL, 'H'}, {"method", required_argument, NULL, 'm'},
        {"peer", required_argument, NULL, 'a'},   {"now", required_argument, NULL, 't'},
        {"body", required_argument, NULL, 'b'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    *o = (struct options){.config = "config/bridge.yaml", .method = "POST", .now_ms = -1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:H:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'p':
            o->path = optarg;
            break;
        case 'H':
            if (o->nheaders == MAX_HEADERS) {
                fprintf(errout, "explain: more than %d headers\n", MAX_HEADERS);
                return 2;
            }
            if (parse_header(optarg, &o->headers[o->nheaders]) != 0) {
                fprintf(errout, "explain: header %zu is not 'NAME: VALUE' (a name of visible "
                                "characters, a colon, the value)\n",
                        o->nheaders + 1);
                return 2;
            }
            ++o->nheaders;
            break;
        case 'm':
            o->method = optarg;
            break;
        case 'a':
            if (netaddr_parse(optarg, strlen(optarg), o->peer) != 0) {
                fprintf(errout, "explain: --peer %s: not an IPv4 or IPv6 address\n", optarg);
                return 2;
            }
            o->has_peer = true;
            break;
        case 't':
            if (normalize_parse_time(bytes_str(optarg), &o->now_ms) != 0) {
                fprintf(errout, "explain: --now %s: not an RFC 3339 time\n", optarg);
                return 2;
            }
            break;
        case 'b':
            o->body_file = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return usage(errout);
        }
    }
    if (optind != argc || o->path == NULL)
        return usage(errout);
    return -1;
}

/* Reads at most max + 1 bytes (one more than any body the server takes tells a 413). */
static char *read_body(FILE *f, size_t max, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t want = cap - n < max + 1 - n ? cap - n : max + 1 - n;
        size_t r = fread(buf + n, 1, want, f);
        n += r;
        if (r == 0 || n == max + 1)
            break;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Everything explain found out, for either output. */
struct explanation {
    const struct options *opt;
    const struct bridge_config *cfg;
    struct bytes path;       /* normalized */
    struct bytes body;
    const struct source_rt *src;
    enum bridge_status status; /* decide_admit's refusal, else the decision's */
    bool decided;
    struct decision d;
    int has_client;                   /* -1 unknown, 0 not asked (no allow_from, no --peer) */
    char client[NETADDR_TEXT_MAX];    /* as allow_from judges it */
    char peer[NETADDR_TEXT_MAX];
    int http;
    char answer[BRIDGE_STATUS_BODY_MAX];
    size_t answer_len;
};

static const struct conf_source *source_conf(const struct explanation *x)
{
    return x->src != NULL ? x->src->conf : NULL;
}

/* Whether normalization ran: verification passed (the attributes are then the event's). */
static bool normalized(const struct explanation *x)
{
    return x->decided && x->d.status != BRIDGE_UNAUTHORIZED;
}

static const char *verification_result(const struct explanation *x)
{
    if (!x->decided)
        return "not_checked";
    if (x->d.verify != VERIFY_OK)
        return "failed";
    return source_conf(x)->verify.scheme == VERIFY_SCHEME_NONE ? "not_required" : "verified";
}

/* Why verification failed, in words: the check, never a secret or an expected value. */
static void print_verify_failure(FILE *out, const struct explanation *x)
{
    const struct conf_verify *v = &source_conf(x)->verify;
    const char *h = v->header != NULL ? v->header : "signature";
    switch (x->d.verify) {
    case VERIFY_MISSING_HEADER:
        fprintf(out, "a header the %s scheme needs is missing (%s)", envelope_scheme_name(v->scheme),
                h);
        break;
    case VERIFY_MALFORMED_HEADER:
        fprintf(out, "the %s header is not in the %s scheme's form", h,
                envelope_scheme_name(v->scheme));
        break;
    case VERIFY_MISMATCH:
        if (v->scheme == VERIFY_SCHEME_SHARED_SECRET)
            fprintf(out, "the %s header matches no configured secret (of %zu)", h,
                    v->nsecrets);
        else
            fprintf(out, "signature mismatch: no configured secret (of %zu) signs this body",
                    v->nsecrets);
        break;
    case VERIFY_STALE_TIMESTAMP:
    case VERIFY_FUTURE_TIMESTAMP:
        fprintf(out, "the signed timestamp is more than %u s %s the receive time, which --now "
                     "sets",
                v->tolerance_s, x->d.verify == VERIFY_STALE_TIMESTAMP ? "before" : "after");
        break;
    case VERIFY_FORBIDDEN_ADDRESS:
        fprintf(out, x->has_client == 1 ? "the client address is not in allow_from"
                                        : "the source has allow_from, and the client address is "
                                          "not known");
        break;
    default:
        break;
    }
}

/* Text as it is when it is UTF-8 without control bytes, else with every other byte as \xNN. */
static void print_bytes(FILE *out, struct bytes b)
{
    if (normalize_text_valid(b)) {
        fwrite(b.base, 1, b.len, out);
        return;
    }
    for (size_t i = 0; i != b.len; ++i) {
        unsigned char c = (unsigned char)b.base[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            fputc(c, out);
        else
            fprintf(out, "\\x%02x", c);
    }
}

static void print_origin(FILE *out, const struct conf_field *f, const char *from)
{
    fprintf(out, "%s %s", f->from == FIELD_HEADER ? "header" : "pointer", from);
}

static void print_event(FILE *out, const struct explanation *x)
{
    const struct conf_source *s = source_conf(x);
    const struct event *ev = &x->d.ev;
    if (ev->type.base != NULL) {
        fprintf(out, LABEL, "type:");
        print_bytes(out, ev->type);
        fprintf(out, " (");
        print_origin(out, &s->type, s->type.value);
        fprintf(out, ")\n");
    }
    fprintf(out, LABEL, "id:");
    print_bytes(out, ev->id);
    if (ev->id_from != NULL) {
        fprintf(out, " (");
        print_origin(out, &s->id, ev->id_from);
        fprintf(out, ")\n");
    } else if (s->id.from == FIELD_ABSENT) {
        fprintf(out, " (SHA-256 of the source name and body: event.id is not set)\n");
    } else {
        fprintf(out, " (SHA-256 of the source name and body: no usable %s)\n", s->id.value);
    }
    fprintf(out, LABEL, "time:");
    print_bytes(out, ev->time);
    if (ev->time_from != NULL) {
        fprintf(out, " (");
        print_origin(out, &s->time, ev->time_from);
        fprintf(out, ")\n");
    } else if (s->time.from == FIELD_ABSENT) {
        fprintf(out, " (the receive time: event.time is not set)\n");
    } else {
        fprintf(out, " (the receive time: %s %s)\n", s->time.value,
                ev->time_invalid ? "holds no time" : "is absent");
    }
    fprintf(out, LABEL, "key:");
    print_bytes(out, x->d.env.key.base != NULL ? x->d.env.key : ev->key);
    if (x->d.status == BRIDGE_DEAD_LETTERED)
        fprintf(out, " (the id: a dead letter is keyed by its id)\n");
    else if (strcmp(ev->key_from, "id") != 0)
        fprintf(out, " (pointer %s)\n", ev->key_from);
    else if (s->nkey == 0)
        fprintf(out, " (the id: event.key is not set)\n");
    else
        fprintf(out, " (the id: none of the %zu key pointers holds a string)\n", s->nkey);
}

static void print_reason(FILE *out, const struct explanation *x)
{
    const struct conf_source *s = source_conf(x);
    const char *r = x->d.reason;
    fprintf(out, LABEL "%s (", "reason:", r);
    if (strcmp(r, "invalid_json") == 0) {
        fprintf(out, "the body is not a JSON object");
    } else if (strcmp(r, "no_event_type") == 0) {
        fprintf(out, "no text at ");
        print_origin(out, &s->type, s->type.value);
    } else if (strcmp(r, "invalid_attribute") == 0) {
        fprintf(out, "a type, id, time or key is not UTF-8 text without control characters, "
                     "or is too long");
    } else if (strcmp(r, "unrouted") == 0) {
        fprintf(out, "no route of source %s matches this type", s->name);
    } else {
        fprintf(out, "%s", r);
    }
    if (x->d.status == BRIDGE_BAD_PAYLOAD)
        fprintf(out, "; the source has no dead-letter topic");
    fprintf(out, ")\n");
}

static void print_records(FILE *out, const struct explanation *x)
{
    const struct envelope *env = &x->d.env;
    int width = 6; /* "value:" */
    for (size_t h = 0; h != env->nheaders; ++h)
        if ((int)strlen(env->headers[h].name) + 1 > width)
            width = (int)strlen(env->headers[h].name) + 1;
    width += 2;
    for (size_t t = 0; t != x->d.ntopics; ++t) {
        fprintf(out, LABEL "%s%s\n", "topic:", x->d.topics[t],
                x->d.status == BRIDGE_DEAD_LETTERED ? " (dead letter)" : "");
        fprintf(out, "  %-*s", width, "key:");
        print_bytes(out, env->key);
        fputc('\n', out);
        for (size_t h = 0; h != env->nheaders; ++h) {
            fprintf(out, "  %s:%*s", env->headers[h].name,
                    width - (int)strlen(env->headers[h].name) - 1, "");
            print_bytes(out, env->headers[h].value);
            fputc('\n', out);
        }
        fprintf(out, "  %-*s", width, "value:");
        if (env->value.base == x->body.base && env->value.len == x->body.len) {
            fprintf(out, "the request body as received, %zu bytes\n", env->value.len);
        } else {
            print_bytes(out, env->value);
            fputc('\n', out);
        }
    }
}

static void print_text(FILE *out, const struct explanation *x)
{
    const struct conf_source *s = source_conf(x);
    fprintf(out, LABEL "nothing (explain decides; it does not publish)\n", "sent:");
    if (s == NULL) {
        fprintf(out, LABEL "none serves path ", "source:");
        print_bytes(out, x->path);
        fputc('\n', out);
    } else {
        fprintf(out, LABEL "%s (path %s)\n", "source:", s->name, s->path);
    }
    if (x->has_client == 1 && strcmp(x->client, x->peer) == 0)
        fprintf(out, LABEL "%s\n", "client:", x->client);
    else if (x->has_client == 1)
        fprintf(out, LABEL "%s (X-Forwarded-For from trusted proxy %s)\n", "client:", x->client,
                x->peer);
    else if (x->has_client == -1)
        fprintf(out, LABEL "unknown (%s)\n", "client:",
                x->opt->has_peer ? "the trusted proxy's X-Forwarded-For names none"
                                 : "no --peer given");
    if (x->decided) {
        fprintf(out, LABEL "%s", "verification:", verification_result(x));
        if (x->d.verify != VERIFY_OK) {
            fprintf(out, ": %s (", verify_result_name(x->d.verify));
            print_verify_failure(out, x);
            fputc(')', out);
        } else if (s->verify.scheme == VERIFY_SCHEME_NONE) {
            fprintf(out, " (verify.scheme none)");
        } else {
            fprintf(out, " (%s", envelope_scheme_name(s->verify.scheme));
            if (s->verify.header != NULL)
                fprintf(out, ", header %s", s->verify.header);
            fputc(')', out);
        }
        if (x->d.verify == VERIFY_OK && s->nallow_from != 0)
            fprintf(out, "; the client address is in allow_from");
        fputc('\n', out);
    }
    if (normalized(x)) {
        print_event(out, x);
        if (x->d.route != NULL)
            fprintf(out, LABEL "%s (%s:%u:%u)\n", "route:", x->d.route->pattern,
                    x->d.route->pos.file != NULL ? x->d.route->pos.file : x->cfg->file,
                    x->d.route->pos.line, x->d.route->pos.col);
        if (x->d.reason != NULL)
            print_reason(out, x);
        if (s->rate_limit != 0)
            fprintf(out, LABEL "%u/s, burst %u, per replica: one request is within it (past "
                               "it the server answers 429)\n",
                    "rate limit:", s->rate_limit,
                    s->rate_burst != 0 ? s->rate_burst : s->rate_limit);
    }
    fprintf(out, LABEL "%s", "decision:", bridge_status_name(x->status));
    if (x->status == BRIDGE_METHOD_NOT_ALLOWED)
        fprintf(out, " (webhooks are POSTed; the answer says Allow: POST)");
    else if (x->status == BRIDGE_BODY_TOO_LARGE)
        fprintf(out, " (the body is over max_body_bytes, %zu)", x->cfg->max_body_bytes);
    else if (bridge_status_ok(x->status))
        fprintf(out, ": %zu record%s", x->d.ntopics, x->d.ntopics == 1 ? "" : "s");
    fputc('\n', out);
    fprintf(out, LABEL "%d %.*s", "answer:", x->http, (int)x->answer_len - 1, x->answer);
    if (bridge_status_retriable(x->status))
        fprintf(out, " (Retry-After: 5)");
    fputc('\n', out);
    if (bridge_status_ok(x->status)) {
        if (s->ack == ACK_ENQUEUE)
            fprintf(out, LABEL "once every record is queued (ack: enqueue)\n", "");
        else
            fprintf(out, LABEL "once Kafka acknowledges every record (ack: broker; 503 if it "
                               "does not within %u ms)\n",
                    "", s->ack_timeout_ms);
    }
    if (normalized(x))
        print_records(out, x);
}

/* A JSON string of b, or of its bytes with \xNN escapes when b is not UTF-8 text. */
static json_t *jbytes(struct bytes b)
{
    if (b.base == NULL)
        return json_null();
    json_t *s = json_stringn(b.base, b.len);
    if (s != NULL)
        return s;
    char *esc = malloc(b.len * 4 + 1);
    if (esc == NULL)
        return json_null();
    size_t n = 0;
    for (size_t i = 0; i != b.len; ++i) {
        unsigned char c = (unsigned char)b.base[i];
        n += (size_t)(c >= 0x20 && c < 0x7f && c != '\\' ? sprintf(esc + n, "%c", c)
                                                          : sprintf(esc + n, "\\x%02x", c));
    }
    s = json_stringn(esc, n);
    free(esc);
    return s;
}

static json_t *jstr(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *json_records(const struct explanation *x)
{
    const struct envelope *env = &x->d.env;
    json_t *records = json_array();
    for (size_t t = 0; normalized(x) && t != x->d.ntopics; ++t) {
        json_t *headers = json_array();
        for (size_t h = 0; h != env->nheaders; ++h)
            json_array_append_new(headers, json_pack("{s:s, s:o}", "name", env->headers[h].name,
                                                     "value", jbytes(env->headers[h].value)));
        bool is_body = env->value.base == x->body.base && env->value.len == x->body.len;
        json_t *r = json_pack("{s:s, s:o, s:o, s:I, s:b}", "topic", x->d.topics[t], "key",
                              jbytes(env->key), "headers", headers, "value_bytes",
                              (json_int_t)env->value.len, "value_is_body", is_body);
        if (!is_body)
            json_object_set_new(r, "value", jbytes(env->value));
        json_array_append_new(records, r);
    }
    return records;
}

static json_t *json_event(const struct explanation *x)
{
    if (!normalized(x))
        return json_null();
    const struct event *ev = &x->d.ev;
    const struct conf_source *s = source_conf(x);
    /* where each came from: the config's pointer (starts with '/') or header name, or what
     * stood in for it */
    return json_pack("{s:o, s:o, s:o, s:s, s:o, s:s, s:b, s:o, s:s}", "type", jbytes(ev->type),
                     "type_from", jstr(s->type.value), "id", jbytes(ev->id), "id_from",
                     ev->id_from != NULL ? ev->id_from : "sha256", "time", jbytes(ev->time),
                     "time_from", ev->time_from != NULL ? ev->time_from : "received",
                     "time_invalid", ev->time_invalid, "key",
                     jbytes(x->d.env.key.base != NULL ? x->d.env.key : ev->key), "key_from",
                     x->d.status == BRIDGE_DEAD_LETTERED ? "id" : ev->key_from);
}

static void print_json(FILE *out, const struct explanation *x)
{
    const struct conf_source *s = source_conf(x);
    json_t *verification = json_pack("{s:s, s:o, s:o}", "result", verification_result(x),
                                     "scheme",
                                     s != NULL ? json_string(envelope_scheme_name(s->verify.scheme))
                                               : json_null(),
                                     "reason",
                                     x->decided && x->d.verify != VERIFY_OK
                                         ? json_string(verify_result_name(x->d.verify))
                                         : json_null());
    json_t *rate = s != NULL && s->rate_limit != 0
                       ? json_pack("{s:I, s:I}", "per_second", (json_int_t)s->rate_limit,
                                   "burst", (json_int_t)(s->rate_burst != 0 ? s->rate_burst
                                                                            : s->rate_limit))
                       : json_null();
    json_t *answer = json_loadb(x->answer, x->answer_len, 0, NULL);
    json_t *o = json_pack(
        "{s:b, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:i, s:o, s:o, s:o, s:o, s:o}", "sent", false,
        "path", jbytes(x->path), "method", jbytes(bytes_str(x->opt->method)), "source",
        jstr(s != NULL ? s->name : NULL), "client", jstr(x->has_client == 1 ? x->client : NULL),
        "verification", verification, "status",
        bridge_status_name(x->status), "reason", jstr(normalized(x) ? x->d.reason : NULL),
        "http_status", x->http, "response", answer != NULL ? answer : json_null(), "event",
        json_event(x), "route", jstr(x->d.route != NULL ? x->d.route->pattern : NULL),
        "records", json_records(x), "rate_limit", rate);
    if (o == NULL || json_dumpf(o, out, JSON_COMPACT) != 0)
        fprintf(out, "{\"sent\":false,\"error\":\"out of memory\"}");
    fputc('\n', out);
    json_decref(o);
}

static int64_t clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void explain(struct explanation *x, struct runtime *rt)
{
    const struct options *o = x->opt;
    x->status = decide_admit(rt, x->path, bytes_str(o->method), x->body.len,
                             x->cfg->max_body_bytes, &x->src);
    if (x->status == BRIDGE_ACCEPTED) {
        struct request_view rv = {.path = x->path, .body = x->body, .headers = o->headers,
                                  .nheaders = o->nheaders, .has_peer = o->has_peer};
        memcpy(rv.peer, o->peer, 16);
        uint8_t client[16];
        if (o->has_peer || x->src->conf->nallow_from != 0) {
            x->has_client = verifier_client_address(x->src->verifier, &rv, client) == 0 ? 1 : -1;
            if (x->has_client == 1)
                netaddr_format(client, x->client);
            if (o->has_peer)
                netaddr_format(o->peer, x->peer);
        }
        int64_t now = o->now_ms >= 0 ? o->now_ms : clock_ms(CLOCK_REALTIME);
        decide(x->src, &rv, now, (uint64_t)clock_ms(CLOCK_MONOTONIC) * 1000000, &x->d);
        x->decided = true;
        x->status = x->d.status;
    }
    x->http = bridge_status_ok(x->status) ? x->src->conf->success_status
                                          : bridge_status_http(x->status);
    struct bytes id = x->decided ? x->d.ev.id : BYTES_NULL;
    x->answer_len = bridge_status_body(x->status, id.base, id.len, x->answer);
}

int explain_main(int argc, char **argv, FILE *in, FILE *out, FILE *errout)
{
    struct options opt;
    int status = parse_options(argc, argv, &opt, errout);
    if (status >= 0)
        return status;

    struct conf_error err;
    struct bridge_config *cfg = NULL;
    struct runtime *rt = NULL;
    if (conf_load(opt.config, &cfg, &err) != 0 || producer_check_config(cfg, &err) != 0 ||
        (rt = runtime_create(cfg, 1, &err)) == NULL) {
        conf_free(cfg);
        fprintf(errout, "%s\n", err.msg);
        return 2;
    }
    cfg = rt->cfg;
    for (size_t i = 0; i != cfg->nwarnings; ++i)
        fprintf(errout, "%s\n", cfg->warnings[i]);

    struct explanation x = {.opt = &opt, .cfg = cfg};
    char *path = NULL, *body = NULL;
    FILE *f = opt.body_file != NULL ? fopen(opt.body_file, "rb") : in;
    status = 2;
    if (f == NULL) {
        fprintf(errout, "explain: --body %s: cannot open it\n", opt.body_file);
        goto done;
    }
    body = read_body(f, cfg->max_body_bytes, &x.body.len);
    if (f != in)
        fclose(f);
    x.body.base = body;
    if (body == NULL) {
        fprintf(errout, "explain: cannot read the body\n");
        goto done;
    }
    if ((path = http_path_normalize(opt.path, strlen(opt.path), &x.path.len)) == NULL) {
        fprintf(errout, "explain: out of memory\n");
        goto done;
    }
    x.path.base = path;
    explain(&x, rt);
    if (opt.json)
        print_json(out, &x);
    else
        print_text(out, &x);
    status = x.status == BRIDGE_ACCEPTED ? 0 : 1;
    if (x.decided)
        decision_release(&x.d);
done:
    free(path);
    free(body);
    runtime_release(rt);
    metrics_shutdown();
    return status;
}
