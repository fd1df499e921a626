"""Item 7 of issue 11: the bridge over SASL_SSL (TLS with the cluster's own CA, SASL login).

- PLAIN over SASL_SSL with ssl.ca.location: the bridge connects and delivers;
- a wrong password keeps /readyz at 503, saying it is an authentication failure, with a log line
  naming it, and neither holds a password;
- --check-config reports a missing ssl.ca.location file at that property's line;
- SCRAM-SHA-512: the cluster's credential works with Kafka's own Java client, librdkafka 2.0.2
  (kcat) is refused with the same one by this Kafka 4.x cluster, and --check-config warns at the
  setting's line saying why (3.x brokers accept it).
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realkafka import HERE, RealKafka, bridge_config  # noqa: E402

from common import ENV, event  # noqa: E402
from harness import BRIDGE_BIN, Bridge, Consumer  # noqa: E402


def sasl_props(kafka, mechanism="PLAIN", ca=None):
    return (f"    security.protocol: SASL_SSL\n"
            f"    sasl.mechanisms: {mechanism}\n"
            f"    sasl.username: {kafka.user}\n"
            f"    sasl.password: \"${{KAFKA_PASSWORD}}\"\n"
            f"    ssl.ca.location: {ca or kafka.ca}\n")


def check_config(text, env):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bridge.yaml")
        with open(path, "w") as f:
            f.write(text.replace("{port}", "18080").replace("{admin_port}", "19090"))
        r = subprocess.run([BRIDGE_BIN, "--check-config", "--config", path], capture_output=True,
                           text=True, timeout=30, env=dict(os.environ, **env))
        return r.returncode, r.stdout, r.stderr, text.replace("{port}", "18080").splitlines()


def line_of(lines, needle):
    return next(i + 1 for i, line in enumerate(lines) if needle in line)


class SaslSsl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = RealKafka()
        cls.kafka.ensure_all_up()
        cls.topic = f"sasl-{uuid.uuid4().hex[:8]}"
        cls.kafka.create_topics([cls.topic])

    def config(self, **kw):
        return bridge_config(self.kafka.sasl_ssl, {"*": self.topic}, librdkafka=sasl_props(self.kafka, **kw))

    def test_plain_over_sasl_ssl_delivers(self):
        env = dict(ENV, KAFKA_PASSWORD=self.kafka.password())
        bridge = Bridge(self.config(), env=env)
        try:
            body = event(1, prefix=self.topic)
            self.assertEqual(bridge.post("/webhooks/mono", body)[0], 200)
            consumer = Consumer(self.kafka.bootstrap)
            try:
                self.assertIn(body, [r.value for r in consumer.read(self.topic, expect=1)])
            finally:
                consumer.close()
            self.assertNotIn(self.kafka.password(), bridge.logs())
        finally:
            self.assertEqual(bridge.stop(), 0)

    def test_wrong_password_keeps_readyz_503_and_says_authentication(self):
        wrong = "wrong-" + uuid.uuid4().hex
        bridge = Bridge(self.config(), env=dict(ENV, KAFKA_PASSWORD=wrong), wait_ready=False)
        try:
            deadline = time.time() + 8
            bodies = set()
            while time.time() < deadline:
                try:
                    status, _, body = bridge.admin("GET", "/readyz")
                except OSError:
                    time.sleep(0.2)
                    continue
                self.assertEqual(status, 503, "never ready with a wrong password")
                bodies.add(body.decode())
                time.sleep(0.2)
            self.assertIsNone(bridge.proc.poll())
            last = sorted(bodies)[-1]
            self.assertIn("_AUTHENTICATION", "".join(bodies), bodies)
            self.assertIn("Authentication failed", "".join(bodies), bodies)
            status, headers, _ = bridge.post("/webhooks/mono", event(2, prefix=self.topic))
            self.assertEqual(status, 503)
            self.assertIn("retry-after", headers)
            logs = bridge.logs()
            auth = [r for r in bridge.log_records() if "Authentication failed" in str(r)]
            self.assertTrue(auth, logs[-2000:])
            for text in [logs] + list(bodies):
                self.assertNotIn(wrong, text)
                self.assertNotIn(self.kafka.password(), text)
            print(f"\nwrong password: /readyz {last.strip()!r}", file=sys.stderr)
        finally:
            bridge.stop()

    def test_check_config_reports_a_missing_ca_file_at_its_line(self):
        missing = f"/nonexistent/{uuid.uuid4().hex}/ca.pem"
        rc, out, err, lines = check_config(self.config(ca=missing), dict(ENV, KAFKA_PASSWORD="x" * 16))
        self.assertEqual(rc, 2, out + err)
        want = line_of(lines, "ssl.ca.location")
        self.assertRegex(err, rf"bridge\.yaml:{want}:\d+: kafka\.librdkafka\.ssl\.ca\.location: "
                              rf"cannot read \"{re.escape(missing)}\": No such file or directory")
        # the same config with the real CA passes
        rc, out, err, _ = check_config(self.config(), dict(ENV, KAFKA_PASSWORD="x" * 16))
        self.assertEqual(rc, 0, err)

    def test_scram_works_on_the_cluster_but_not_with_this_librdkafka(self):
        with open(os.path.join(self.kafka.dir, "classpath")) as f:
            classpath = f.read().strip()
        node_dir = tempfile.mkdtemp(prefix="scram-login-")
        java = subprocess.run(
            ["java", f"-Dnode.dir={node_dir}",
             f"-Dlog4j2.configurationFile={os.path.join(self.kafka.dir, 'log4j2.properties')}",
             "-cp", classpath, os.path.join(HERE, "ScramLogin.java"), self.kafka.sasl_ssl,
             self.kafka.user, self.kafka.password_file, self.kafka.ca],
            capture_output=True, text=True, timeout=120)
        self.assertIn("brokers 3", java.stdout, java.stderr[-2000:])

        kcat = subprocess.run(
            ["kcat", "-L", "-b", self.kafka.sasl_ssl.split(",")[0], "-m", "5",
             "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
             "-X", f"sasl.username={self.kafka.user}", "-X", f"sasl.password={self.kafka.password()}",
             "-X", f"ssl.ca.location={self.kafka.ca}"],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(kcat.returncode, 0)
        self.assertIn("invalid credentials", kcat.stderr)

        # a warning at its line, not an error: Kafka 3.x brokers accept librdkafka 2.0's login
        rc, out, err, lines = check_config(self.config(mechanism="SCRAM-SHA-512"),
                                           dict(ENV, KAFKA_PASSWORD="x" * 16))
        self.assertEqual(rc, 0, out + err)
        want = line_of(lines, "sasl.mechanisms")
        self.assertRegex(err, rf"bridge\.yaml:{want}:\d+: kafka\.librdkafka\.sasl\.mechanisms: "
                              rf"warning: SCRAM-SHA-512 with librdkafka 2\.0\.\d+ \(before 2\.6\.1\)")
        self.assertIn("Kafka 4.x brokers refuse every login", err)
        self.assertIn("PLAIN over SASL_SSL", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
