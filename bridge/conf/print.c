/*
 * Output: conf_print() for --check-config and conf_print_reference() for config/reference.md.
 *
 * Top-level settings are printed by walking the schema table, so a new key shows up in
 * --check-config without touching this file; a source is printed as a compact block (one
 * line for verification, one for event attributes, the routing table in match order) because
 * one line per key would bury the routing table an operator came to read.
 * Secrets never reach the output: verify secrets print as ********, and so do librdkafka
 * properties whose names say they are secret.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"
#include "conf/schema.h"

#define MASK "********"

static const char *or_none(const char *s)
{
    return s != NULL ? s : "none";
}

static void print_size(FILE *out, size_t v)
{
    fprintf(out, "%zu", v);
    if (v != 0 && v % (1024 * 1024) == 0)
        fprintf(out, " (%zu MiB)", v / (1024 * 1024));
    else if (v != 0 && v % 1024 == 0)
        fprintf(out, " (%zu KiB)", v / 1024);
}

static void print_cidrs(FILE *out, const struct conf_cidr *c, size_t n, const char *empty)
{
    if (n == 0)
        fputs(empty, out);
    for (size_t i = 0; i != n; ++i)
        fprintf(out, "%s%s", i == 0 ? "" : ", ", c[i].text);
}

/* One top-level row: "path: value". */
static void print_row(const struct conf_schema *s, const struct bridge_config *cfg, FILE *out)
{
    const char *field = (const char *)cfg + s->offset;
    const size_t *count = (const size_t *)((const char *)cfg + s->count_offset);

    if (s->type == CONF_T_PROPS) {
        const struct conf_kv *kv = *(struct conf_kv *const *)field;
        for (size_t i = 0; i != *count; ++i)
            fprintf(out, "%s.%s: %s\n", s->path, kv[i].key,
                    conf_prop_is_secret(kv[i].key) ? MASK : kv[i].value);
        return;
    }
    fprintf(out, "%s: ", s->path);
    switch (s->type) {
    case CONF_T_UINT: {
        unsigned v = *(const unsigned *)field;
        fprintf(out, "%u", v);
        if (v == 0 && s->zero_note != NULL)
            fprintf(out, " (%s)", s->zero_note);
        break;
    }
    case CONF_T_INT:
        fprintf(out, "%d", *(const int *)field);
        break;
    case CONF_T_SIZE:
        print_size(out, *(const size_t *)field);
        break;
    case CONF_T_BOOL:
        fputs(*(const bool *)field ? "true" : "false", out);
        break;
    case CONF_T_ENUM:
        fputs(conf_enum_name(s->values, *(const int *)field), out);
        break;
    case CONF_T_BROKERS:
        fputs(cfg->kafka.brokers, out);
        if (strcmp(cfg->kafka.brokers, "embedded") == 0)
            fprintf(out, " (%u broker%s)", cfg->kafka.embedded_brokers,
                    cfg->kafka.embedded_brokers == 1 ? "" : "s");
        break;
    case CONF_T_CIDRS:
        print_cidrs(out, *(struct conf_cidr *const *)field, *count, "none");
        break;
    default:
        fputs(s->flags & CONF_F_SECRET ? MASK : or_none(*(char *const *)field), out);
        break;
    }
    fputc('\n', out);
}

static void print_field(FILE *out, const char *name, const struct conf_field *f)
{
    if (f->from == FIELD_ABSENT)
        fprintf(out, " %s=none", name);
    else
        fprintf(out, " %s=%s%s", name, f->from == FIELD_HEADER ? "header:" : "", f->value);
}

static void print_verify(FILE *out, const struct conf_verify *v)
{
    fprintf(out, "  verify: %s", conf_enum_name(conf_scheme_values, (int)v->scheme));
    if (v->scheme == VERIFY_SCHEME_NONE) {
        fputs(" (insecure: requests are not authenticated)\n", out);
        return;
    }
    if (v->header != NULL)
        fprintf(out, " header=%s", v->header);
    switch (v->scheme) {
    case VERIFY_SCHEME_HMAC:
        fprintf(out, " algorithm=%s encoding=%s",
                conf_enum_name(conf_algorithm_values, (int)v->algorithm),
                conf_enum_name(conf_encoding_values, (int)v->encoding));
        if (v->prefix != NULL && v->prefix[0] != '\0')
            fprintf(out, " prefix=\"%s\"", v->prefix);
        break;
    case VERIFY_SCHEME_STRIPE:
    case VERIFY_SCHEME_STANDARD_WEBHOOKS:
    case VERIFY_SCHEME_SLACK:
        fprintf(out, " tolerance=%us", v->tolerance_s);
        break;
    default:
        break;
    }
    fprintf(out, " secrets=%zu (", v->nsecrets);
    for (size_t i = 0; i != v->nsecrets; ++i) {
        fprintf(out, "%s" MASK, i == 0 ? "" : ", ");
        if (v->secrets[i].file != NULL)
            fprintf(out, " from %s", v->secrets[i].file);
    }
    fputs(")\n", out);
}

static void print_routes(FILE *out, const struct conf_source *src)
{
    const struct conf_route **order = malloc((src->nroutes + 1) * sizeof(*order));
    if (order == NULL)
        return;
    conf_route_order(src->routes, src->nroutes, order);
    fputs("  routes (match order):\n", out);
    for (size_t i = 0; i != src->nroutes; ++i) {
        const struct conf_route *r = order[i];
        fprintf(out, "    %s ->", r->pattern);
        for (size_t j = 0; j != r->ntopics; ++j)
            fprintf(out, "%s %s", j == 0 ? "" : ",", r->topics[j]);
        fputc('\n', out);
    }
    free(order);
}

static void print_source(FILE *out, const struct conf_source *src)
{
    fprintf(out, "source %s\n", src->name);
    fprintf(out, "  path: %s\n", src->path);
    print_verify(out, &src->verify);
    fputs("  event:", out);
    print_field(out, "type", &src->type);
    print_field(out, "id", &src->id);
    print_field(out, "time", &src->time);
    if (src->time.from != FIELD_ABSENT && src->time_format != TIME_FORMAT_AUTO)
        fprintf(out, " time_format=%s",
                conf_enum_name(conf_time_format_values, (int)src->time_format));
    fputs(" key=[", out);
    for (size_t i = 0; i != src->nkey; ++i)
        fprintf(out, "%s%s", i == 0 ? "" : ", ", src->key[i]);
    fputs("]\n", out);
    if (src->nkeep_headers != 0) {
        fputs("  dead letters keep:", out);
        for (size_t i = 0; i != src->nkeep_headers; ++i)
            fprintf(out, "%s %s", i == 0 ? "" : ",", src->keep_headers[i]);
        fputc('\n', out);
    }
    fprintf(out, "  ce_source: %s\n", src->ce_source);
    fputs("  allow_from: ", out);
    print_cidrs(out, src->allow_from, src->nallow_from, "any");
    fputc('\n', out);
    fprintf(out, "  dead_letter_topic: %s\n", or_none(src->dead_letter_topic));
    fprintf(out, "  ack: %s, timeout %u ms, success %d, format %s\n",
            conf_enum_name(conf_ack_values, (int)src->ack), src->ack_timeout_ms,
            src->success_status, conf_enum_name(conf_format_values, (int)src->format));
    if (src->rate_limit != 0)
        fprintf(out, "  rate_limit: %u/s, burst %u\n", src->rate_limit,
                src->rate_burst != 0 ? src->rate_burst : src->rate_limit);
    print_routes(out, src);
}

void conf_print(const struct bridge_config *cfg, FILE *out)
{
    if (cfg == NULL || out == NULL)
        return;
    fprintf(out, "config: %s\n", cfg->file);
    for (size_t i = 0; i != conf_schema_len; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        if (conf_schema_in_source(s) || s->type == CONF_T_SECTION || s->type == CONF_T_SOURCES ||
            (s->flags & CONF_F_QUIET))
            continue;
        print_row(s, cfg, out);
    }
    for (size_t i = 0; i != cfg->nsources; ++i)
        print_source(out, &cfg->sources[i]);
}

static const char *type_doc(const struct conf_schema *s)
{
    switch (s->type) {
    case CONF_T_SECTION:
        return "mapping";
    case CONF_T_SOURCES:
        return "mapping of source name to source";
    case CONF_T_STRING:
        return "string";
    case CONF_T_PATH:
        return "path";
    case CONF_T_ADDRESS:
        return "address (`host:port`)";
    case CONF_T_BROKERS:
        return "broker list";
    case CONF_T_UINT:
    case CONF_T_INT:
        return "integer";
    case CONF_T_SIZE:
        return "size in bytes";
    case CONF_T_BOOL:
        return "boolean (`true` or `false`)";
    case CONF_T_ENUM:
        return "one of";
    case CONF_T_TOPIC:
        return "topic name";
    case CONF_T_HEADER:
        return "header name";
    case CONF_T_FIELD:
        return "JSON pointer or header name";
    case CONF_T_POINTERS:
        return "list of JSON pointers";
    case CONF_T_HEADERS:
        return "list of header names";
    case CONF_T_CIDRS:
        return "list of networks";
    case CONF_T_SECRETS:
        return "list of strings";
    case CONF_T_SECRET_FILES:
        return "list of file paths";
    case CONF_T_PROPS:
        return "mapping of property name to value";
    case CONF_T_ROUTES:
        return "mapping of event type pattern to topic or list of topics";
    }
    return "value";
}

/* "sources.*.verify.scheme" -> "sources.<name>.verify.scheme" */
static void print_path(FILE *out, const char *path)
{
    for (const char *p = path; *p != '\0'; ++p) {
        if (*p == '*')
            fputs("<name>", out);
        else
            fputc(*p, out);
    }
}

void conf_print_reference(FILE *out)
{
    if (out == NULL)
        return;
    fputs("# Configuration reference\n\n"
          "<!-- Generated from the schema table in bridge/conf/schema.c by "
          "conf_print_reference(); do not edit.\n"
          "     Regenerate: BRIDGE_UPDATE_REFERENCE=1 BRIDGE_SOURCE_DIR=. "
          "build/tests/test_conf_print -->\n\n"
          "webhook-bridge reads one YAML file (`--config PATH`), or a directory of them "
          "(`--config DIR`: every `*.yaml` in it, in name order, merged; each top-level key is "
          "set in one file, `sources` are merged by name and each source is defined in one "
          "file; a key in two files is an error naming both). In any value, `${VAR}` is "
          "replaced by the environment variable VAR (an error if it is not set), "
          "`${VAR:-default}` by VAR or, when VAR is unset or empty, by the default, and `$$` by "
          "a literal `$`. Unknown keys, duplicate keys, values of the wrong type and values "
          "out of range are errors reported as `FILE:LINE:COL: key.path: message`, every one "
          "of a file at once, in file order. YAML anchors (`&name`) and aliases (`*name`) are "
          "refused: write each value out. A plain value cannot start with `*` (YAML reads it "
          "as an alias), so quote a route pattern that does: `\"*.created\": topic`. "
          "`webhook-bridge --check-config --config FILE` checks a file and prints the result, "
          "secrets masked, and its warnings (a route that can never match, a topic named like "
          "Kafka's internal ones, a secret with leading or trailing whitespace, a broker "
          "written with a scheme, a topic two sources write to); with `--placeholders` an unset "
          "`${VAR}` is checked as a placeholder instead of an error.\n",
          out);
    for (size_t i = 0; i != conf_schema_len; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        const char *dot = strchr(s->path, '.');
        fputs(dot == NULL ? "\n## `" : "\n### `", out);
        print_path(out, s->path);
        fputs("`\n\n", out);
        fprintf(out, "- Type: %s", type_doc(s));
        if (s->type == CONF_T_ENUM)
            for (const struct conf_enum_value *v = s->values; v->name != NULL; ++v)
                fprintf(out, "%s`%s`", v == s->values ? " " : ", ", v->name);
        fputc('\n', out);
        if (s->type == CONF_T_UINT || s->type == CONF_T_INT || s->type == CONF_T_SIZE)
            fprintf(out, "- Range: %lld..%lld\n", s->min, s->max);
        if (s->flags & CONF_F_REQUIRED)
            fputs("- Required\n", out);
        else if (s->def_doc != NULL)
            fprintf(out, "- Default: %s\n", s->def_doc);
        else if (s->def != NULL)
            fprintf(out, "- Default: `%s`\n", s->def);
        if (s->flags & CONF_F_NULLABLE)
            fputs("- May be null (none)\n", out);
        if (s->flags & CONF_F_RESTART)
            fputs("- Applied at start only: a reload that changes it logs that a restart is "
                  "needed\n", out);
        if (s->flags & CONF_F_SECRET)
            fputs("- Secret: never printed or logged\n", out);
        fprintf(out, "\n%s\n", s->doc);
    }
}
