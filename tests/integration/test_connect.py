"""`webhook-bridge --check-config --connect` against the mock cluster: one line per check, exit
0 when all pass, 1 naming what failed, 2 for an invalid config; an unreachable broker fails
within the bound with librdkafka's reason. (Authentication and ACLs: tests/kafka/test_connect.py
on the real cluster.)

This mock creates every topic a metadata request names, whatever the client asks; a broker with
auto-creation off answers UNKNOWN_TOPIC_OR_PART, which `topicerror NAME 3` makes it answer."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIDGE_BIN, MockKafka

CONFIG = """kafka:
  brokers: {bootstrap}
  create_topics: {create}
dead_letter_topic: webhooks.dead-letter
sources:
  mono:
    path: /webhooks/mono
    verify:
      scheme: shared-secret
      header: mono-webhook-secret
      secrets: ["connect-test-secret-value"]
    routes:
      mono.events.account_*: membership.accounts
      "*": {catch_all}
"""


def connect(bootstrap, catch_all="webhooks.unrouted", create="false", timeout=60):
    """(exit status, stdout lines, stderr, seconds taken)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(CONFIG.format(bootstrap=bootstrap, catch_all=catch_all, create=create))
    try:
        t = time.monotonic()
        p = subprocess.run([BRIDGE_BIN, "--check-config", "--connect", "--config", f.name],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout.replace(f.name, "FILE").splitlines(), p.stderr, time.monotonic() - t
    finally:
        os.unlink(f.name)


class Connect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=3)
        cls.kafka.create_topics(["membership.accounts", "webhooks.unrouted", "webhooks.dead-letter"], 6)
        cls.kafka.command("topicerror missing.topic 3")         # UNKNOWN_TOPIC_OR_PART
        cls.kafka.command("topicerror forbidden.topic 29")      # TOPIC_AUTHORIZATION_FAILED

    @classmethod
    def tearDownClass(cls):
        cls.kafka.close()

    def test_every_check_passes(self):
        code, out, err, _ = connect(self.kafka.bootstrap)
        self.assertEqual(code, 0, out + [err])
        self.assertEqual(out, [
            "ok   config FILE is valid (1 source, 3 topics)",
            "ok   brokers reachable (3 brokers, PLAINTEXT, no authentication)",
            "ok   topic membership.accounts exists (6 partitions, replication 3)",
            "ok   topic webhooks.unrouted exists (6 partitions, replication 3)",
            "ok   topic webhooks.dead-letter exists (6 partitions, replication 3)",
            "ok   idempotent producer id assigned (InitProducerId allowed)",
        ])

    def test_a_missing_topic_with_auto_creation_off_fails_naming_it(self):
        code, out, err, _ = connect(self.kafka.bootstrap, catch_all="missing.topic")
        self.assertEqual(code, 1, out + [err])
        self.assertIn("FAIL topic missing.topic does not exist, and kafka.create_topics is off: "
                      "create it (a KafkaTopic, kafka-topics.sh --create) or set kafka.create_topics: true", out)
        # the other checks still ran, and passed
        self.assertIn("ok   topic membership.accounts exists (6 partitions, replication 3)", out)
        self.assertEqual(out[-1], "ok   idempotent producer id assigned (InitProducerId allowed)")
        self.assertEqual(sum(line.startswith("FAIL") for line in out), 1, out)

    def test_a_topic_the_principal_may_not_describe_fails_as_not_authorized(self):
        code, out, err, _ = connect(self.kafka.bootstrap, catch_all="forbidden.topic")
        self.assertEqual(code, 1, out + [err])
        self.assertIn("FAIL topic forbidden.topic: not authorized (TOPIC_AUTHORIZATION_FAILED): this "
                      "principal may not describe it; it needs Write and Describe on the topic", out)

    def test_unreachable_broker_fails_within_the_bound(self):
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        code, out, err, took = connect(f"127.0.0.1:{port}")
        self.assertEqual(code, 1, out + [err])
        self.assertEqual(len(out), 2, out)  # no topic checks without a broker
        self.assertTrue(out[1].startswith(f"FAIL brokers 127.0.0.1:{port} not reachable within 10 s "
                                          "(PLAINTEXT, no authentication): "), out)
        self.assertIn("Connection refused", out[1])
        self.assertLess(took, 15)

    def test_invalid_config_exits_2_without_connecting(self):
        code, out, err, _ = connect(self.kafka.bootstrap, catch_all="'bad topic'")
        self.assertEqual((code, out), (2, []))
        self.assertRegex(err, r"\.yaml:14:\d+: sources\.mono\.routes")

    def test_embedded_has_nothing_to_connect_to(self):
        code, out, err, _ = connect("embedded")
        self.assertEqual(code, 0, out + [err])
        self.assertEqual(out[1], "ok   kafka.brokers is embedded: the in-process cluster, nothing to connect to")


if __name__ == "__main__":
    unittest.main(verbosity=2)
