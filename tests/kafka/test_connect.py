"""Issue 14: `webhook-bridge --check-config --connect` on the real cluster, over SASL_SSL (PLAIN,
the cluster's CA):

- good credentials: every check passes (3 brokers, the login named, each topic's layout, the
  producer id), exit 0;
- a wrong password: exit 1 at once, naming the authentication failure, never the password;
- a topic the user has no ACL for (the cluster runs StandardAuthorizer; the user `bridge` may do
  whatever no ACL restricts, cluster.sh): FAIL naming it, TOPIC_AUTHORIZATION_FAILED;
- a missing topic: FAIL with kafka.create_topics off; with it on, the cluster's validate-only
  CreateTopics says ok for a layout it accepts (and nothing is created) and names its reason
  for one it refuses (replication 5 on 3 brokers).
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realkafka import RealKafka, bridge_config  # noqa: E402
from test_sasl import sasl_props  # noqa: E402

from common import ENV  # noqa: E402
from harness import BRIDGE_BIN  # noqa: E402

from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ResourcePattern,  # noqa: E402
                         ResourceType)


def connect(text, env, timeout=60):
    """(exit status, stdout lines, stderr, seconds)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bridge.yaml")
        with open(path, "w") as f:
            f.write(text.replace("{port}", "18080").replace("{admin_port}", "19090"))
        t = time.monotonic()
        r = subprocess.run([BRIDGE_BIN, "--check-config", "--connect", "--config", path],
                           capture_output=True, text=True, timeout=timeout, env=dict(os.environ, **env))
        return r.returncode, r.stdout.splitlines(), r.stderr, time.monotonic() - t


class Connect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = RealKafka()
        cls.kafka.ensure_all_up()
        tag = uuid.uuid4().hex[:8]
        cls.topic = f"connect-{tag}"
        cls.forbidden = f"connect-forbidden-{tag}"
        cls.kafka.create_topics([cls.topic, cls.forbidden])
        # An ACL on the topic for someone else: the "no ACL found" rule no longer lets `bridge`
        # in, so it may neither describe nor write it (the principal of PLAINTEXT, ANONYMOUS, is
        # a super user: this admin client is not affected).
        admin = cls.kafka.admin()
        try:
            acl = ACL(principal="User:someone-else", host="*", operation=ACLOperation.WRITE,
                      permission_type=ACLPermissionType.ALLOW,
                      resource_pattern=ResourcePattern(ResourceType.TOPIC, cls.forbidden))
            result = admin.create_acls([acl])
            assert not result["failed"], result
        finally:
            admin.close()
        cls.env = dict(ENV, KAFKA_PASSWORD=cls.kafka.password())

    def config(self, routes, create_topics=None, replication=3):
        text = bridge_config(self.kafka.sasl_ssl, routes, librdkafka=sasl_props(self.kafka))
        if create_topics is not None:
            text = text.replace("kafka:\n", f"kafka:\n  create_topics: {create_topics}\n"
                                f"  topic_partitions: 3\n  topic_replication: {replication}\n", 1)
        return text

    def test_good_credentials_pass_every_check(self):
        code, out, err, _ = connect(self.config({"*": self.topic}), self.env)
        self.assertEqual(code, 0, out + [err])
        self.assertEqual(out[1:], [
            "ok   brokers reachable (3 brokers, SASL_SSL, PLAIN as bridge)",
            f"ok   topic {self.topic} exists (3 partitions, replication 3)",
            "ok   idempotent producer id assigned (InitProducerId allowed)",
        ])
        self.assertNotIn(self.kafka.password(), "\n".join(out) + err)

    def test_wrong_password_names_the_authentication_failure_not_the_password(self):
        wrong = "wrong-" + uuid.uuid4().hex
        code, out, err, took = connect(self.config({"*": self.topic}), dict(self.env, KAFKA_PASSWORD=wrong))
        self.assertEqual(code, 1, out + [err])
        self.assertEqual(len(out), 2, out)
        self.assertTrue(out[1].startswith("FAIL brokers: authentication failed (SASL_SSL, PLAIN as bridge): "), out)
        self.assertIn("Authentication failed: Invalid username or password", out[1])
        self.assertLess(took, 10)  # an authentication failure ends the wait at once
        for text in out + [err]:
            self.assertNotIn(wrong, text)
            self.assertNotIn(self.kafka.password(), text)
        print(f"\nwrong password: {out[1]!r} ({took:.1f} s)", file=sys.stderr)

    def test_a_topic_the_user_may_not_write_is_named(self):
        code, out, err, _ = connect(self.config({"mono.*": self.topic, "*": self.forbidden}), self.env)
        self.assertEqual(code, 1, out + [err])
        self.assertIn(f"ok   topic {self.topic} exists (3 partitions, replication 3)", out)
        self.assertIn(f"FAIL topic {self.forbidden}: not authorized (TOPIC_AUTHORIZATION_FAILED): this principal "
                      "may not describe it; it needs Write and Describe on the topic", out)

    def test_missing_topics_fail_unless_create_topics_may_create_them(self):
        missing = f"connect-missing-{uuid.uuid4().hex[:8]}"
        routes = {"mono.*": self.topic, "*": missing}
        code, out, err, _ = connect(self.config(routes), self.env)
        self.assertEqual(code, 1, out + [err])
        self.assertIn(f"FAIL topic {missing} does not exist, and kafka.create_topics is off: create it "
                      "(a KafkaTopic, kafka-topics.sh --create) or set kafka.create_topics: true", out)

        code, out, err, _ = connect(self.config(routes, create_topics="true"), self.env)
        self.assertEqual(code, 0, out + [err])
        self.assertIn(f"ok   topic {missing} does not exist; kafka.create_topics creates it at start "
                      "(3 partitions, replication 3: the cluster accepts it)", out)
        self.assertNotIn(missing, self.kafka.existing_topics())  # validate-only: nothing created

        code, out, err, _ = connect(self.config(routes, create_topics="true", replication=5), self.env)
        self.assertEqual(code, 1, out + [err])
        line = next(x for x in out if missing in x)
        self.assertTrue(line.startswith(f"FAIL topic {missing} does not exist and kafka.create_topics cannot "
                                        "create it: INVALID_REPLICATION_FACTOR: "), line)
        self.assertIn("only 3 broker(s) are registered", line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
