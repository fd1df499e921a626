/* kafka/health: the stall rule behind /readyz's "kafka not acknowledging" and its texts. */
#include "check.h"
#include "kafka/health.h"

#include <librdkafka/rdkafka.h>

static void test_stall_rule_and_reasons(void)
{
    struct kafka_health h;
    char buf[512];
    kafka_health_init(&h, 1000);

    /* idle: nothing waits, never stalled however long */
    kafka_health_tick(&h, 0, 10000);
    kafka_health_tick(&h, 0, 60000);
    CHECK(!kafka_health_stalled(&h));

    /* records wait: stalled only once nothing was acknowledged for stall_ms */
    kafka_health_tick(&h, 4, 60500);
    CHECK(!kafka_health_stalled(&h));
    kafka_health_tick(&h, 4, 60999);
    CHECK(!kafka_health_stalled(&h));
    kafka_health_tick(&h, 4, 61000);
    CHECK(kafka_health_stalled(&h));
    kafka_health_reason(&h, 1, true, true, 61000, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "kafka not acknowledging: nothing acknowledged for 1000 ms, 4 record(s)");
    CHECK_CONTAINS(buf, "1 broker(s) up");

    /* one acknowledgement ends it */
    kafka_health_on_ack(&h);
    kafka_health_tick(&h, 4, 61100);
    CHECK(!kafka_health_stalled(&h));
    /* steady acknowledgements under load keep it off */
    for (uint64_t t = 61200; t < 70000; t += 100) {
        kafka_health_on_ack(&h);
        kafka_health_tick(&h, 500, t);
        CHECK(!kafka_health_stalled(&h));
    }
    /* the waiting records all failed: nothing waits, the stall ends without an ack */
    kafka_health_tick(&h, 3, 71000);
    CHECK(kafka_health_stalled(&h));
    kafka_health_tick(&h, 0, 71100);
    CHECK(!kafka_health_stalled(&h));

    /* the other reasons, most basic first; the last client error is named */
    kafka_health_on_error(&h, RD_KAFKA_RESP_ERR__AUTHENTICATION,
                          "SASL authentication error: Authentication failed");
    size_t n = kafka_health_reason(&h, 0, false, false, 72000, buf, sizeof(buf));
    CHECK(n == strlen(buf));
    CHECK_STR(buf, "kafka not connected: no broker up (last error _AUTHENTICATION: SASL "
                   "authentication error: Authentication failed)\n");
    kafka_health_reason(&h, 2, false, false, 72000, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "idempotent producer id");
    kafka_health_reason(&h, 2, true, false, 72000, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "routed topics");
    kafka_health_reason(&h, 2, true, true, 72000, buf, sizeof(buf));
    CHECK_STR(buf, "ready\n");
    /* a small buffer is cut, still terminated */
    n = kafka_health_reason(&h, 0, false, false, 72000, buf, 10);
    CHECK(n == 9 && strlen(buf) == 9);

    kafka_health_release(&h);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_stall_rule_and_reasons);
    return check_done();
}
