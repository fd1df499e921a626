/*
 * The configuration schema: one table row per key, driving validation and defaults (load.c),
 * --check-config output and the reference document (print.c). Internal to conf/.
 */
#ifndef BRIDGE_CONF_SCHEMA_H
#define BRIDGE_CONF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

enum conf_type {
    CONF_T_SECTION,      /* a mapping whose keys are rows of their own */
    CONF_T_SOURCES,      /* mapping: source name -> "sources.*" section */
    CONF_T_STRING,       /* char * */
    CONF_T_PATH,         /* char *, a request path */
    CONF_T_ADDRESS,      /* char *, host:port */
    CONF_T_BROKERS,      /* char *, "embedded" or host:port,... (a string or a list) */
    CONF_T_UINT,         /* unsigned */
    CONF_T_INT,          /* int */
    CONF_T_SIZE,         /* size_t, with optional KiB/MiB/GiB suffix */
    CONF_T_BOOL,         /* bool */
    CONF_T_ENUM,         /* an enum (int-sized), names in `values` */
    CONF_T_TOPIC,        /* char *, a Kafka topic name */
    CONF_T_HEADER,       /* char *, an HTTP header name, stored lowercase */
    CONF_T_FIELD,        /* struct conf_field: JSON pointer or header name */
    CONF_T_POINTERS,     /* char **, size_t: list of JSON pointers */
    CONF_T_HEADERS,      /* char **, size_t: list of header names, stored lowercase */
    CONF_T_CIDRS,        /* struct conf_cidr *, size_t */
    CONF_T_SECRETS,      /* struct conf_secret *, size_t: appends inline secrets */
    CONF_T_SECRET_FILES, /* struct conf_secret *, size_t: appends secrets read from files */
    CONF_T_PROPS,        /* struct conf_kv *, size_t: string -> scalar, file order */
    CONF_T_ROUTES,       /* struct conf_route *, size_t */
};

#define CONF_F_REQUIRED 0x01u  /* missing key is an error */
#define CONF_F_SECRET 0x02u    /* value never shown, in messages or output */
#define CONF_F_NULLABLE 0x04u  /* null (or "" for strings) means "none": NULL / FIELD_ABSENT */
#define CONF_F_EMPTY_OK 0x08u  /* a string may be "" */
#define CONF_F_HMAC_ONLY 0x10u /* only with verify.scheme hmac */
#define CONF_F_QUIET 0x20u     /* conf_print shows it as part of another line */
#define CONF_F_RESTART 0x40u   /* a reload does not apply it: conf_restart_changes() names it */

struct conf_enum_value {
    const char *name;
    int value;
};

struct conf_schema {
    const char *path; /* "kafka.brokers"; "sources.*.verify.scheme" inside a source */
    enum conf_type type;
    unsigned flags;      /* CONF_F_* */
    size_t offset;       /* into struct bridge_config, or struct conf_source under "sources.*." */
    size_t count_offset; /* list types: the size_t element count */
    const char *def;     /* default, written as in the file; NULL = none (or computed) */
    const char *def_doc; /* the default as documented when it is computed; NULL = def */
    long long min, max;  /* integer bounds */
    const struct conf_enum_value *values; /* CONF_T_ENUM, NULL name ends the list */
    const char *zero_note;                /* CONF_T_UINT: what 0 means, shown by conf_print */
    const char *doc;
};

extern const struct conf_schema conf_schema[];
extern const size_t conf_schema_len;

extern const struct conf_enum_value conf_scheme_values[], conf_algorithm_values[],
    conf_encoding_values[], conf_ack_values[], conf_format_values[], conf_log_level_values[],
    conf_time_format_values[];

/* The row for key (klen bytes) directly under parent ("" for the top level, "sources.*" inside
 * a source); NULL for an unknown key. */
const struct conf_schema *conf_schema_child(const char *parent, const char *key, size_t klen);

/* True when row s sits directly under parent. */
bool conf_schema_is_child(const struct conf_schema *s, const char *parent);

/* The last component of s->path ("scheme" for "sources.*.verify.scheme"). */
const char *conf_schema_key(const struct conf_schema *s);

/* The name of enum value v in values, or "?" */
const char *conf_enum_name(const struct conf_enum_value *values, int v);

/* True when s's values live in struct conf_source rather than struct bridge_config. */
bool conf_schema_in_source(const struct conf_schema *s);

#endif
