/*
 * Test helper: runs a librdkafka mock cluster (the real Kafka protocol on loopback) and takes
 * fault-injection commands on stdin, one per line, answering "ok" or "error ...":
 *   topic NAME PARTITIONS       create a topic (every partition led by the same broker)
 *   leader NAME PARTITION BROKER  move a partition's leadership
 *   down BROKER_ID | up BROKER_ID
 *   rtt BROKER_ID MS            add round-trip latency
 *   errors APIKEY ERR [COUNT]   the next COUNT requests of APIKEY (0 = Produce) fail with ERR
 *   topicerror NAME ERR         metadata answers ERR for topic NAME (0 clears it): 3 makes it
 *                               missing (this mock creates every topic it is asked about)
 *   quit
 * First line of output: "bootstrap HOST:PORT[,...]". Usage: mock_kafka [BROKERS]
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char errstr[256], line[512];
    int brokers = argc > 1 ? atoi(argv[1]) : 3;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        fprintf(stderr, "mock_kafka: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (mc == NULL) {
        fprintf(stderr, "mock_kafka: cannot create cluster\n");
        return 1;
    }
    printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char cmd[32] = "", name[256] = "";
        int a = 0, b = 0, c = 1;
        int n = sscanf(line, "%31s", cmd);
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (n != 1)
            continue;
        if (strcmp(cmd, "quit") == 0)
            break;
        if (strcmp(cmd, "topic") == 0 && sscanf(line, "%*s %255s %d", name, &a) == 2)
            e = rd_kafka_mock_topic_create(mc, name, a, brokers < 3 ? brokers : 3);
        else if (strcmp(cmd, "leader") == 0 && sscanf(line, "%*s %255s %d %d", name, &a, &b) == 3)
            e = rd_kafka_mock_partition_set_leader(mc, name, a, b);
        else if (strcmp(cmd, "topicerror") == 0 && sscanf(line, "%*s %255s %d", name, &a) == 2)
            rd_kafka_mock_topic_set_error(mc, name, (rd_kafka_resp_err_t)a);
        else if (strcmp(cmd, "down") == 0 && sscanf(line, "%*s %d", &a) == 1)
            e = rd_kafka_mock_broker_set_down(mc, a);
        else if (strcmp(cmd, "up") == 0 && sscanf(line, "%*s %d", &a) == 1)
            e = rd_kafka_mock_broker_set_up(mc, a);
        else if (strcmp(cmd, "rtt") == 0 && sscanf(line, "%*s %d %d", &a, &b) == 2)
            e = rd_kafka_mock_broker_set_rtt(mc, a, b);
        else if (strcmp(cmd, "errors") == 0 && sscanf(line, "%*s %d %d %d", &a, &b, &c) >= 2) {
            rd_kafka_resp_err_t *errs = calloc((size_t)c, sizeof(*errs));
            for (int i = 0; i < c; ++i)
                errs[i] = (rd_kafka_resp_err_t)b;
            rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)c, errs);
            free(errs);
        } else {
            printf("error unknown command\n");
            fflush(stdout);
            continue;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            printf("error %s\n", rd_kafka_err2str(e));
        else
            printf("ok\n");
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
