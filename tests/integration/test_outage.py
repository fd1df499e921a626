"""Kafka outages, request errors, latency and overload: never a false 200, a quick non-200
instead, and recovery without a restart."""
import json
import os
import re
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config, event
from harness import Bridge, Consumer, MockKafka, wait_for

RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE = 10  # permanent, and only about this record
RD_KAFKA_RESP_ERR_INVALID_RECORD = 87  # permanent for this try; may be fixed on the broker side
RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION = 6
APIKEY_PRODUCE = 0



class Outage(unittest.TestCase):
    def setUp(self):
        self.kafka = MockKafka(brokers=3)
        self.kafka.create_topics(TOPICS)
        self.bridge = Bridge(config(self.kafka.bootstrap, ack_timeout_ms=1500), env=ENV)
        self.consumer = Consumer(self.kafka.bootstrap)

    def tearDown(self):
        self.consumer.close()
        self.bridge.stop()
        self.kafka.close()

    def ids_in_kafka(self, topic="membership.account-events", expect=None):
        return [json.loads(r.value)["event_id"] for r in self.consumer.read(topic, expect=expect)]

    def test_all_brokers_down_gives_503_fast_and_recovers_by_itself(self):
        self.assertEqual(self.bridge.post("/webhooks/mono", event(0))[0], 200)
        for b in (1, 2, 3):
            self.kafka.command(f"down {b}")
        # within ack_timeout_ms plus a margin, every answer is a 503 with Retry-After
        answers = []
        for i in range(1, 6):
            t0 = time.time()
            status, headers, body = self.bridge.post("/webhooks/mono", event(i))
            answers.append((status, time.time() - t0, headers.get("retry-after")))
            time.sleep(0.3)
        for status, took, retry_after in answers:
            self.assertEqual(status, 503, answers)
            self.assertLess(took, 1.5 + 0.5)
            self.assertEqual(retry_after, "5")
        self.assertTrue(wait_for(lambda: self.bridge.admin("GET", "/readyz")[0] == 503, 5),
                        "readyz must turn 503 while no broker is reachable")
        for b in (1, 2, 3):
            self.kafka.command(f"up {b}")
        self.assertTrue(wait_for(lambda: self.bridge.admin("GET", "/readyz")[0] == 200, 20),
                        "readyz must come back by itself")
        self.assertTrue(wait_for(lambda: self.bridge.post("/webhooks/mono", event(100))[0] == 200, 10))
        # the 200s are in Kafka; the 503s may be too (at-least-once), never required
        ids = self.ids_in_kafka(expect=2)
        self.assertIn("evt-0", ids)
        self.assertIn("evt-100", ids)
        _, _, metrics = self.bridge.admin("GET", "/metrics")
        self.assertRegex(metrics.decode(), r'webhook_bridge_requests_total\{source="mono",outcome="kafka_(error|timeout)"\} [1-9]')

    def test_slow_broker_past_ack_timeout_is_503_then_record_arrives(self):
        for b in (1, 2, 3):
            self.kafka.command(f"rtt {b} 2500")
        t0 = time.time()
        status, headers, _ = self.bridge.post("/webhooks/mono", event(7, prefix="slow"))
        took = time.time() - t0
        self.assertEqual(status, 503)
        self.assertIn("retry-after", headers)
        self.assertGreater(took, 1.4)
        self.assertLess(took, 2.2)
        for b in (1, 2, 3):
            self.kafka.command(f"rtt {b} 0")
        # at-least-once: the record the provider will retry may land anyway
        self.assertIn("slow-7", self.ids_in_kafka(expect=1))

    def test_produce_errors(self):
        # retriable: librdkafka retries within ack_timeout_ms and the answer is 200
        self.kafka.command(f"errors {APIKEY_PRODUCE} {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION} 2")
        self.assertEqual(self.bridge.post("/webhooks/mono", event(1, prefix="retried"))[0], 200)
        # a failed record is a 503 with Retry-After, never 200
        self.kafka.command(f"errors {APIKEY_PRODUCE} {RD_KAFKA_RESP_ERR_INVALID_RECORD} 1")
        status, headers, body = self.bridge.post("/webhooks/mono", event(2, prefix="refused"))
        self.assertEqual(status, 503, body)
        self.assertEqual(json.loads(body)["status"], "kafka_error")
        self.assertEqual(headers.get("retry-after"), "5")
        # over the topic's size limit: Kafka will never take it, so it is no 503 that makes the
        # provider retry for days but a permanent 413 (a raised limit lets a later retry in)
        self.kafka.command(f"errors {APIKEY_PRODUCE} {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE} 1")
        status, headers, body = self.bridge.post("/webhooks/mono", event(4, prefix="huge"))
        self.assertEqual(status, 413, body)
        self.assertEqual(json.loads(body)["status"], "record_too_large")
        self.assertNotIn("retry-after", headers)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(3, prefix="after"))[0], 200)
        ids = self.ids_in_kafka(expect=2)
        self.assertIn("retried-1", ids)
        self.assertIn("after-3", ids)
        self.assertNotIn("refused-2", ids)
        self.assertNotIn("huge-4", ids)
        _, _, metrics = self.bridge.admin("GET", "/metrics")
        self.assertRegex(metrics.decode(), r'webhook_bridge_kafka_records_failed_total\{topic="membership.account-events"\} [1-9]')

    def test_client_leaving_while_its_record_is_in_flight(self):
        import socket
        self.kafka.command("rtt 1 1000")
        self.kafka.command("rtt 2 1000")
        self.kafka.command("rtt 3 1000")
        body = event(8, prefix="gone")
        s = socket.create_connection(("127.0.0.1", self.bridge.port))
        s.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nmono-webhook-secret: " + ENV["MONO_WEBHOOK_SECRET"].encode()
                  + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(0.3)
        s.close()  # gone before Kafka answers
        time.sleep(1.5)
        for b in (1, 2, 3):
            self.kafka.command(f"rtt {b} 0")
        # nothing was acknowledged for longer than ack_timeout_ms, so readiness may have turned
        # false (the stall rule) until that record's late acknowledgement arrives
        self.assertTrue(wait_for(lambda: self.bridge.admin("GET", "/readyz")[0] == 200, 5))
        # the bridge is fine, counted it, and the record still landed
        self.assertEqual(self.bridge.post("/webhooks/mono", event(9, prefix="next"))[0], 200)
        # HTTP/1 in h2o 2.2.5 notices the close only when it writes the answer; if h2o frees the
        # request first the bridge counts it as client_gone: either way it is accounted once
        metrics = self.bridge.admin("GET", "/metrics")[2].decode()
        counts = {k: int(v) for k, v in re.findall(r'webhook_bridge_requests_total\{source="mono",outcome="(\w+)"\} (\d+)', metrics)}
        self.assertEqual(sum(counts.values()), 2, counts)
        self.assertIn("gone-8", self.ids_in_kafka(expect=2))

    def test_fan_out_waits_for_every_topic(self):
        # one of the two topics' partitions leader is slow: the answer waits for both
        body = event(5, prefix="fan", type_="direct_debit.payment_successful")
        self.assertEqual(self.bridge.post("/webhooks/mono", body)[0], 200)
        self.assertIn("fan-5", [json.loads(r.value)["event_id"] for r in self.consumer.read("payments.events", expect=1)])
        self.assertIn("fan-5", self.ids_in_kafka(expect=1))


class Overload(unittest.TestCase):
    def test_inflight_limit_answers_503_at_once(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        # ack_timeout_ms leaves room for the accepted records' partitions, all led by the one
        # broker, to take turns (one produce request in flight per connection by default)
        bridge = Bridge(config(kafka.bootstrap, ack_timeout_ms=9000, extra="max_inflight: 4"), env=ENV)
        try:
            kafka.command("rtt 1 1500")  # every request now waits ~1.5 s for Kafka
            results = []
            lock = threading.Lock()

            def one(i):
                t0 = time.time()
                status, _, body = bridge.post("/webhooks/mono", event(i, prefix="ovl"))
                with lock:
                    results.append((status, time.time() - t0, json.loads(body)["status"]))

            threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            ok = [r for r in results if r[0] == 200]
            refused = [r for r in results if r[0] == 503]
            self.assertEqual(len(ok) + len(refused), 12, results)
            self.assertLessEqual(len(ok), 4, results)
            self.assertGreaterEqual(len(refused), 8, results)
            for status, took, what in refused:
                self.assertEqual(what, "overloaded")
                self.assertLess(took, 1.0, "an overloaded answer must not wait for Kafka")
        finally:
            bridge.stop()
            kafka.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
