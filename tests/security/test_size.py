"""Record size: a body that max_body_bytes accepts must fit in a Kafka record with its key and
headers, or every retry of it fails. librdkafka's message.max.bytes is set to fit (an operator's
smaller value is refused at load, at its line), and a record Kafka still refuses as too large is
a permanent 413 record_too_large, never a 503 that makes the provider retry for days."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from edge import BRIDGE_BIN, ENV, TOPICS, Bridge, Consumer, MockKafka, config, event


def body_of(size):
    """A Mono-shaped body of exactly `size` bytes."""
    base = json.loads(event(1, prefix="big"))
    base["data"]["pad"] = ""
    text = json.dumps(base, separators=(",", ":"))
    base["data"]["pad"] = "x" * (size - len(text))
    out = json.dumps(base, separators=(",", ":")).encode()
    assert len(out) == size
    return out


class RecordSize(unittest.TestCase):
    def test_a_body_near_max_body_bytes_reaches_kafka(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap, ack_timeout_ms=5000), env=ENV)
        consumer = Consumer(kafka.bootstrap)
        try:
            # 1,040,000 bytes: over librdkafka's own default message.max.bytes (1,000,000),
            # which answered 503 on every try before it was raised to fit max_body_bytes
            body = body_of(1_040_000)
            status, headers, answer = bridge.post("/webhooks/mono", body)
            self.assertEqual(status, 200, answer)
            values = [r.value for r in consumer.read("membership.account-events", expect=1)]
            self.assertIn(body, values)
        finally:
            consumer.close()
            bridge.stop()
            kafka.close()

    def test_a_record_over_the_limit_is_a_permanent_413(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        # structured mode re-encodes the body: 1e2 becomes 100.0, so the record outgrows a body
        # that fits max_body_bytes, and message.max.bytes set to the least the check allows
        cfg = config(kafka.bootstrap, extra="max_body_bytes: 100000",
                     source_extra="    format: structured").replace(
            "    reconnect.backoff.max.ms: 500", "    reconnect.backoff.max.ms: 500\n    message.max.bytes: 116384")
        bridge = Bridge(cfg, env=ENV)
        consumer = Consumer(kafka.bootstrap)
        try:
            numbers = ",".join(["1e2"] * 24000)
            body = ('{"event":"mono.events.account_updated","event_id":"grows-1","data":{"n":[%s]}}'
                    % numbers).encode()
            self.assertLess(len(body), 100000)
            for _ in range(2):  # the same answer on a retry: it is permanent
                status, headers, answer = bridge.post("/webhooks/mono", body)
                self.assertEqual(status, 413, answer)
                self.assertEqual(json.loads(answer)["status"], "record_too_large")
                self.assertNotIn("retry-after", headers)
            self.assertEqual(bridge.post("/webhooks/mono", event(2, prefix="small"))[0], 200)
            metrics = bridge.admin("GET", "/metrics")[2].decode()
            self.assertIn('webhook_bridge_requests_total{source="mono",outcome="record_too_large"} 2', metrics)
            self.assertTrue(any(r["msg"] == "produce failed" and r.get("value_bytes", 0) > 100000
                                for r in bridge.log_records()))
        finally:
            consumer.close()
            bridge.stop()
            kafka.close()

    def test_a_message_max_bytes_too_small_is_refused_at_its_line(self):
        cfg = config("127.0.0.1:9092").replace(
            "    reconnect.backoff.max.ms: 500", "    reconnect.backoff.max.ms: 500\n    message.max.bytes: 1000000")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(cfg.replace("{port}", "8080").replace("{admin_port}", "9090"))
        try:
            p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", f.name], env={**os.environ, **ENV},
                               capture_output=True, text=True, timeout=20)
            line = 1 + cfg.splitlines().index("    message.max.bytes: 1000000")
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(f"{f.name}:{line}:5: kafka.librdkafka.message.max.bytes: 1000000 leaves no room "
                          "for a body of max_body_bytes (1048576) with its key and headers: set it to at "
                          "least 1064960, or lower max_body_bytes", p.stderr)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
