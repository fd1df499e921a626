/*
 * The schema table. Every key the file may hold is one row: where the value is stored, its
 * type, default, bounds or allowed names, whether it is secret, and its documentation. The
 * loader, the --check-config printer and the reference generator all walk this one table, so
 * a key cannot be accepted without being documented, or documented with a stale default
 * (librdkafka's property table and Fluent Bit's config_map work the same way).
 *
 * Rejected alternative: a hand-written loader per section. It is shorter at first, but every
 * key then lives in three places (parser, printer, docs) that drift apart.
 */
#include "conf/schema.h"

#include <string.h>

_Static_assert(sizeof(enum verify_scheme) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum hmac_algorithm) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum sig_encoding) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum ack_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum ce_format) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum time_format) == sizeof(int), "enums are stored as int");

const struct conf_enum_value conf_scheme_values[] = {
    {"shared-secret", VERIFY_SCHEME_SHARED_SECRET},
    {"hmac", VERIFY_SCHEME_HMAC},
    {"stripe", VERIFY_SCHEME_STRIPE},
    {"standard-webhooks", VERIFY_SCHEME_STANDARD_WEBHOOKS},
    {"slack", VERIFY_SCHEME_SLACK},
    {"none", VERIFY_SCHEME_NONE},
    {NULL, 0},
};
const struct conf_enum_value conf_algorithm_values[] = {
    {"sha1", HMAC_SHA1}, {"sha256", HMAC_SHA256}, {"sha512", HMAC_SHA512}, {NULL, 0}};
const struct conf_enum_value conf_encoding_values[] = {
    {"hex", SIG_HEX}, {"base64", SIG_BASE64}, {NULL, 0}};
const struct conf_enum_value conf_ack_values[] = {
    {"broker", ACK_BROKER}, {"enqueue", ACK_ENQUEUE}, {NULL, 0}};
const struct conf_enum_value conf_format_values[] = {
    {"binary", CE_FORMAT_BINARY}, {"structured", CE_FORMAT_STRUCTURED}, {NULL, 0}};
const struct conf_enum_value conf_time_format_values[] = {{"auto", TIME_FORMAT_AUTO},
                                                          {"rfc3339", TIME_FORMAT_RFC3339},
                                                          {"unix", TIME_FORMAT_UNIX},
                                                          {"unix_ms", TIME_FORMAT_UNIX_MS},
                                                          {NULL, 0}};
const struct conf_enum_value conf_log_level_values[] = {{"debug", LOG_LEVEL_DEBUG},
                                                        {"info", LOG_LEVEL_INFO},
                                                        {"warn", LOG_LEVEL_WARN},
                                                        {"error", LOG_LEVEL_ERROR},
                                                        {NULL, 0}};

#define ROOT(m) offsetof(struct bridge_config, m)
#define SRC(m) offsetof(struct conf_source, m)
#define MiB (1024LL * 1024)

/* Rows are in documentation order; a section's row comes before its keys. */
const struct conf_schema conf_schema[] = {
    {.path = "listen",
     .type = CONF_T_ADDRESS,
     .flags = CONF_F_RESTART,
     .offset = ROOT(listen),
     .def = "0.0.0.0:8080",
     .doc = "Address of the webhook listener, `host:port`. The host is an IPv4 literal, an IPv6 "
            "literal in brackets (`[::]:8080`), `localhost` or a host name."},
    {.path = "admin_listen",
     .type = CONF_T_ADDRESS,
     .flags = CONF_F_RESTART,
     .offset = ROOT(admin_listen),
     .def = "0.0.0.0:9090",
     .doc = "Address of the admin listener serving `/healthz`, `/readyz` and `/metrics`."},
    {.path = "threads",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(threads),
     .def = "0",
     .min = 0,
     .max = 256,
     .zero_note = "one per CPU",
     .doc = "Number of event-loop threads; 0 starts one per CPU."},
    {.path = "max_body_bytes",
     .type = CONF_T_SIZE,
     .flags = CONF_F_RESTART,
     .offset = ROOT(max_body_bytes),
     .def = "1048576",
     .min = 1,
     .max = 64 * MiB,
     .doc = "Largest accepted request body; a larger one is answered 413 `body_too_large`, "
            "counted and logged. One whose `Content-Length` exceeds it by more than 64 KiB is "
            "refused by h2o before it is read (413 `text/plain`, connection closed, not "
            "counted). A plain number of bytes, or with a suffix `KiB`, `MiB`. Kafka limits "
            "records too: a record over a topic's `max.message.bytes` (broker default 1048588) "
            "is answered 413 `record_too_large` (never 503, which would make the provider retry "
            "for days); raise that topic setting above `max_body_bytes` + 16384 to take the "
            "largest bodies (topics the bridge creates with `kafka.create_topics` get exactly "
            "that)."},
    {.path = "max_inflight",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(max_inflight),
     .def = "10000",
     .min = 1,
     .max = 1000000,
     .doc = "Requests waiting on Kafka at once, over all event loops; more are answered 503."},
    {.path = "max_connections",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(max_connections),
     .def = "10000",
     .min = 1,
     .max = 1000000,
     .doc = "Open client connections at once."},
    {.path = "max_connections_per_address",
     .type = CONF_T_UINT,
     .offset = ROOT(max_connections_per_address),
     .def = "256",
     .min = 0,
     .max = 1000000,
     .zero_note = "no limit",
     .doc = "Open webhook connections from one client address; more are closed at once, so one "
            "address cannot take all of `max_connections`. A peer in `trusted_proxies` (an "
            "ingress, a load balancer that does not keep client addresses) is exempt. 0: no "
            "limit."},
    {.path = "admin_max_connections",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(admin_max_connections),
     .def = "64",
     .min = 1,
     .max = 100000,
     .doc = "Open connections to the admin listener at once (probes and scrapes need a few)."},
    {.path = "idle_timeout_ms",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(idle_timeout_ms),
     .def = "30000",
     .min = 1,
     .max = 3600000,
     .doc = "Keep-alive idle timeout and request read timeout, in milliseconds."},
    {.path = "http2",
     .type = CONF_T_BOOL,
     .flags = CONF_F_RESTART,
     .offset = ROOT(http2),
     .def = "false",
     .doc = "Serve HTTP/2 on the webhook listener: h2c (prior knowledge and `Upgrade: h2c`) "
            "without TLS, `h2` by ALPN with it. Off by default: providers send HTTP/1.1, and "
            "with h2o 2.2.5 what one HTTP/2 client costs cannot be bounded: it keeps no limit on "
            "the headers of a request (one HPACK-indexed header repeated grows memory by "
            "hundreds of MB per connection), answers every request a client opens and resets "
            "at once (rapid reset), and restarts its idle timer on any frame (a slow upload is "
            "never cut). Turn it on only for trusted clients or behind a proxy that bounds "
            "these."},
    {.path = "admin_http2",
     .type = CONF_T_BOOL,
     .flags = CONF_F_RESTART,
     .offset = ROOT(admin_http2),
     .def = "false",
     .doc = "Serve HTTP/2 (h2c) on the admin listener; off by default for the reasons under "
            "`http2`."},
    {.path = "http2_max_requests",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(http2_max_requests),
     .def = "16",
     .min = 1,
     .max = 256,
     .doc = "Where HTTP/2 is on: requests of one connection processed at once; its other "
            "streams wait their turn (h2o 2.2.5 still advertises 100 concurrent streams)."},
    {.path = "drain_delay_ms",
     .type = CONF_T_UINT,
     .offset = ROOT(drain_delay_ms),
     .def = "5000",
     .min = 0,
     .max = 600000,
     .doc = "On SIGTERM, readiness turns false at once and the listeners close after this "
            "delay, so load balancers stop sending first."},
    {.path = "shutdown_timeout_ms",
     .type = CONF_T_UINT,
     .offset = ROOT(shutdown_timeout_ms),
     .def = "20000",
     .min = 1,
     .max = 3600000,
     .doc = "On SIGTERM, the bound on finishing in-flight requests and flushing Kafka."},
    {.path = "log_level",
     .type = CONF_T_ENUM,
     .offset = ROOT(log_level),
     .def = "info",
     .values = conf_log_level_values,
     .doc = "Lowest severity written to the log."},
    {.path = "log_requests",
     .type = CONF_T_BOOL,
     .offset = ROOT(log_requests),
     .def = "false",
     .doc = "Log every accepted request at level info. A dead-lettered one is a warning "
            "whatever this says: someone needs to look at it."},
    {.path = "log_rate_limit",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(log_rate_limit),
     .def = "20",
     .min = 0,
     .max = 1000000,
     .zero_note = "no limit",
     .doc = "Lines per second about refused requests (401, 404, 429, 503, ...) and failed "
            "deliveries, with bursts of as many; the rest are not written but counted, and one "
            "line every 10 s says how many were left out. Metrics count every request. 0: no "
            "limit."},

    {.path = "tls",
     .type = CONF_T_SECTION,
     .doc = "TLS for the webhook listener. Give both `cert_file` and `key_file`, or neither "
            "(plain HTTP, for TLS terminated by an ingress)."},
    {.path = "tls.cert_file",
     .type = CONF_T_STRING,
     .offset = ROOT(tls_cert_file),
     .def_doc = "none",
     .doc = "PEM certificate chain."},
    {.path = "tls.key_file",
     .type = CONF_T_STRING,
     .offset = ROOT(tls_key_file),
     .def_doc = "none",
     .doc = "PEM private key. Both files are read again on every reload (SIGHUP or a change of "
            "the config file), so a renewed certificate (cert-manager) is served without a "
            "restart; a pair that does not load or match is refused like a bad config file."},
    {.path = "tls.handshake_timeout_ms",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(tls_handshake_timeout_ms),
     .def = "5000",
     .min = 100,
     .max = 60000,
     .doc = "A TLS handshake not finished within this time is cut (each one in progress holds "
            "about 46 KB)."},

    {.path = "kafka", .type = CONF_T_SECTION, .flags = CONF_F_REQUIRED, .doc = "The producer."},
    {.path = "kafka.brokers",
     .type = CONF_T_BROKERS,
     .flags = CONF_F_REQUIRED | CONF_F_RESTART,
     .offset = ROOT(kafka.brokers),
     .doc = "Bootstrap brokers, `host:port[,host:port...]` (a string or a list), or `embedded` "
            "for an in-process mock cluster (development only: data lives in memory)."},
    {.path = "kafka.embedded_brokers",
     .type = CONF_T_UINT,
     .flags = CONF_F_QUIET | CONF_F_RESTART,
     .offset = ROOT(kafka.embedded_brokers),
     .def = "1",
     .min = 1,
     .max = 5,
     .doc = "Number of brokers of the embedded mock cluster."},
    {.path = "kafka.producers",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(kafka.producers),
     .def = "0",
     .min = 0,
     .max = 16,
     .zero_note = "from the metadata",
     .doc = "Idempotent producers sharing the work: partition p of every topic is produced by "
            "producer p mod N, and the bridge picks each record's partition with librdkafka's "
            "own partitioner on the key, so a key keeps its partition, its producer and its "
            "order. A producer has one connection to each broker with up to 5 produce requests "
            "in flight, one per partition (the bridge keeps one batch of a partition out at a "
            "time), so a second producer helps only where one broker leads more than 5 busy "
            "partitions. 0: one producer per 5 partitions that one broker leads in a routed "
            "topic, read at start (at most 8): 1 for 12 partitions over 3 brokers, 3 for 12 on "
            "one. Each producer has its own connections and threads."},
    {.path = "kafka.create_topics",
     .type = CONF_T_BOOL,
     .flags = CONF_F_RESTART,
     .offset = ROOT(kafka.create_topics),
     .def = "false",
     .doc = "Create missing routed topics at start."},
    {.path = "kafka.topic_partitions",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(kafka.topic_partitions),
     .def = "3",
     .min = 1,
     .max = 100000,
     .doc = "Partitions of topics created by `create_topics`."},
    {.path = "kafka.topic_replication",
     .type = CONF_T_UINT,
     .flags = CONF_F_RESTART,
     .offset = ROOT(kafka.topic_replication),
     .def = "3",
     .def_doc = "`3` (with `embedded`: `embedded_brokers`, at most 3)",
     .min = 1,
     .max = 32767,
     .doc = "Replication factor of topics created by `create_topics`. The embedded cluster "
            "replicates every topic on `embedded_brokers` brokers (at most 3) whatever is set "
            "here; another value loads with a warning."},
    {.path = "kafka.librdkafka",
     .type = CONF_T_PROPS,
     .flags = CONF_F_RESTART,
     .offset = ROOT(kafka.props),
     .count_offset = ROOT(kafka.nprops),
     .def_doc = "none",
     .doc = "librdkafka properties passed through as-is (`compression.type: zstd`), in file "
            "order. Values are scalars. Properties whose name contains `password` or `secret` "
            "are masked in `--check-config` output. `acks` (all) and `enable.idempotence` "
            "(true) are fixed and refused here. The bridge's own defaults, which these "
            "override: `linger.ms: 0.5`, `max.in.flight.requests.per.connection: 5` (the "
            "partitions one broker leads send side by side; with Kafka on the same host, 1 "
            "keeps the throughput with lower tails), `message.timeout.ms: 30000`, "
            "`queue.buffering.max.messages: 100000`, `queue.buffering.max.kbytes: 65536`, "
            "`message.max.bytes`: `max_body_bytes` + 16384 for the key and headers (at least "
            "1000000; a smaller value is refused, since a record over it can never be sent), "
            "`statistics.interval.ms: 1000`, `socket.keepalive.enable: true`, "
            "`client.id: webhook-bridge`."},

    {.path = "dead_letter_topic",
     .type = CONF_T_TOPIC,
     .flags = CONF_F_NULLABLE,
     .offset = ROOT(dead_letter_topic),
     .def_doc = "none",
     .doc = "Where authenticated webhooks that cannot be normalized (not JSON, no event type) "
            "or routed go; without one they are answered 400. Each source inherits it. Its "
            "records are CloudEvents with `dead_letter_reason`, `dead_letter_path` and "
            "`dead_letter_verified`; `webhook-bridge replay` decides them again. Whoever may "
            "write to it may put events on the routed topics through a replay: let only the "
            "bridge write to it."},
    {.path = "trusted_proxies",
     .type = CONF_T_CIDRS,
     .offset = ROOT(trusted_proxies),
     .count_offset = ROOT(ntrusted_proxies),
     .def_doc = "none",
     .doc = "Networks (`10.0.0.0/8`, `fd00::/8`, or a bare address) whose `X-Forwarded-For` is "
            "believed when checking `allow_from`."},

    {.path = "sources",
     .type = CONF_T_SOURCES,
     .flags = CONF_F_REQUIRED,
     .doc = "The webhook senders, by name (at least one). The name appears in logs, metrics "
            "and the default `ce_source`; it has only the characters a-z A-Z 0-9 . _ -."},
    {.path = "sources.*.path",
     .type = CONF_T_PATH,
     .flags = CONF_F_REQUIRED,
     .offset = SRC(path),
     .doc = "Exact request path this source is served on; unique across sources."},
    {.path = "sources.*.verify",
     .type = CONF_T_SECTION,
     .flags = CONF_F_REQUIRED,
     .doc = "How a request is proven to come from the provider."},
    {.path = "sources.*.verify.scheme",
     .type = CONF_T_ENUM,
     .flags = CONF_F_REQUIRED,
     .offset = SRC(verify.scheme),
     .values = conf_scheme_values,
     .doc = "`shared-secret`: a header equals a secret (Mono). `hmac`: HMAC of the raw body in "
            "a header (GitHub, Paystack, Shopify). `stripe`: the Stripe-Signature header. "
            "`standard-webhooks`: webhook-id/-timestamp/-signature (also svix-*). `slack`: "
            "X-Slack-Signature. `none`: no verification, only with `insecure: true`."},
    {.path = "sources.*.verify.header",
     .type = CONF_T_HEADER,
     .offset = SRC(verify.header),
     .def_doc = "none",
     .doc = "Header holding the secret or signature (matched without regard to case). "
            "Required for `shared-secret` and `hmac`; the other schemes know their headers."},
    {.path = "sources.*.verify.algorithm",
     .type = CONF_T_ENUM,
     .flags = CONF_F_HMAC_ONLY,
     .offset = SRC(verify.algorithm),
     .def = "sha256",
     .values = conf_algorithm_values,
     .doc = "`hmac` only: the hash function."},
    {.path = "sources.*.verify.encoding",
     .type = CONF_T_ENUM,
     .flags = CONF_F_HMAC_ONLY,
     .offset = SRC(verify.encoding),
     .def = "hex",
     .values = conf_encoding_values,
     .doc = "`hmac` only: how the signature is written in the header."},
    {.path = "sources.*.verify.prefix",
     .type = CONF_T_STRING,
     .flags = CONF_F_HMAC_ONLY | CONF_F_EMPTY_OK,
     .offset = SRC(verify.prefix),
     .def = "",
     .def_doc = "`\"\"`",
     .doc = "`hmac` only: text before the signature in the header, such as `sha256=`."},
    {.path = "sources.*.verify.secrets",
     .type = CONF_T_SECRETS,
     .flags = CONF_F_SECRET,
     .offset = SRC(verify.secrets),
     .count_offset = SRC(verify.nsecrets),
     .def_doc = "none",
     .doc = "Secrets, usually `[\"${ENV_VAR}\"]`; any one of them verifies, so a rotation lists "
            "old and new. Empty secrets are refused. Never printed."},
    {.path = "sources.*.verify.secret_files",
     .type = CONF_T_SECRET_FILES,
     .flags = CONF_F_SECRET,
     .offset = SRC(verify.secrets),
     .count_offset = SRC(verify.nsecrets),
     .def_doc = "none",
     .doc = "Files each holding one secret (a mounted Kubernetes Secret); one trailing newline "
            "is dropped. Tried after `secrets`. Watched like the config file: a new version "
            "(an edit, or the kubelet's swap of a mounted Secret's `..data` symlink) reloads the "
            "config within a second, no SIGHUP or restart needed. Every scheme but `none` needs "
            "at least one secret from `secrets` or `secret_files`."},
    {.path = "sources.*.verify.tolerance_s",
     .type = CONF_T_UINT,
     .offset = SRC(verify.tolerance_s),
     .def = "300",
     .min = 1,
     .max = 86400,
     .doc = "`stripe`, `standard-webhooks`, `slack`: largest accepted distance between the "
            "signed timestamp and now, in seconds."},
    {.path = "sources.*.verify.insecure",
     .type = CONF_T_BOOL,
     .offset = SRC(verify.insecure),
     .def = "false",
     .doc = "Must be `true` to accept scheme `none`, or a secret shorter than 8 bytes (a "
            "secret shorter than 16 bytes is accepted with a warning)."},
    {.path = "sources.*.event",
     .type = CONF_T_SECTION,
     .doc = "Where the event attributes are read. A value starting with `/` is a JSON pointer "
            "into the body; anything else is a request header name."},
    {.path = "sources.*.event.type",
     .type = CONF_T_FIELD,
     .offset = SRC(type),
     .def = "/event",
     .doc = "The event type, matched against `routes`."},
    {.path = "sources.*.event.id",
     .type = CONF_T_FIELD,
     .flags = CONF_F_NULLABLE,
     .offset = SRC(id),
     .def = "/event_id",
     .doc = "The provider's event id (CloudEvents `id`); null to always use a SHA-256 of source "
            "name and body."},
    {.path = "sources.*.event.time",
     .type = CONF_T_FIELD,
     .flags = CONF_F_NULLABLE,
     .offset = SRC(time),
     .def = "/timestamp",
     .doc =
         "The event time (CloudEvents `time`), written to Kafka as RFC 3339 UTC with "
         "milliseconds (`2026-03-14T08:12:45.318Z`) whatever the offset it came with; null "
         "for none. A value that is not a time (see `time_format`) is replaced by the "
         "receive time, counted in `webhook_bridge_event_time_invalid_total{source}` and logged."},
    {.path = "sources.*.event.time_format",
     .type = CONF_T_ENUM,
     .offset = SRC(time_format),
     .def = "auto",
     .values = conf_time_format_values,
     .doc = "How `time` is read. `auto`: a JSON number is Unix seconds (Stripe `/created`, "
            "Slack `/event_time`), text is RFC 3339 with a `Z` or numeric offset (`T` or a "
            "space between date and time, any number of fraction digits). `rfc3339`: text "
            "only. `unix`: seconds, as a number or a string of digits. `unix_ms`: "
            "milliseconds, likewise."},
    {.path = "sources.*.event.key",
     .type = CONF_T_POINTERS,
     .offset = SRC(key),
     .count_offset = SRC(nkey),
     .def_doc = "`[]`",
     .doc = "JSON pointers tried in order for the Kafka record key; the first holding a string "
            "wins, else the event id is the key. The record says which: `ce_partitionkey` is the "
            "key, `ce_partitionkeyfrom` the pointer that produced it (or `id`)."},
    {.path = "sources.*.event.keep_headers",
     .type = CONF_T_HEADERS,
     .offset = SRC(keep_headers),
     .count_offset = SRC(nkeep_headers),
     .def_doc = "`[]`",
     .doc = "Request headers a dead letter of this source keeps, under their own names, so that "
            "`webhook-bridge replay` can decide it again (GitHub: `[x-github-event, "
            "x-github-delivery]`; at most 8). A header holding the type or id (`event.type: "
            "x-github-event`) must be listed here for a replay to find it. Authentication and "
            "signature headers (the source's `verify.header`, `stripe-signature`, "
            "`webhook-signature`, any name with `signature`, `secret`, `token`, `auth`, "
            "`hmac`, ...) are refused. A value that is not short text (256 bytes) is left "
            "out."},
    {.path = "sources.*.allow_from",
     .type = CONF_T_CIDRS,
     .offset = SRC(allow_from),
     .count_offset = SRC(nallow_from),
     .def_doc = "any address",
     .doc = "Networks allowed to post to this source (checked before verification)."},
    {.path = "sources.*.ce_source",
     .type = CONF_T_STRING,
     .offset = SRC(ce_source),
     .def_doc = "`/webhook-bridge/<name>`",
     .doc = "The CloudEvents `source` attribute."},
    {.path = "sources.*.success_status",
     .type = CONF_T_INT,
     .offset = SRC(success_status),
     .def = "200",
     .min = 200,
     .max = 299,
     .doc = "Status answered for an accepted webhook (Mono requires exactly 200)."},
    {.path = "sources.*.ack",
     .type = CONF_T_ENUM,
     .offset = SRC(ack),
     .def = "broker",
     .values = conf_ack_values,
     .doc = "`broker`: answer after Kafka acknowledged every record (acks=all). `enqueue`: "
            "answer once the record is queued locally; faster, but queued records are lost if "
            "the process dies."},
    {.path = "sources.*.ack_timeout_ms",
     .type = CONF_T_UINT,
     .offset = SRC(ack_timeout_ms),
     .def = "5000",
     .min = 1,
     .max = 600000,
     .doc = "With `ack: broker`, answer 503 if Kafka has not acknowledged within this time."},
    {.path = "sources.*.rate_limit",
     .type = CONF_T_UINT,
     .offset = SRC(rate_limit),
     .def = "0",
     .min = 0,
     .max = 1000000,
     .doc = "Webhooks per second this source may send (counted after verification, over all event "
            "loops of this process; each replica has its own); beyond it 429 with `Retry-After`. "
            "0: unlimited."},
    {.path = "sources.*.rate_burst",
     .type = CONF_T_UINT,
     .offset = SRC(rate_burst),
     .def = "0",
     .min = 0,
     .max = 1000000,
     .doc = "How many webhooks above the rate may arrive at once; 0: as many as `rate_limit`."},
    {.path = "sources.*.format",
     .type = CONF_T_ENUM,
     .offset = SRC(format),
     .def = "binary",
     .values = conf_format_values,
     .doc = "CloudEvents mode: `binary` (body as the value, attributes in headers) or "
            "`structured` (a CloudEvents JSON object as the value)."},
    {.path = "sources.*.dead_letter_topic",
     .type = CONF_T_TOPIC,
     .flags = CONF_F_NULLABLE,
     .offset = SRC(dead_letter_topic),
     .def_doc = "the top-level `dead_letter_topic`",
     .doc = "Overrides the top-level dead-letter topic; null or \"\" for none."},
    {.path = "sources.*.routes",
     .type = CONF_T_ROUTES,
     .flags = CONF_F_REQUIRED,
     .offset = SRC(routes),
     .count_offset = SRC(nroutes),
     .doc = "Event type pattern -> topic, or list of topics (one record each). `*` matches any "
            "text. Order of matching: exact patterns, then patterns by longest text before the "
            "first `*` (ties in file order), then `\"*\"`."},
};

const size_t conf_schema_len = sizeof(conf_schema) / sizeof(conf_schema[0]);

bool conf_schema_is_child(const struct conf_schema *s, const char *parent)
{
    size_t plen = strlen(parent);
    const char *rest = s->path;
    if (plen != 0) {
        if (strncmp(s->path, parent, plen) != 0 || s->path[plen] != '.')
            return false;
        rest += plen + 1;
    }
    return strchr(rest, '.') == NULL;
}

const struct conf_schema *conf_schema_child(const char *parent, const char *key, size_t klen)
{
    for (size_t i = 0; i != conf_schema_len; ++i) {
        const struct conf_schema *s = &conf_schema[i];
        if (!conf_schema_is_child(s, parent))
            continue;
        const char *k = conf_schema_key(s);
        if (strlen(k) == klen && memcmp(k, key, klen) == 0)
            return s;
    }
    return NULL;
}

const char *conf_schema_key(const struct conf_schema *s)
{
    const char *dot = strrchr(s->path, '.');
    return dot != NULL ? dot + 1 : s->path;
}

const char *conf_enum_name(const struct conf_enum_value *values, int v)
{
    for (; values != NULL && values->name != NULL; ++values)
        if (values->value == v)
            return values->name;
    return "?";
}

bool conf_schema_in_source(const struct conf_schema *s)
{
    return strncmp(s->path, "sources.*.", 10) == 0;
}
