/*
 * The resolved configuration: what conf_load() makes of the YAML file after environment
 * expansion, defaults and validation. Plain data, immutable once loaded, owned by the
 * struct bridge_config that conf_load() returns and freed as a whole by conf_free().
 *
 * Every value that came from the file remembers where (struct conf_pos), so that later
 * checks made by other layers (the Kafka layer checking librdkafka properties, the route
 * table) can still report FILE:LINE:COL.
 */
#ifndef BRIDGE_CONF_CONFIG_H
#define BRIDGE_CONF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where a node stands in the file; line and col count from 1, 0 means "not from the file"
 * (a default). file names the file when the config was read from a directory of files (it
 * points into the config's own list, bridge_config.files); NULL means the config's file. */
struct conf_pos {
    unsigned line;
    unsigned col;
    const char *file;
};

/* An error for the user: a complete message, already prefixed with FILE:LINE:COL: and the key
 * path where one applies, e.g.
 *   config/bridge.yaml:12:15: sources.mono.verify.scheme: unknown value "hmca" (expected ...)
 * A config that fails to load reports every error it found, one per line, in file order. */
struct conf_error {
    char msg[8192];
};

/* Formats e->msg as "FILE:LINE:COL: KEY: <fmt...>" (KEY may be NULL; pos may be NULL or zero,
 * then only "FILE: "; pos->file, when set, is the FILE). Returns -1 so callers can write
 * `return conf_errorf(...)`. */
int conf_errorf(struct conf_error *e, const char *file, const struct conf_pos *pos, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

struct bridge_config;

/* Adds "FILE:LINE:COL: KEY: warning: <fmt...>" to cfg->warnings: a finding that does not stop
 * the file from loading (any layer's check may add one before the config is in use). */
void conf_warnf(struct bridge_config *cfg, const struct conf_pos *pos, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct conf_source;
struct conf_route;

/* conf_warnf() for route r of source src, keyed sources.NAME.routes.PATTERN (quoted as a
 * loader message quotes it), at the route's position. */
void conf_warn_route(struct bridge_config *cfg, const struct conf_source *src,
                     const struct conf_route *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Puts cfg->warnings in file order (stable): call after every layer has added its own. */
void conf_sort_warnings(struct bridge_config *cfg);

enum verify_scheme {
    VERIFY_SCHEME_NONE,              /* only with insecure: true */
    VERIFY_SCHEME_SHARED_SECRET,     /* header equals a secret (Mono, Flutterwave v3) */
    VERIFY_SCHEME_HMAC,              /* HMAC of the raw body in a header (GitHub, Paystack, Shopify) */
    VERIFY_SCHEME_STRIPE,            /* Stripe-Signature: t=..,v1=.. over "t.body" */
    VERIFY_SCHEME_STANDARD_WEBHOOKS, /* webhook-id/-timestamp/-signature (also svix-*) */
    VERIFY_SCHEME_SLACK,             /* X-Slack-Signature v0= over "v0:ts:body" */
};

enum hmac_algorithm { HMAC_SHA1, HMAC_SHA256, HMAC_SHA512 };
enum sig_encoding { SIG_HEX, SIG_BASE64 };

/* One version of a file: a rename over it or Kubernetes' swap of a mounted volume's ..data
 * symlink gives another inode, an edit in place another size or mtime. All zero when the file
 * could not be looked at. */
struct conf_file_stamp {
    unsigned long long dev, ino;
    long long size, mtime_s, mtime_ns;
};

/* The stamp of the file at path now (symlinks followed). Any thread. */
struct conf_file_stamp conf_file_stamp(const char *path);
bool conf_file_stamp_eq(const struct conf_file_stamp *a, const struct conf_file_stamp *b);

/* A secret's bytes. value is NUL-terminated for convenience but may be compared as (value, len).
 * Never logged, never printed: conf_print() masks it. */
struct conf_secret {
    char *value;
    size_t len;
    char *file;          /* the secret_file it was read from, or NULL when inline/env */
    struct conf_file_stamp stamp; /* the file's version, taken before it was read */
    struct conf_pos pos; /* where it was declared */
};

/* Secrets shorter than CONF_SECRET_MIN bytes are refused (unless insecure: true), shorter than
 * CONF_SECRET_GOOD warned about. */
#define CONF_SECRET_MIN 8
#define CONF_SECRET_GOOD 16

/* At most this many event.keep_headers per source. */
#define CONF_MAX_KEEP_HEADERS 8

struct conf_verify {
    enum verify_scheme scheme;
    char *header;                  /* lowercase header name (shared-secret, hmac); scheme default */
    enum hmac_algorithm algorithm; /* hmac: default sha256 */
    enum sig_encoding encoding;    /* hmac: default hex */
    char *prefix;                  /* hmac: value prefix such as "sha256=", default "" */
    struct conf_secret *secrets;   /* from `secrets:` then `secret_files:`; any one verifies */
    size_t nsecrets;
    unsigned tolerance_s;          /* stripe, standard-webhooks, slack: default 300 */
    bool insecure;                 /* required for scheme none */
    struct conf_pos pos;           /* of the verify: node */
};

/* Where an event attribute (type, id, time) is read from: a JSON pointer into the body
 * ("/event", must start with '/') or, when the configured text does not start with '/', a
 * request header name (stored lowercase). */
enum conf_field_from { FIELD_ABSENT, FIELD_POINTER, FIELD_HEADER };
struct conf_field {
    enum conf_field_from from;
    char *value;
    struct conf_pos pos;
};

/* One line of a source's routes: an event-type pattern ("a.b.c", "a.b.*", "*") and the topics
 * one matching webhook is published to (fan-out when more than one). */
struct conf_route {
    char *pattern;
    char **topics;
    size_t ntopics;
    struct conf_pos pos;
};

/* An IPv4 or IPv6 network, for allow_from and trusted_proxies. IPv4 is stored as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) with prefix + 96. */
struct conf_cidr {
    uint8_t addr[16];
    unsigned prefix; /* 0..128 */
    char *text;      /* as written */
};

enum ack_mode { ACK_BROKER, ACK_ENQUEUE };
/* How event.time is read: auto (a JSON number is Unix seconds, text is RFC 3339), rfc3339,
 * unix (seconds, a number or digits in a string), unix_ms (milliseconds). */
enum time_format { TIME_FORMAT_AUTO, TIME_FORMAT_RFC3339, TIME_FORMAT_UNIX, TIME_FORMAT_UNIX_MS };
enum ce_format { CE_FORMAT_BINARY, CE_FORMAT_STRUCTURED };

struct conf_source {
    char *name; /* the key under sources: */
    struct conf_pos pos;
    char *path; /* exact request path, starts with '/' */
    struct conf_verify verify;
    struct conf_field type; /* default: pointer /event (Mono) */
    struct conf_field id;   /* default: pointer /event_id */
    struct conf_field time; /* default: pointer /timestamp */
    enum time_format time_format; /* default auto */
    char **key;             /* JSON pointers tried in order for the Kafka key */
    size_t nkey;
    char **keep_headers;    /* lowercase request headers a dead letter keeps for a replay;
                               never an authentication or signature header (refused at load) */
    size_t nkeep_headers;
    char *ce_source;        /* CloudEvents source attribute; default "/webhook-bridge/<name>" */
    int success_status;     /* default 200 */
    enum ack_mode ack;      /* default broker */
    unsigned ack_timeout_ms;         /* default 5000 */
    enum ce_format format;           /* default binary */
    unsigned rate_limit;             /* accepted webhooks per second, 0 = unlimited (default) */
    unsigned rate_burst;             /* bucket size; 0 = rate_limit */
    char *dead_letter_topic;         /* default: the top-level one; NULL = none (answer 400) */
    struct conf_cidr *allow_from;    /* empty = any address */
    size_t nallow_from;
    struct conf_route *routes;
    size_t nroutes;
};

/* A librdkafka property passed through as-is under kafka.librdkafka. */
/* The most a JSON pointer of the config may hold: tokens, and bytes of all its tokens once
 * unescaped. The scanner's compiled pointer (pipeline/jscan.h) has room for exactly this. */
#define CONF_POINTER_MAX_TOKENS 16
#define CONF_POINTER_MAX_LEN 255

struct conf_kv {
    char *key;
    char *value;
    struct conf_pos pos;
};

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

struct bridge_config {
    char *file; /* path it was loaded from */
    /* hex SHA-256 of the file's bytes as read (a directory's: its files' one after the other,
     * in name order), before ${VAR} expansion: names which file a
     * process runs (webhook_bridge_config_info) without revealing a secret, since the file
     * names secrets by variable or path and holds no expanded value */
    char sha256[65];

    char *listen;         /* "host:port", default "0.0.0.0:8080" */
    char *admin_listen;   /* default "0.0.0.0:9090" */
    unsigned threads;     /* 0 = one event loop per CPU */
    size_t max_body_bytes;        /* default 1 MiB */
    unsigned max_inflight;        /* requests waiting on Kafka at once, all loops; default 10000 */
    unsigned max_connections;     /* default 10000 */
    unsigned max_connections_per_address; /* ingest, one client address; 0 = no limit; default 256 */
    unsigned admin_max_connections;       /* default 64 */
    unsigned idle_timeout_ms;     /* keep-alive idle / request read timeout, default 30000 */
    bool http2;                   /* HTTP/2 on the ingest listener; default false */
    bool admin_http2;             /* HTTP/2 on the admin listener; default false */
    unsigned http2_max_requests;  /* requests of one HTTP/2 connection in process; default 16 */
    unsigned log_rate_limit;      /* refused-request log lines per second; 0 = all; default 20 */
    unsigned drain_delay_ms;      /* SIGTERM: readiness false, then listeners close after this; default 5000 */
    unsigned shutdown_timeout_ms; /* SIGTERM: bound on finishing in-flight work and flushing; default 20000 */
    enum log_level log_level;     /* default info */
    bool log_requests;            /* log every accepted request at info; default false */
    char *tls_cert_file;          /* optional; both or neither */
    char *tls_key_file;
    unsigned tls_handshake_timeout_ms; /* default 5000 */

    struct {
        char *brokers;            /* "host:port,..." or "embedded" */
        unsigned embedded_brokers; /* brokers of the embedded mock cluster, default 1 */
        unsigned producers;        /* idempotent producers sharing the partitions; 0 = auto */
        struct conf_kv *props;    /* kafka.librdkafka, in file order */
        size_t nprops;
        struct conf_pos brokers_pos;
        bool create_topics;         /* create missing routed topics at start; default false */
        unsigned topic_partitions;  /* default 3 */
        unsigned topic_replication; /* default 3 (1 for embedded) */
    } kafka;

    char *dead_letter_topic; /* NULL = none */

    struct conf_cidr *trusted_proxies; /* X-Forwarded-For is believed only from these */
    size_t ntrusted_proxies;

    struct conf_source *sources;
    size_t nsources;

    /* Every topic the config writes to (each route's topics, each source's dead-letter topic),
     * each once, in file order: the one list topic creation, the embedded cluster and the
     * producer's warm-up walk. Built by conf_collect_topics(); the names are borrowed from the
     * routes and sources, the array is owned. */
    const char **topics;
    size_t ntopics;

    /* Findings that do not stop the file from loading, each a complete message
     * ("FILE:LINE:COL: key: ..."), in file order. Logged at start and reload, printed by
     * --check-config. */
    char **warnings;
    struct conf_pos *warning_pos; /* parallel to warnings, for conf_sort_warnings() */
    size_t nwarnings;

    /* The files the config was read from, in load order: the one file, or each *.yaml of a
     * config directory in name order. Positions (struct conf_pos.file) point at these. */
    char **files;
    size_t nfiles;
};

/* Loads, expands ${VAR} / ${VAR:-default}, applies defaults and validates PATH (a file, or a
 * directory: conf_load_opts()). On success stores a new config in *out (free with conf_free)
 * and returns 0; on failure fills err with every error found, one "FILE:LINE:COL: key:
 * message" per line, in file order, and returns -1. Any thread; reads the environment. */
int conf_load(const char *path, struct bridge_config **out, struct conf_error *err);

/* How conf_load_opts() reads a config. */
struct conf_options {
    /* An unset ${VAR} with no default becomes the text "placeholder-var" (the name in lower
     * case, '_' as '-') and a warning instead of an error; a secret that is one ${VAR} becomes
     * a fixed placeholder secret every scheme accepts (Standard Webhooks' whsec_ base64
     * included). --check-config --placeholders checks a file in CI, where its secrets are not
     * set. Never for a config that is served. */
    bool placeholders;
};

/* conf_load() with options (NULL: none). PATH may also be a directory: each *.yaml file in
 * it, in name order, merged into one config (top-level keys set in one file each, sources
 * merged by name; positions name each value's own file). */
int conf_load_opts(const char *path, const struct conf_options *opt, struct bridge_config **out,
                   struct conf_error *err);

/* A fingerprint of what conf_load(path) reads: the file's identity, size and modification
 * time, or those of each *.yaml of a directory with its name. It changes when a file is
 * edited or replaced, and when one is added to or removed from the directory; 0 when nothing
 * can be read. Any thread. */
uint64_t conf_stamp(const char *path);

/* Same, from a string already in memory; `name` is used as FILE in messages. */
int conf_load_string(const char *name, const char *text, size_t len, struct bridge_config **out,
                     struct conf_error *err);

/* Frees a config from conf_load(); NULL is fine. */
void conf_free(struct bridge_config *cfg);

/* Writes the resolved configuration as --check-config shows it: settings, sources with their
 * verification (secrets masked as "********") and each source's routing table in match
 * order. */
void conf_print(const struct bridge_config *cfg, FILE *out);

/* Writes the reference documentation of every key (from the schema table) as Markdown. */
void conf_print_reference(FILE *out);

/* The match order of n routes: exact patterns first, then globs by descending literal prefix
 * (the text before the first '*'), then the catch-alls (patterns made only of '*'); ties keep
 * file order. Fills order[0..n) with pointers into routes. The one rule: the router matches in
 * this order and --check-config prints it. Any thread. */
void conf_route_order(const struct conf_route *routes, size_t n, const struct conf_route **order);

/* (Re)builds cfg->topics from the sources; the loader calls it, so does code that assembles a
 * config by hand. Returns 0, or -1 out of memory (cfg->topics is then empty). */
int conf_collect_topics(struct bridge_config *cfg);

/* Calls on_changed(key, arg) for each setting that only a restart applies (flagged in the
 * schema table) whose value differs between old and cur, in table order; returns how many.
 * Secret values are compared, never passed on. Any thread. */
size_t conf_restart_changes(const struct bridge_config *old, const struct bridge_config *cur,
                            void (*on_changed)(const char *key, void *arg), void *arg);

/* Finds a source by exact request path; NULL if none. */
const struct conf_source *conf_find_source(const struct bridge_config *cfg, const char *path,
                                           size_t len);

#endif
