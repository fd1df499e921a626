/*
 * The AsyncAPI document, generated from the loaded runtime so that it says what this config
 * produces and nothing else: routes in match order, each route's topics as channels, one
 * message per (source, route pattern), the record headers the envelope writes (envelope.c),
 * and a dead-letter channel per dead-letter topic.
 *
 * Body schemas are inferred from the documented examples (tests/fixtures/mono, compiled in):
 * an example belongs to the route the pipeline's own route_match() picks for its type, on a
 * source that reads its type at /event, as Mono's do; a catch-all `*` gets none (it stands for
 * types nobody documented). Examples of one type merge: properties in all of them are
 * required, types unite (JSON Schema applies `properties` only to objects, `items` only to
 * arrays, so keywords of different types merge without conflict).
 * Rejected: a hand-written document next to the config, which would drift from the routes.
 */
#include "asyncapi.h"

#include <jansson.h>
#include <string.h>

#include "pipeline/envelope.h"
#include "pipeline/normalize.h"
#include "pipeline/runtime.h"

/* ---- JSON Schema inference ---- */

static json_t *merge(json_t *a, json_t *b);

static json_t *infer(json_t *v)
{
    json_t *s = json_object();
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        json_t *props = json_object(), *req = json_array(), *item;
        const char *k;
        json_object_set_new(s, "type", json_string("object"));
        json_object_foreach(v, k, item)
        {
            json_object_set_new(props, k, infer(item));
            json_array_append_new(req, json_string(k));
        }
        json_object_set_new(s, "properties", props);
        json_object_set_new(s, "required", req);
        break;
    }
    case JSON_ARRAY: {
        json_t *items = NULL;
        size_t i;
        json_t *item, *merged;
        json_object_set_new(s, "type", json_string("array"));
        json_array_foreach(v, i, item)
        {
            json_t *one = infer(item);
            merged = items;
            items = merge(items, one);
            json_decref(one);
            json_decref(merged);
        }
        if (items != NULL)
            json_object_set_new(s, "items", items);
        break;
    }
    case JSON_STRING: {
        int64_t ms;
        json_object_set_new(s, "type", json_string("string"));
        if (normalize_parse_time(bytes_of(json_string_value(v), json_string_length(v)), &ms) == 0)
            json_object_set_new(s, "format", json_string("date-time"));
        break;
    }
    case JSON_INTEGER:
        json_object_set_new(s, "type", json_string("integer"));
        break;
    case JSON_REAL:
        json_object_set_new(s, "type", json_string("number"));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        json_object_set_new(s, "type", json_string("boolean"));
        break;
    case JSON_NULL:
        json_object_set_new(s, "type", json_string("null"));
        break;
    }
    return s;
}

/* The type names of schema s as a new array. */
static json_t *types_of(json_t *s)
{
    json_t *t = json_object_get(s, "type");
    if (json_is_array(t))
        return json_deep_copy(t);
    json_t *a = json_array();
    if (json_is_string(t))
        json_array_append(a, t);
    return a;
}

static bool has_type(json_t *types, const char *name)
{
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t) if (strcmp(json_string_value(t), name) == 0) return true;
    return false;
}

/* A new schema matching what a or b match (a may be NULL: a copy of b). */
static json_t *merge(json_t *a, json_t *b)
{
    if (a == NULL)
        return json_deep_copy(b);
    json_t *ta = types_of(a), *tb = types_of(b), *types = json_array(), *t;
    size_t i;
    json_array_foreach(ta, i, t) json_array_append(types, t);
    json_array_foreach(tb, i, t) if (!has_type(types, json_string_value(t)))
        json_array_append(types, t);
    if (has_type(types, "integer") && has_type(types, "number")) {
        json_t *kept = json_array();
        json_array_foreach(types, i, t) if (strcmp(json_string_value(t), "integer") != 0)
            json_array_append(kept, t);
        json_decref(types);
        types = kept;
    }
    json_t *s = json_object();
    json_object_set(s, "type", json_array_size(types) == 1 ? json_array_get(types, 0) : types);

    json_t *pa = json_object_get(a, "properties"), *pb = json_object_get(b, "properties");
    if (pa != NULL || pb != NULL) {
        json_t *props = json_object(), *v;
        const char *k;
        json_object_foreach(pa, k, v)
        {
            json_t *w = json_object_get(pb, k);
            json_object_set_new(props, k, w != NULL ? merge(v, w) : json_deep_copy(v));
        }
        json_object_foreach(pb, k, v) if (json_object_get(pa, k) == NULL)
            json_object_set_new(props, k, json_deep_copy(v));
        json_object_set_new(s, "properties", props);
        /* required: in both when both are objects, else the object's own */
        json_t *ra = json_object_get(a, "required"), *rb = json_object_get(b, "required");
        json_t *req = json_array();
        if (ra != NULL && rb != NULL) {
            json_array_foreach(ra, i, t)
            {
                size_t j;
                json_t *u;
                json_array_foreach(rb, j, u) if (json_equal(t, u))
                {
                    json_array_append(req, t);
                    break;
                }
            }
        } else {
            json_array_extend(req, ra != NULL ? ra : rb);
        }
        json_object_set_new(s, "required", req);
    }
    json_t *ia = json_object_get(a, "items"), *ib = json_object_get(b, "items");
    if (ia != NULL || ib != NULL)
        json_object_set_new(s, "items", ia != NULL && ib != NULL ? merge(ia, ib)
                                                                 : json_deep_copy(ia ? ia : ib));
    json_t *fa = json_object_get(a, "format"), *fb = json_object_get(b, "format");
    bool sa = has_type(ta, "string"), sb = has_type(tb, "string");
    if ((fa != NULL && (!sb || json_equal(fa, fb))) || (fb != NULL && !sa))
        json_object_set(s, "format", fa != NULL ? fa : fb);
    json_decref(ta);
    json_decref(tb);
    json_decref(types);
    return s;
}

/* ---- the document ---- */

/* A component or channel id: [A-Za-z0-9._-] only. */
static void sanitize(char *s)
{
    for (; *s != '\0'; ++s)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            *s = '_';
}

static json_t *ref(const char *prefix, const char *id)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s%s", prefix, id);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *str_schema(const char *description)
{
    return json_pack("{s:s, s:s}", "type", "string", "description", description);
}

static json_t *const_schema(const char *value, const char *description)
{
    return json_pack("{s:s, s:s, s:s}", "type", "string", "const", value, "description",
                     description);
}

/* A regular expression for a route glob ("a.b.*" -> "^a\\.b\\..*$"). */
static json_t *glob_regex(const char *glob)
{
    char buf[1024];
    size_t n = 0;
    buf[n++] = '^';
    for (const char *p = glob; *p != '\0' && n + 4 < sizeof(buf); ++p) {
        if (*p == '*') {
            buf[n++] = '.', buf[n++] = '*';
        } else {
            if (strchr(".^$+?()[]{}|\\/", *p) != NULL)
                buf[n++] = '\\';
            buf[n++] = *p;
        }
    }
    buf[n++] = '$';
    return json_stringn(buf, n);
}

static const char TIME_RE[] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$";
static const char TRACE_RE[] = "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$";

static json_t *type_schema(const struct conf_route *r, json_t *types)
{
    json_t *s;
    if (strchr(r->pattern, '*') == NULL)
        s = const_schema(r->pattern, "The event type (CloudEvents type).");
    else if (strcmp(r->pattern, "*") == 0)
        s = str_schema("The event type (CloudEvents type): any type no other route names.");
    else {
        s = str_schema("The event type (CloudEvents type), matching the route's pattern.");
        json_object_set_new(s, "pattern", glob_regex(r->pattern));
    }
    if (json_array_size(types) != 0 && strchr(r->pattern, '*') != NULL)
        json_object_set(s, "examples", types);
    return s;
}

/* The headers of a binary-mode record of source src (envelope_build()). */
static json_t *record_headers(const struct conf_source *src, const struct conf_route *r,
                              json_t *types)
{
    json_t *p = json_object();
    json_object_set_new(p, "ce_specversion", const_schema("1.0", "CloudEvents version."));
    json_object_set_new(p, "ce_id",
                        str_schema("The event id: the provider's own, else the hex SHA-256 of "
                                   "source name, a NUL byte and the body. The same on a "
                                   "provider's retry: drop duplicates by ce_source + ce_id."));
    json_object_set_new(p, "ce_source", const_schema(src->ce_source, "CloudEvents source."));
    json_object_set_new(p, "ce_type", type_schema(r, types));
    json_t *t = str_schema("The provider's event time, else the time the bridge received "
                           "it: RFC 3339 UTC with milliseconds.");
    json_object_set_new(t, "format", json_string("date-time"));
    json_object_set_new(t, "pattern", json_string(TIME_RE));
    json_object_set_new(p, "ce_time", t);
    json_object_set_new(p, "content-type", const_schema("application/json", "The body's type."));
    json_object_set_new(p, "ce_partitionkey",
                        str_schema("The record key as sent (CloudEvents partitioning)."));
    json_t *from = str_schema("The key pointer that produced the key, or `id` when none held "
                              "a string and the event id is the key.");
    json_t *e = json_array();
    for (size_t i = 0; i != src->nkey; ++i)
        json_array_append_new(e, json_string(src->key[i]));
    json_array_append_new(e, json_string("id"));
    json_object_set_new(from, "enum", e);
    json_object_set_new(p, "ce_partitionkeyfrom", from);
    json_t *tp = str_schema("W3C trace context, copied from the request when well-formed.");
    json_object_set_new(tp, "pattern", json_string(TRACE_RE));
    json_object_set_new(p, "traceparent", tp);
    return json_pack("{s:s, s:o, s:[s,s,s,s,s,s,s,s]}", "type", "object", "properties", p,
                     "required", "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                     "content-type", "ce_partitionkey", "ce_partitionkeyfrom");
}

/* Structured mode: the value is the CloudEvent; `data` the body. */
static json_t *structured_payload(const struct conf_source *src, const struct conf_route *r,
                                  json_t *types, json_t *data)
{
    json_t *h = record_headers(src, r, types), *hp = json_object_get(h, "properties");
    json_t *p = json_object();
    static const char *const attrs[][2] = {{"ce_specversion", "specversion"}, {"ce_id", "id"},
                                           {"ce_source", "source"},  {"ce_type", "type"},
                                           {"ce_time", "time"},      {"ce_partitionkey",
                                                                      "partitionkey"},
                                           {"ce_partitionkeyfrom", "partitionkeyfrom"}};
    for (size_t i = 0; i != sizeof(attrs) / sizeof(attrs[0]); ++i)
        json_object_set(p, attrs[i][1], json_object_get(hp, attrs[i][0]));
    json_object_set_new(p, "datacontenttype", const_schema("application/json", "Of data."));
    json_object_set(p, "data", data);
    json_decref(h);
    return json_pack("{s:s, s:o, s:[s,s,s,s,s,s,s,s,s]}", "type", "object", "properties", p,
                     "required", "specversion", "id", "source", "type", "time",
                     "datacontenttype", "partitionkey", "partitionkeyfrom", "data");
}

/* The example schemas for route r of source s: {type: schema}, merged per type. */
static json_t *example_schemas(const struct source_rt *s, const struct conf_route *r)
{
    json_t *by_type = json_object();
    if (s->conf->type.from != FIELD_POINTER || strcmp(s->conf->type.value, "/event") != 0 ||
        strcmp(r->pattern, "*") == 0)
        return by_type;
    for (size_t i = 0; i != asyncapi_nexamples; ++i) {
        json_t *doc = json_loadb((const char *)asyncapi_examples[i].body, asyncapi_examples[i].len,
                                 0, NULL);
        const char *type = json_string_value(json_object_get(doc, "event"));
        if (type != NULL && route_match(s->routes, bytes_str(type)) == r) {
            json_t *one = infer(doc), *old = json_object_get(by_type, type);
            json_t *merged = merge(old, one);
            /* each type's schema names its type, so the types of a glob tell apart */
            json_t *props = json_object_get(merged, "properties");
            json_object_set_new(props, "event", json_pack("{s:s, s:s}", "type", "string",
                                                          "const", type));
            json_object_set_new(by_type, type, merged);
            json_decref(one);
        }
        json_decref(doc);
    }
    return by_type;
}

struct doc {
    json_t *root, *channels, *operations, *messages;
};

/* The channel of `topic`, created on first use. */
static json_t *channel(struct doc *d, const char *topic, const char *description)
{
    char id[512];
    snprintf(id, sizeof(id), "%s", topic);
    sanitize(id);
    json_t *c = json_object_get(d->channels, id);
    if (c != NULL)
        return c;
    c = json_pack("{s:s, s:s, s:{}}", "address", topic, "description", description, "messages");
    json_object_set_new(d->channels, id, c);
    char op[600];
    snprintf(op, sizeof(op), "send.%s", id);
    json_object_set_new(d->operations, op,
                        json_pack("{s:s, s:o, s:[]}", "action", "send", "channel",
                                  ref("#/channels/", id), "messages"));
    return c;
}

/* Puts message `id` on the channel of topic (and on its operation). */
static void attach(struct doc *d, const char *topic, const char *id, const char *description)
{
    json_t *c = channel(d, topic, description);
    if (json_object_get(json_object_get(c, "messages"), id) != NULL)
        return;
    json_object_set_new(json_object_get(c, "messages"), id, ref("#/components/messages/", id));
    char cid[512], path[1200];
    snprintf(cid, sizeof(cid), "%s", topic);
    sanitize(cid);
    snprintf(path, sizeof(path), "#/channels/%s/messages/", cid);
    char op[600];
    snprintf(op, sizeof(op), "send.%s", cid);
    json_array_append_new(json_object_get(json_object_get(d->operations, op), "messages"),
                          ref(path, id));
}

static json_t *key_binding(const char *description)
{
    return json_pack("{s:{s:{s:s, s:s}, s:s}}", "kafka", "key", "type", "string", "description",
                     description, "bindingVersion", "0.5.0");
}

static void route_messages(struct doc *d, const struct source_rt *s)
{
    const struct conf_source *src = s->conf;
    size_t n;
    const struct conf_route *const *order = route_table_order(s->routes, &n);
    for (size_t i = 0; i != n; ++i) {
        const struct conf_route *r = order[i];
        char id[600];
        snprintf(id, sizeof(id), "%s.%s", src->name, r->pattern);
        sanitize(id);
        json_t *by_type = example_schemas(s, r), *types = json_array(), *schemas = json_array();
        const char *type;
        json_t *schema;
        json_object_foreach(by_type, type, schema)
        {
            json_array_append_new(types, json_string(type));
            json_array_append(schemas, schema);
        }
        json_t *body;
        if (json_array_size(schemas) == 1)
            body = json_incref(json_array_get(schemas, 0));
        else if (json_array_size(schemas) > 1)
            body = json_pack("{s:O}", "oneOf", schemas);
        else
            body = json_pack("{s:s, s:s}", "type", "object", "description",
                             "The provider's JSON body as received (no documented example of "
                             "this type to derive a schema from).");
        json_t *m = json_pack("{s:s, s:s, s:s}", "name", r->pattern, "title",
                              r->pattern, "summary", "");
        char summary[700];
        snprintf(summary, sizeof(summary), "Events of type %s from source %s (path %s).",
                 r->pattern, src->name, src->path);
        json_object_set_new(m, "summary", json_string(summary));
        if (src->format == CE_FORMAT_STRUCTURED) {
            json_object_set_new(m, "contentType", json_string("application/cloudevents+json"));
            json_object_set_new(
                m, "headers",
                json_pack("{s:s, s:{s:o, s:o}}", "type", "object", "properties", "content-type",
                          const_schema("application/cloudevents+json", "CloudEvents JSON."),
                          "traceparent", str_schema("W3C trace context, when well-formed.")));
            json_object_set_new(m, "payload", structured_payload(src, r, types, body));
            json_decref(body);
        } else {
            json_object_set_new(m, "contentType", json_string("application/json"));
            json_object_set_new(m, "headers", record_headers(src, r, types));
            json_object_set_new(m, "payload", body);
        }
        json_object_set_new(m, "bindings",
                            key_binding("The first of the source's event.key pointers holding "
                                        "a string, else the event id (ce_partitionkeyfrom says "
                                        "which). One key: one partition, in arrival order."));
        json_object_set_new(d->messages, id, m);
        for (size_t t = 0; t != r->ntopics; ++t)
            attach(d, r->topics[t], id, "Events routed here by the bridge's routes.");
        json_decref(by_type);
        json_decref(types);
        json_decref(schemas);
    }
}

static void dead_letter_message(struct doc *d, const struct source_rt *s)
{
    const struct conf_source *src = s->conf;
    if (src->dead_letter_topic == NULL)
        return;
    char id[600];
    snprintf(id, sizeof(id), "dead_letter.%s", src->name);
    sanitize(id);
    json_t *p = json_object();
    json_object_set_new(p, "ce_specversion", const_schema("1.0", "CloudEvents version."));
    json_object_set_new(p, "ce_id", str_schema("The event id, as a record would have had."));
    json_object_set_new(p, "ce_source", const_schema(src->ce_source, "CloudEvents source."));
    json_object_set_new(p, "ce_type", str_schema("The event type, when one was found."));
    json_t *t = str_schema("The event time (or the receive time), RFC 3339 UTC.");
    json_object_set_new(t, "format", json_string("date-time"));
    json_object_set_new(p, "ce_time", t);
    json_t *reason = str_schema("Why the webhook could not be routed.");
    json_object_set_new(reason, "enum",
                        json_pack("[s,s,s,s]", normalize_result_name(NORMALIZE_INVALID_JSON),
                                  normalize_result_name(NORMALIZE_NO_TYPE),
                                  normalize_result_name(NORMALIZE_BAD_ATTRIBUTE), "unrouted"));
    json_object_set_new(p, "dead_letter_reason", reason);
    json_object_set_new(p, "dead_letter_path", const_schema(src->path, "The request path."));
    json_object_set_new(p, "dead_letter_verified",
                        const_schema(envelope_scheme_name(src->verify.scheme),
                                     "The scheme that authenticated the request."));
    json_object_set_new(p, "content-type", str_schema("The request's content type."));
    for (size_t i = 0; i != src->nkeep_headers; ++i)
        json_object_set_new(p, src->keep_headers[i],
                            str_schema("A request header the source keeps (event.keep_headers)."));
    json_object_set_new(p, "traceparent", str_schema("W3C trace context, when well-formed."));
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:o, s:[s,s,s,s,s,s,s]}, s:{s:s}, s:o}", "name",
        "dead_letter", "title", "Dead letter", "summary",
        "An authenticated webhook that could not be routed; `webhook-bridge replay` decides it "
        "again.",
        "contentType", "application/octet-stream", "headers", "type", "object", "properties", p,
        "required", "ce_specversion", "ce_id", "ce_source", "ce_time", "dead_letter_reason",
        "dead_letter_path", "dead_letter_verified", "payload", "description",
        "The request body, byte for byte as received (it may not be JSON).", "bindings",
        key_binding("The event id."));
    json_object_set_new(d->messages, id, m);
    attach(d, src->dead_letter_topic, id,
           "Dead letters: CloudEvents with dead_letter_reason; replay with `webhook-bridge "
           "replay --from` this topic. Only the bridge may write here.");
}

int asyncapi_main(const char *path, FILE *out, FILE *errout)
{
    struct conf_error err;
    struct bridge_config *cfg = NULL;
    struct runtime *rt = NULL;
    if (conf_load(path, &cfg, &err) != 0 || (rt = runtime_create(cfg, 1, &err)) == NULL) {
        conf_free(cfg);
        fprintf(errout, "%s\n", err.msg);
        return 2;
    }
    struct doc d = {.channels = json_object(), .operations = json_object(),
                    .messages = json_object()};
    for (size_t i = 0; i != rt->nsources; ++i)
        route_messages(&d, &rt->sources[i]);
    for (size_t i = 0; i != rt->nsources; ++i)
        dead_letter_message(&d, &rt->sources[i]);
    char host[256];
    snprintf(host, sizeof(host), "%s", rt->cfg->kafka.brokers);
    char *comma = strchr(host, ',');
    if (comma != NULL)
        *comma = '\0';
    char desc[1024];
    snprintf(desc, sizeof(desc),
             "What webhook-bridge publishes with the configuration %s: CloudEvents 1.0 in the "
             "Kafka protocol binding, one record per topic a route names, at least once. "
             "Generated by `webhook-bridge --asyncapi`; do not edit. See docs/consumers.md.",
             rt->cfg->file);
    d.root = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:{s:{s:s, s:s, s:s}}, s:o, s:o, s:{s:o}}",
                       "asyncapi", "3.0.0", "info", "title", "webhook-bridge events", "version",
                       BRIDGE_VERSION, "description", desc, "defaultContentType",
                       "application/json", "servers", "kafka", "host", host, "protocol",
                       "kafka", "description",
                       strcmp(host, "embedded") == 0 ? "The embedded mock cluster (development)."
                                                     : "The bootstrap brokers.",
                       "channels", d.channels, "operations", d.operations, "components",
                       "messages", d.messages);
    int status = 0;
    if (d.root == NULL || json_dumpf(d.root, out, JSON_INDENT(2)) != 0) {
        fprintf(errout, "asyncapi: cannot write the document\n");
        status = 1;
    }
    fputc('\n', out);
    json_decref(d.root);
    runtime_release(rt);
    return status;
}
