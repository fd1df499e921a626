"""What a client or a config author can put into the bridge's output: control bytes in event
attributes read from the JSON body (escaped as \\r, \\n, \\u0000, \\u001b) or an outsized
content-type never reach a Kafka header; short secrets are refused or warned about at load, and
the shipped provider examples carry no public default secret."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from edge import BRIDGE_BIN, ENV, TOPICS, Bridge, Consumer, MockKafka, config
from harness import SOURCE_DIR, headers_of


def text_ok(b):
    s = b.decode("utf-8")
    return all(0x20 <= ord(c) != 0x7f for c in s)


class Attributes(unittest.TestCase):
    def test_control_bytes_from_the_body_are_dead_lettered_with_safe_headers(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap), env=ENV)
        consumer = Consumer(kafka.bootstrap)
        try:
            bodies = [
                r'{"event":"mono.events.account_updated\r\nX-Injected: 1","event_id":"ctl-1"}',
                r'{"event":"mono.events.account_updated","event_id":"ctl-2\u0000"}',
                r'{"event":"mono.events.account_updated","event_id":"ctl-3","timestamp":"\u001b[2J"}',
                r'{"event":"mono.events.account_updated","event_id":"ctl-4","data":{"account":{"_id":"a\nb"}}}',
                '{"event":"%s","event_id":"ctl-5"}' % ("t" * 300),
            ]
            for b in bodies:
                status, _, answer = bridge.post("/webhooks/mono", b.encode(),
                                                headers={"content-type": "application/json;" + "x" * 4000})
                self.assertEqual(status, 200, answer)
                self.assertEqual(json.loads(answer)["status"], "dead_lettered")
            records = consumer.read("webhooks.dead-letter", expect=len(bodies))
            self.assertEqual(len(records), len(bodies))
            for r in records:
                h = headers_of(r)
                self.assertEqual(h["dead_letter_reason"], b"invalid_attribute")
                self.assertNotIn("content-type", h)  # 4 KB of it is not kept
                for name, value in h.items():
                    self.assertTrue(text_ok(value), (name, value))
                self.assertTrue(text_ok(r.key))
            self.assertEqual(consumer.end_offsets("membership.account-events"), 0)
        finally:
            consumer.close()
            bridge.stop()
            kafka.close()


class Secrets(unittest.TestCase):
    def check(self, secret, insecure=False):
        text = config("127.0.0.1:9092").replace("{port}", "8080").replace("{admin_port}", "9090")
        if insecure:
            text = text.replace("      secrets:", "      insecure: true\n      secrets:")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        try:
            p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", f.name],
                               env={**os.environ, "MONO_WEBHOOK_SECRET": secret},
                               capture_output=True, text=True, timeout=20)
            return p.returncode, p.stderr.replace(f.name, "FILE")
        finally:
            os.unlink(f.name)

    def test_short_secrets(self):
        code, err = self.check("abc123")
        self.assertEqual(code, 2)
        self.assertIn("FILE:18:17: sources.mono.verify.secrets[0]: a secret of 6 bytes is too short", err)
        self.assertNotIn("abc123", err)
        code, err = self.check("abc123", insecure=True)
        self.assertEqual(code, 0, err)
        self.assertIn("FILE:19:17: sources.mono.verify.secrets[0]: warning: a secret of 6 bytes is short", err)
        code, err = self.check("twelve-bytes")
        self.assertEqual(code, 0, err)
        self.assertIn("warning: a secret of 12 bytes is short; 16 or more are recommended", err)
        code, err = self.check("a-secret-of-24-bytes-ok!")
        self.assertEqual((code, err), (0, ""))

    def test_the_provider_examples_have_no_public_default_secret(self):
        for path in glob.glob(os.path.join(SOURCE_DIR, "config", "providers", "*.yaml")):
            with open(path) as f:
                text = f.read()
            for m in re.finditer(r"secrets: \[(.*)\]", text):
                self.assertRegex(m.group(1), r'^"\$\{[A-Z_]+\}"$', f"{path}: {m.group(0)}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
