"""Item 2 of issue 11: kafka.create_topics on the real cluster (CreateTopics, which the mock
cluster does not validate like a broker does). Missing routed topics are created at start with
the configured partitions and replication factor; an existing topic keeps its own; a topic the
cluster refuses (replication 5 on 3 brokers) stops the start with an error naming the topic."""
import json
import os
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realkafka import RealKafka, bridge_config  # noqa: E402

from common import ENV, event  # noqa: E402
from harness import BRIDGE_BIN, Bridge, Consumer  # noqa: E402


def layout(kafka, topic):
    """(partitions, replicas per partition) as the cluster reports them."""
    md = kafka.metadata(topic)
    reps = {len(p["replicas"]) for p in md["partitions"]}
    assert len(reps) == 1, md
    return len(md["partitions"]), reps.pop()


class CreateTopics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = RealKafka()

    def test_missing_topics_are_created_and_existing_ones_left_alone(self):
        run = uuid.uuid4().hex[:8]
        new_a, new_b, existing = f"ct-{run}.a", f"ct-{run}.b", f"ct-{run}.existing"
        self.kafka.create_topics([existing], partitions=2, replication=2)
        before = self.kafka.existing_topics()
        self.assertNotIn(new_a, before)
        self.assertNotIn(new_b, before)
        cfg = bridge_config(self.kafka.bootstrap,
                            {"mono.events.account_connected": f"[{new_a}, {existing}]", "*": new_b},
                            extra="").replace(
            "  librdkafka:", "  create_topics: true\n  topic_partitions: 4\n  topic_replication: 3\n  librdkafka:")
        bridge = Bridge(cfg, env=ENV)
        try:
            self.assertEqual(layout(self.kafka, new_a), (4, 3))
            self.assertEqual(layout(self.kafka, new_b), (4, 3))
            self.assertEqual(layout(self.kafka, existing), (2, 2), "an existing topic must be left as it is")
            created = sorted(r["topic"] for r in bridge.log_records() if r["msg"] == "topic created")
            self.assertEqual(created, sorted([new_a, new_b]))
            # created topics take a record of the largest body max_body_bytes accepts (with its
            # key and headers): over the broker's default max.message.bytes, it was a 413
            from kafka.admin import ConfigResource, ConfigResourceType
            admin = self.kafka.admin()
            try:
                described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, new_b)])
            finally:
                admin.close()
            configs = {c[0]: c[1] for c in described[0].resources[0][4]}
            self.assertEqual(configs["max.message.bytes"], str(1048576 + 16384))
            big = json.dumps({"event": "mono.events.account_updated", "event_id": f"{run}-big",
                              "data": {"pad": "x" * 1048000}}).encode()
            self.assertEqual(bridge.post("/webhooks/mono", big)[0], 200)
            # and the bridge publishes to them at once
            body = event(1, prefix=run, type_="mono.events.account_connected")
            self.assertEqual(bridge.post("/webhooks/mono", body)[0], 200)
            consumer = Consumer(self.kafka.bootstrap)
            try:
                for t in (new_a, existing):
                    self.assertEqual([r.value for r in consumer.read(t, expect=1)], [body], t)
            finally:
                consumer.close()
        finally:
            self.assertEqual(bridge.stop(), 0)
        # a second start finds them all and creates nothing
        bridge = Bridge(cfg, env=ENV)
        try:
            self.assertFalse([r for r in bridge.log_records() if r["msg"] == "topic created"])
        finally:
            bridge.stop()

    def test_a_topic_the_cluster_refuses_stops_the_start_naming_it(self):
        run = uuid.uuid4().hex[:8]
        topic = f"ct-{run}.refused"
        cfg = bridge_config(self.kafka.bootstrap, {"*": topic}).replace(
            "  librdkafka:", "  create_topics: true\n  topic_replication: 5\n  librdkafka:")
        bridge = Bridge(cfg, env=ENV, wait_ready=False)
        try:
            rc = bridge.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            bridge.stop()
            self.fail("the bridge started although its topic cannot be created")
        logs = bridge.logs()
        bridge.stop()
        self.assertEqual(rc, 2, logs)
        err = [json.loads(line) for line in logs.splitlines() if '"cannot start"' in line]
        self.assertEqual(len(err), 1, logs)
        msg = err[0]["error"]
        self.assertIn(f'topic "{topic}"', msg)
        self.assertIn("kafka.create_topics", msg)
        self.assertRegex(msg.lower(), r"replication factor")
        self.assertNotIn(topic, self.kafka.existing_topics())
        print(f"\nrefused topic: {msg}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
