/*
 * Replay. Each dead letter is turned back into the request it was (its path, body, content
 * type and the headers its source keeps) and run through decide_replay(): the pipeline's own
 * decision, without verification, since the bridge dead-letters only authenticated requests and
 * wrote which scheme authenticated it (dead_letter_verified). So a replay routes exactly as a
 * new webhook would under the current config. Records now routed are produced with acks=all
 * (the bridge's own producer) and their original ce_id and ce_time, so consumers that drop
 * duplicates by ce_id see a replayed event once; the others stay where they are.
 *
 * Positions are kept in a consumer group of replay's own: a record's position is committed
 * only once its outcome is final (produced and acknowledged, or left for good), and a
 * partition stops at the first record that failed or lies after --until, so nothing is skipped
 * by a run that was cut short. Rejected: deleting or re-writing dead letters; the topic stays
 * the record of what happened, and its retention decides when they go.
 */
#include "replay.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "kafka/producer.h"
#include "kafka/reader.h"
#include "pipeline/decide.h"
#include "pipeline/runtime.h"

#define DEFAULT_GROUP "webhook-bridge-replay"
#define READ_TIMEOUT_MS 30000

enum outcome {
    OUT_REPLAYED,    /* produced to the topics its route names */
    OUT_STILL_DEAD,  /* the current config dead-letters it again: left */
    OUT_NO_SOURCE,   /* no source serves its path any more: left */
    OUT_NOT_BRIDGE,  /* not a dead letter the bridge wrote (no path or verification mark) */
    OUT_BEFORE,      /* before --since: passed over */
    OUT_AFTER,       /* after --until: left for a later run, position not committed */
    OUT_FAILED,      /* Kafka did not acknowledge: position not committed */
    OUT_COUNT
};

static const char *const outcome_names[OUT_COUNT] = {
    "replayed", "still_dead", "no_source", "not_a_dead_letter", "before_since", "after_until",
    "failed"};
static const char *const dry_names[OUT_COUNT] = {
    "would_replay", "still_dead", "no_source", "not_a_dead_letter", "before_since",
    "after_until", "failed"};

/* Deliveries of one record's topics, reported on the producer's poll thread. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned pending;
    unsigned failed;
};

static void on_delivery(void *opaque, enum bridge_status st)
{
    struct waiter *w = opaque;
    pthread_mutex_lock(&w->lock);
    if (st != BRIDGE_ACCEPTED)
        ++w->failed;
    --w->pending;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Per-outcome detail counts: a topic or a dead-letter reason, and how often. */
struct tally {
    char *name;
    unsigned n;
};
struct summary {
    unsigned count[OUT_COUNT];
    struct tally *detail[OUT_COUNT];
    size_t ndetail[OUT_COUNT];
};

/* Counts `name` (a topic, a reason; NULL: none) under outcome o. */
static void tally(struct summary *s, enum outcome o, const char *name, size_t len)
{
    if (name == NULL)
        return;
    for (size_t i = 0; i != s->ndetail[o]; ++i)
        if (strlen(s->detail[o][i].name) == len && memcmp(s->detail[o][i].name, name, len) == 0) {
            ++s->detail[o][i].n;
            return;
        }
    struct tally *t = realloc(s->detail[o], (s->ndetail[o] + 1) * sizeof(*t));
    if (t == NULL)
        return;
    s->detail[o] = t;
    char *copy = strndup(name, len);
    if (copy == NULL)
        return;
    /* kept in name order, so that a summary reads the same whatever the partitions */
    size_t at = s->ndetail[o]++;
    for (; at > 0 && strcmp(t[at - 1].name, copy) > 0; --at)
        t[at] = t[at - 1];
    t[at] = (struct tally){copy, 1};
}

static struct bytes header(const struct reader_record *rec, const char *name)
{
    for (size_t i = 0; i != rec->nheaders; ++i)
        if (strcmp(rec->headers[i].name, name) == 0)
            return rec->headers[i].value;
    return BYTES_NULL;
}

/* RFC 3339, or a date (midnight UTC), as Unix ms; -1 when neither. */
static int parse_when(const char *s, int64_t *ms)
{
    char buf[64];
    if (strlen(s) == 10 && snprintf(buf, sizeof(buf), "%sT00:00:00Z", s) > 0)
        s = buf;
    return normalize_parse_time(bytes_str(s), ms);
}

struct options {
    const char *config, *from, *group;
    int64_t since, until; /* Unix ms; -1 none */
    bool dry_run;
};

static int usage(FILE *f)
{
    fprintf(f, "usage: webhook-bridge replay --config FILE --from TOPIC [--since TIME] "
               "[--until TIME]\n"
               "                             [--group NAME] [--dry-run]\n"
               "  --from TOPIC   the dead-letter topic to read\n"
               "  --since TIME   skip dead letters written before TIME (RFC 3339, or a date: "
               "UTC midnight)\n"
               "  --until TIME   stop at dead letters written after TIME (they wait for a "
               "later run)\n"
               "  --group NAME   the consumer group keeping replay's position (default "
               DEFAULT_GROUP ")\n"
               "  --dry-run      decide and print, produce nothing, commit nothing\n");
    return 2;
}

static int parse_options(int argc, char **argv, struct options *o, FILE *errout)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"from", required_argument, NULL, 'f'},
        {"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
        {"group", required_argument, NULL, 'g'},  {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    *o = (struct options){.config = "config/bridge.yaml", .group = DEFAULT_GROUP, .since = -1,
                          .until = -1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'f':
            o->from = optarg;
            break;
        case 'g':
            o->group = optarg;
            break;
        case 'n':
            o->dry_run = true;
            break;
        case 's':
        case 'u':
            if (parse_when(optarg, c == 's' ? &o->since : &o->until) != 0) {
                fprintf(errout, "replay: --%s %s: not an RFC 3339 time or a date\n",
                        c == 's' ? "since" : "until", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return usage(errout);
        }
    }
    if (optind != argc || o->from == NULL || o->from[0] == '\0')
        return usage(errout);
    return -1;
}

struct replay {
    struct options opt;
    struct runtime *rt;
    struct topic_reader *reader;
    struct producer *producer;
    struct waiter w;
    bool *stopped; /* per partition: a record was not final, commit nothing after it */
    struct summary sum;
    FILE *out;
};

/* Produces d's records and waits for their acknowledgements; 0 when all were acknowledged. */
static int produce(struct replay *r, const struct decision *d)
{
    pthread_mutex_lock(&r->w.lock);
    r->w.pending = 0;
    r->w.failed = 0;
    pthread_mutex_unlock(&r->w.lock);
    unsigned refused = 0;
    for (size_t i = 0; i != d->ntopics; ++i) {
        pthread_mutex_lock(&r->w.lock);
        ++r->w.pending;
        pthread_mutex_unlock(&r->w.lock);
        if (producer_send(r->producer, d->topics[i], &d->env, &r->w) != BRIDGE_ACCEPTED) {
            pthread_mutex_lock(&r->w.lock);
            --r->w.pending;
            pthread_mutex_unlock(&r->w.lock);
            ++refused;
        }
    }
    /* every accepted record gets exactly one report, within message.timeout.ms */
    pthread_mutex_lock(&r->w.lock);
    while (r->w.pending != 0)
        pthread_cond_wait(&r->w.cond, &r->w.lock);
    unsigned failed = r->w.failed + refused;
    pthread_mutex_unlock(&r->w.lock);
    return failed == 0 ? 0 : -1;
}

static void print_topics(FILE *out, const struct decision *d)
{
    for (size_t i = 0; i != d->ntopics; ++i)
        fprintf(out, "%s%s", i == 0 ? " " : ",", d->topics[i]);
}

/* One record: its outcome, printed and counted; marks its position when final. */
static void replay_one(struct replay *r, const struct reader_record *rec, int64_t now_ms)
{
    struct bytes id = header(rec, "ce_id"), time = header(rec, "ce_time");
    struct bytes path = header(rec, "dead_letter_path");
    enum outcome o;
    const char *detail = NULL;
    size_t detail_len = 0;
    struct decision d;
    bool decided = false;

    fprintf(r->out, "%d/%lld ce_id=%.*s", (int)rec->partition, (long long)rec->offset,
            (int)id.len, id.base != NULL ? id.base : "");
    if (r->stopped[rec->partition] || (r->opt.until >= 0 && rec->timestamp_ms > r->opt.until)) {
        r->stopped[rec->partition] = true;
        o = OUT_AFTER;
    } else if (r->opt.since >= 0 && rec->timestamp_ms >= 0 && rec->timestamp_ms < r->opt.since) {
        o = OUT_BEFORE;
    } else if (path.base == NULL || header(rec, "dead_letter_verified").base == NULL) {
        o = OUT_NOT_BRIDGE;
    } else {
        const struct source_rt *src = runtime_find(r->rt, path);
        if (src == NULL) {
            o = OUT_NO_SOURCE;
            detail = path.base, detail_len = path.len;
        } else {
            /* the request again: every header but the record's own */
            struct header_view hv[64];
            size_t nh = 0;
            for (size_t i = 0; i != rec->nheaders; ++i)
                if (strncmp(rec->headers[i].name, "ce_", 3) != 0 &&
                    strncmp(rec->headers[i].name, "dead_letter_", 12) != 0)
                    hv[nh++] = (struct header_view){bytes_str(rec->headers[i].name),
                                                    rec->headers[i].value};
            struct request_view req = {.path = path, .body = rec->value, .headers = hv,
                                       .nheaders = nh};
            decide_replay(src, &req, now_ms, id, time, &d);
            decided = true;
            if (d.status == BRIDGE_INTERNAL) {
                o = OUT_FAILED; /* out of memory: try again, never pass over it */
                r->stopped[rec->partition] = true;
            } else if (d.status != BRIDGE_ACCEPTED) {
                o = OUT_STILL_DEAD;
                detail = d.reason != NULL ? d.reason : bridge_status_name(d.status);
                detail_len = strlen(detail);
            } else if (r->opt.dry_run || produce(r, &d) == 0) {
                o = OUT_REPLAYED;
            } else {
                o = OUT_FAILED;
                r->stopped[rec->partition] = true;
            }
        }
    }
    if (decided && d.ev.type.base != NULL)
        fprintf(r->out, " type=%.*s", (int)d.ev.type.len, d.ev.type.base);
    fprintf(r->out, " -> %s", (r->opt.dry_run ? dry_names : outcome_names)[o]);
    ++r->sum.count[o];
    if (o == OUT_REPLAYED || (o == OUT_FAILED && decided && d.status == BRIDGE_ACCEPTED)) {
        print_topics(r->out, &d);
        for (size_t i = 0; i != d.ntopics; ++i)
            tally(&r->sum, o, d.topics[i], strlen(d.topics[i]));
    } else {
        if (detail != NULL)
            fprintf(r->out, " (%.*s)", (int)detail_len, detail);
        tally(&r->sum, o, detail, detail_len);
    }
    fputc('\n', r->out);
    if (decided)
        decision_release(&d);
    if (o != OUT_AFTER && o != OUT_FAILED && !r->stopped[rec->partition])
        reader_mark(r->reader, rec->partition, rec->offset);
}

static void print_summary(struct replay *r, unsigned read)
{
    fprintf(r->out, "%s %s (group %s): %u record%s read\n",
            r->opt.dry_run ? "dry run of" : "replayed", r->opt.from, r->opt.group, read,
            read == 1 ? "" : "s");
    for (int o = 0; o != OUT_COUNT; ++o) {
        if (r->sum.count[o] == 0)
            continue;
        fprintf(r->out, "  %-18s %u", (r->opt.dry_run ? dry_names : outcome_names)[o],
                r->sum.count[o]);
        for (size_t i = 0; i != r->sum.ndetail[o]; ++i)
            fprintf(r->out, "%s%s %u", i == 0 ? "   " : ", ", r->sum.detail[o][i].name,
                    r->sum.detail[o][i].n);
        fputc('\n', r->out);
    }
}

static void replay_release(struct replay *r)
{
    producer_destroy(r->producer);
    reader_close(r->reader);
    runtime_release(r->rt);
    free(r->stopped);
    for (int o = 0; o != OUT_COUNT; ++o) {
        for (size_t i = 0; i != r->sum.ndetail[o]; ++i)
            free(r->sum.detail[o][i].name);
        free(r->sum.detail[o]);
    }
    pthread_cond_destroy(&r->w.cond);
    pthread_mutex_destroy(&r->w.lock);
}

int replay_main(int argc, char **argv, FILE *out, FILE *errout)
{
    struct replay r = {.out = out};
    int status = parse_options(argc, argv, &r.opt, errout);
    if (status >= 0)
        return status;
    pthread_mutex_init(&r.w.lock, NULL);
    pthread_cond_init(&r.w.cond, NULL);

    struct conf_error err;
    struct bridge_config *cfg = NULL;
    status = 2;
    if (conf_load(r.opt.config, &cfg, &err) != 0 || producer_check_config(cfg, &err) != 0 ||
        (r.rt = runtime_create(cfg, 1, &err)) == NULL) {
        conf_free(cfg);
        fprintf(errout, "%s\n", err.msg);
        goto done;
    }
    cfg = r.rt->cfg;
    log_set_level((enum log_severity)cfg->log_level);
    if (strcmp(cfg->kafka.brokers, "embedded") == 0) {
        fprintf(errout, "replay: %s: kafka.brokers is embedded; a replay reads a cluster's "
                        "dead-letter topic (point kafka.brokers at it)\n",
                cfg->file);
        goto done;
    }
    if ((r.reader = reader_open(cfg, cfg->kafka.brokers, r.opt.from, r.opt.group,
                                READ_TIMEOUT_MS, &err)) == NULL ||
        (r.stopped = calloc((size_t)reader_partitions(r.reader), sizeof(bool))) == NULL ||
        (!r.opt.dry_run &&
         (r.producer = producer_create(cfg, cfg->kafka.brokers, on_delivery, &err)) ==
             NULL)) {
        fprintf(errout, "replay: %s\n", r.stopped == NULL && r.reader != NULL ? "out of memory"
                                                                              : err.msg);
        goto done;
    }
    status = 0;
    unsigned read = 0;
    struct reader_record rec;
    int got;
    while ((got = reader_next(r.reader, READ_TIMEOUT_MS, &rec, &err)) == 1) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        ++read;
        replay_one(&r, &rec, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
        reader_record_release(&rec);
    }
    if (got < 0) {
        fprintf(errout, "replay: %s\n", err.msg);
        status = 1;
    }
    if (!r.opt.dry_run && reader_commit(r.reader, &err) != 0) {
        fprintf(errout, "replay: %s\n", err.msg);
        status = 1;
    }
    print_summary(&r, read);
    if (r.sum.count[OUT_FAILED] != 0)
        status = 1;
done:
    replay_release(&r);
    return status;
}
