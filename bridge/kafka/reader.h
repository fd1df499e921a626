/*
 * A topic reader for `webhook-bridge replay`: reads one topic from a consumer group's committed
 * offsets (the beginning when it has none) up to the end offsets it saw when it opened, and
 * commits, for that group, how far the caller got. Records that arrive while it reads are left
 * for the next run, so a run is bounded. One thread; nothing here is shared.
 */
#ifndef BRIDGE_KAFKA_READER_H
#define BRIDGE_KAFKA_READER_H

#include <stdint.h>

#include "conf/config.h"
#include "pipeline/envelope.h"

struct topic_reader;

/* One record; views live until reader_record_release(). */
struct reader_record {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the record's timestamp (CreateTime: when it was produced), or -1 */
    struct bytes key;
    struct bytes value;
    struct record_header headers[64];
    size_t nheaders;
    void *msg; /* owned */
};

/* Opens `topic` for `group` on cfg's cluster (its kafka.librdkafka settings: TLS, SASL) at
 * `bootstrap`. Returns NULL with err filled (no such topic, no broker within timeout_ms). */
struct topic_reader *reader_open(const struct bridge_config *cfg, const char *bootstrap,
                                 const char *topic, const char *group, int timeout_ms,
                                 struct conf_error *err);

/* The next record into *rec: 1, or 0 when every partition is at the end offset it had at
 * open, or -1 with err filled when no record came for timeout_ms or the fetch failed. */
int reader_next(struct topic_reader *r, int timeout_ms, struct reader_record *rec,
                struct conf_error *err);

void reader_record_release(struct reader_record *rec);

/* Records that the record at (partition, offset) and all before it in its partition are done:
 * reader_commit() stores offset + 1 for the group. */
void reader_mark(struct topic_reader *r, int32_t partition, int64_t offset);

/* Commits the marked positions (synchronously). Returns 0, or -1 with err filled. */
int reader_commit(struct topic_reader *r, struct conf_error *err);

/* Partitions of the topic. */
int reader_partitions(const struct topic_reader *r);

/* NULL is fine. */
void reader_close(struct topic_reader *r);

#endif
