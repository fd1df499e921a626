/*
 * The mock cluster needs an rd_kafka_t to live in; a bare producer handle with no brokers
 * configured serves, and owns the cluster's threads.
 */
#include "mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>

struct mock_kafka {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *cluster;
    unsigned brokers;
};

struct mock_kafka *mock_kafka_create(unsigned brokers, struct conf_error *err)
{
    char errstr[256];
    struct mock_kafka *m = calloc(1, sizeof(*m));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (m == NULL || conf == NULL) {
        conf_errorf(err, "kafka", NULL, NULL, "out of memory");
        goto fail;
    }
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    if ((m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))) == NULL) {
        conf_errorf(err, "kafka", NULL, NULL, "embedded cluster: %s", errstr);
        goto fail; /* on failure the conf is still ours */
    }
    conf = NULL;
    m->brokers = brokers;
    if ((m->cluster = rd_kafka_mock_cluster_new(m->rk, (int)brokers)) == NULL) {
        conf_errorf(err, "kafka", NULL, NULL, "embedded cluster: cannot start");
        goto fail;
    }
    return m;
fail:
    if (conf != NULL)
        rd_kafka_conf_destroy(conf);
    mock_kafka_destroy(m);
    return NULL;
}

const char *mock_kafka_bootstraps(const struct mock_kafka *m)
{
    return rd_kafka_mock_cluster_bootstraps(m->cluster);
}

int mock_kafka_create_topic(struct mock_kafka *m, const char *topic, int partitions)
{
    int rf = m->brokers < 3 ? (int)m->brokers : 3;
    return rd_kafka_mock_topic_create(m->cluster, topic, partitions, rf) == 0 ? 0 : -1;
}

void mock_kafka_destroy(struct mock_kafka *m)
{
    if (m == NULL)
        return;
    if (m->cluster != NULL)
        rd_kafka_mock_cluster_destroy(m->cluster);
    if (m->rk != NULL)
        rd_kafka_destroy(m->rk);
    free(m);
}
