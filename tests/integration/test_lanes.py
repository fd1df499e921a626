"""Several idempotent producers (kafka.producers) share the partitions: the bridge picks each
record's partition with librdkafka's own partitioner, so a key lands on the same partition as
with one producer (CRC-32 of the key modulo the partition count, librdkafka's default
consistent_random), keeps it, and keeps its order; the count comes from the metadata (one per 5
partitions one broker leads) unless set."""
import json
import os
import re
import sys
import threading
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config
from harness import Bridge, Consumer, MockKafka, wait_for

TOPIC = "membership.account-events"


def body(key, seq):
    return json.dumps({"event": "mono.events.account_updated", "event_id": f"{key}-{seq}",
                       "data": {"account": {"_id": key}, "seq": seq}}).encode()


class Lanes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=3)
        cls.kafka.create_topics([t for t in TOPICS if t != TOPIC])
        cls.kafka.create_topics([TOPIC], partitions=12)
        for p in range(12):  # spread, as a balanced cluster has them: 4 per broker
            cls.kafka.command(f"leader {TOPIC} {p} {p % 3 + 1}")
        cls.consumer = Consumer(cls.kafka.bootstrap)

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.kafka.close()

    def run_load(self, bridge, keys, per_key, prefix):
        """Four clients, each owning a quarter of the keys, post each key's events in order."""
        failures = []

        def client(mine):
            for seq in range(per_key):
                for k in mine:
                    status = bridge.post("/webhooks/mono", body(k, seq))[0]
                    if status != 200:
                        failures.append((k, seq, status))
        names = [f"{prefix}-acc-{i}" for i in range(keys)]
        threads = [threading.Thread(target=client, args=(names[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(failures, [])
        return names

    def check_records(self, names, per_key):
        records = [r for r in self.consumer.read_to_end(TOPIC) if r.key.decode().startswith(names[0].rsplit("-", 1)[0] + "-")]
        by_key = {}
        for r in sorted(records, key=lambda r: (r.partition, r.offset)):
            by_key.setdefault(r.key.decode(), []).append(r)
        self.assertEqual(sorted(by_key), sorted(names))
        for key, recs in by_key.items():
            self.assertEqual({r.partition for r in recs}, {zlib.crc32(key.encode()) % 12}, key)
            seqs = [json.loads(r.value)["data"]["seq"] for r in recs]
            self.assertEqual(seqs, list(range(per_key)), f"{key}: order per key")

    def test_automatic_count_from_the_metadata(self):
        """One producer has 5 requests in flight per broker: 4 partitions per leader need one."""
        bridge = Bridge(config(self.kafka.bootstrap).replace(
            "  librdkafka:", "  producers: 0\n  librdkafka:"), env=ENV)
        try:
            started = [r for r in bridge.log_records() if r["msg"] == "kafka producers started"]
            self.assertEqual(len(started), 1)
            self.assertEqual(started[0]["producers"], 1)  # 12 partitions over 3 leaders
            self.assertEqual(started[0]["partitions_per_leader"], 4)
            names = self.run_load(bridge, keys=40, per_key=5, prefix="auto")
            self.check_records(names, 5)
        finally:
            bridge.stop()

    def test_automatic_count_with_one_leader(self):
        """12 partitions on one broker: 3 producers of 5 requests in flight, each its thread."""
        kafka = MockKafka(brokers=3)
        consumer = Consumer(kafka.bootstrap)
        try:
            kafka.create_topics([t for t in TOPICS if t != TOPIC])
            kafka.create_topics([TOPIC], partitions=12)
            for p in range(12):
                kafka.command(f"leader {TOPIC} {p} 1")
            bridge = Bridge(config(kafka.bootstrap).replace(
                "  librdkafka:", "  producers: 0\n  librdkafka:"), env=ENV)
            try:
                started = [r for r in bridge.log_records() if r["msg"] == "kafka producers started"]
                self.assertEqual(started[0]["producers"], 3)
                self.assertEqual(started[0]["partitions_per_leader"], 12)
                comms = set()
                for tid in os.listdir(f"/proc/{bridge.proc.pid}/task"):
                    with open(f"/proc/{bridge.proc.pid}/task/{tid}/comm") as f:
                        comms.add(f.read().strip())
                self.assertTrue({"kafka-poll", "kafka-poll-1", "kafka-poll-2"} <= comms, comms)
                self.assertNotIn("kafka-poll-3", comms)
                names = self.run_load(bridge, keys=40, per_key=5, prefix="one-leader")
                saved, self.consumer = self.consumer, consumer
                try:
                    self.check_records(names, 5)
                finally:
                    self.consumer = saved
            finally:
                bridge.stop()
        finally:
            consumer.close()
            kafka.close()

    def test_one_producer_puts_keys_on_the_same_partitions(self):
        bridge = Bridge(config(self.kafka.bootstrap, extra="").replace(
            "  librdkafka:", "  producers: 1\n  librdkafka:"), env=ENV)
        try:
            started = [r for r in bridge.log_records() if r["msg"] == "kafka producers started"]
            self.assertEqual(started[0]["producers"], 1)
            names = self.run_load(bridge, keys=24, per_key=3, prefix="one")
            self.check_records(names, 3)
            metrics = bridge.admin("GET", "/metrics")[2].decode()
            self.assertRegex(metrics, r"(?m)^webhook_bridge_kafka_producer_ready 1$")
        finally:
            bridge.stop()

    def test_every_producer_must_be_ready(self):
        bridge = Bridge(config(self.kafka.bootstrap, extra="").replace(
            "  librdkafka:", "  producers: 3\n  librdkafka:"), env=ENV)
        try:
            for b in (1, 2, 3):
                self.kafka.command(f"down {b}")
            self.assertTrue(wait_for(lambda: bridge.admin("GET", "/readyz")[0] == 503, 10))
            status, _, _ = bridge.post("/webhooks/mono", body("down-acc", 0))
            self.assertEqual(status, 503)
            for b in (1, 2, 3):
                self.kafka.command(f"up {b}")
            self.assertTrue(wait_for(lambda: bridge.admin("GET", "/readyz")[0] == 200, 20))
            self.assertEqual(bridge.post("/webhooks/mono", body("up-acc", 0))[0], 200)
        finally:
            bridge.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
