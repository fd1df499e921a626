/*
 * kafka_create_topics against the embedded mock cluster (librdkafka 2.0.2). That mock answers
 * Metadata but has no CreateTopics handler, so what is checked here is everything around the
 * request: which topics count as routed (routes, fan-out, source and global dead-letter
 * topics, each once), that existing topics are found with a metadata request and left alone
 * (nothing to create: success without any CreateTopics), that a missing topic makes the call
 * fail within its time bound instead of hanging, and that connection settings are passed
 * through and checked while producer-only ones are not. Creation itself is exercised against a
 * real broker by the compose stack (docker/compose.yaml).
 */
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "kafka/mock.h"
#include "kafka/topics.h"

/* Partition count of `topic` as a separate client sees it, or -1 when the topic is missing. */
static int partitions_of(const char *bootstrap, const char *topic)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL)
        return -1;
    const struct rd_kafka_metadata *md = NULL;
    int partitions = -1;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i != md->topic_cnt; ++i)
            if (strcmp(md->topics[i].topic, topic) == 0 &&
                md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                partitions = md->topics[i].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    return partitions;
}

/* Replicas of `topic`'s first partition as a separate client sees them, or -1. */
static int replicas_of(const char *bootstrap, const char *topic)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL)
        return -1;
    const struct rd_kafka_metadata *md = NULL;
    int replicas = -1;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i != md->topic_cnt; ++i)
            if (strcmp(md->topics[i].topic, topic) == 0 && md->topics[i].partition_cnt > 0)
                replicas = md->topics[i].partitions[0].replica_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    return replicas;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_topic_list_and_creation(void)
{
    struct conf_error err = {{0}};
    struct mock_kafka *m = mock_kafka_create(3, &err);
    CHECK(m != NULL);
    if (m == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    const char *bootstrap = mock_kafka_bootstraps(m);

    char *connected[] = {"membership.account-connected", "notifications.account-connected"};
    char *updated[] = {"membership.account-updated"};
    char *again[] = {"membership.account-connected"}; /* routed twice: counted once */
    char *unrouted[] = {"webhooks.unrouted"};
    struct conf_route routes[] = {
        {.pattern = "mono.events.account_connected", .topics = connected, .ntopics = 2},
        {.pattern = "mono.events.account_updated", .topics = updated, .ntopics = 1},
        {.pattern = "mono.events.account_*", .topics = again, .ntopics = 1},
        {.pattern = "*", .topics = unrouted, .ntopics = 1},
    };
    struct conf_source sources[] = {{.name = "mono",
                                     .path = "/webhooks/mono",
                                     .dead_letter_topic = "mono.dead-letter",
                                     .routes = routes,
                                     .nroutes = 4}};
    /* linger.ms means nothing to an admin client and must not reach it; client.id must. */
    struct conf_kv props[] = {{.key = "linger.ms", .value = "not-a-number"},
                              {.key = "client.id", .value = "topics-test"}};
    struct bridge_config cfg = {.file = "test.yaml",
                                .dead_letter_topic = "webhooks.dead-letter",
                                .sources = sources,
                                .nsources = 1};
    cfg.kafka.brokers = (char *)bootstrap;
    cfg.kafka.props = props;
    cfg.kafka.nprops = 2;
    cfg.kafka.create_topics = true;
    cfg.kafka.topic_partitions = 4;
    cfg.kafka.topic_replication = 3;

    /* The one topic list: routes and fan-out once each, the source's dead-letter topic; the
     * top-level one only through the sources that inherit it (here none does). */
    CHECK(conf_collect_topics(&cfg) == 0);
    CHECK(cfg.ntopics == 5);
    for (size_t i = 0; i != cfg.ntopics; ++i)
        CHECK(strcmp(cfg.topics[i], "webhooks.dead-letter") != 0);

    /* Every routed topic exists (one with other settings than the config's): nothing to do.
     * The unused top-level dead-letter topic is missing on purpose: creating it would fail
     * (this mock has no CreateTopics), as it did when topic creation kept its own list. */
    const char *routed[] = {"membership.account-connected", "notifications.account-connected",
                            "membership.account-updated", "webhooks.unrouted",
                            "mono.dead-letter"};
    for (size_t i = 0; i != sizeof(routed) / sizeof(routed[0]); ++i)
        CHECK(mock_kafka_create_topic(m, routed[i], i == 2 ? 2 : 4) == 0);
    /* what the loader states as the embedded cluster's kafka.topic_replication: min(brokers, 3) */
    CHECK(replicas_of(bootstrap, "membership.account-connected") == 3);
    err.msg[0] = '\0';
    CHECK(kafka_create_topics(&cfg, bootstrap, &err) == 0);
    CHECK_STR(err.msg, "");
    CHECK(partitions_of(bootstrap, "membership.account-updated") == 2); /* left alone */

    /* A topic the cluster lacks must be created; this mock cannot, so the call fails, and it
     * must do so within its bound (about 10 s) with a message rather than hang. */
    char *payments[] = {"payments.payment-succeeded"};
    routes[3].topics = payments;
    CHECK(conf_collect_topics(&cfg) == 0);
    double t0 = now_s();
    CHECK(kafka_create_topics(&cfg, bootstrap, &err) == -1);
    double took = now_s() - t0;
    CHECK(took < 15.0);
    CHECK_CONTAINS(err.msg, "kafka.create_topics");
    CHECK(partitions_of(bootstrap, "payments.payment-succeeded") == -1);

    /* A bad connection setting is refused with its key, before any network work. */
    struct conf_kv bad[] = {{.key = "security.protocol", .value = "carrier-pigeon"}};
    cfg.kafka.props = bad;
    cfg.kafka.nprops = 1;
    t0 = now_s();
    CHECK(kafka_create_topics(&cfg, bootstrap, &err) == -1);
    CHECK(now_s() - t0 < 1.0);
    CHECK_CONTAINS(err.msg, "kafka.librdkafka.security.protocol");

    /* Nothing routed at all: nothing to do, no connection needed. */
    struct bridge_config empty = {.file = "empty.yaml"};
    empty.kafka.topic_partitions = 1;
    empty.kafka.topic_replication = 1;
    CHECK(conf_collect_topics(&empty) == 0 && empty.ntopics == 0);
    CHECK(kafka_create_topics(&empty, "127.0.0.1:1", &err) == 0);
    free(cfg.topics);

    mock_kafka_destroy(m);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_topic_list_and_creation);
    return check_done();
}
