"""Dead letters a service can act on (issue 15): they are CloudEvents that keep what a replay
needs and never an authentication header; `webhook-bridge replay` decides them again under a
fixed config, produces the ones now routed with their original ce_id and ce_time, leaves the
others, resumes where it stopped, and --dry-run changes nothing. Also: an event time that is not
a time is replaced by the receive time, counted and logged. Against the mock cluster in another
process, read back with kafka-python."""
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BRIDGE_BIN, SECRET, Bridge, Consumer, MockKafka, fixture, headers_of,
                     render_config)

GH_SECRET = "it-github-secret-5e1b7d"
DLQ = "webhooks.dead-letter"
TOPICS = ["membership.account-connected", "payments.payment-succeeded", "github.push",
          "github.issues", DLQ]
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

CONFIG = """\
listen: 127.0.0.1:{port}
admin_listen: 127.0.0.1:{admin_port}
threads: 1
drain_delay_ms: 0
kafka:
  brokers: {bootstrap}
dead_letter_topic: webhooks.dead-letter
sources:
  mono:
    path: /webhooks/mono
    verify:
      scheme: shared-secret
      header: mono-webhook-secret
      secrets: ["${MONO_WEBHOOK_SECRET}"]
    event:
      key: [/data/account/_id, /data/object/account/_id, /data/id]
    routes:
      mono.events.account_connected: membership.account-connected
{mono_routes}
  github:
    path: /webhooks/github
    verify:
      scheme: hmac
      header: x-hub-signature-256
      prefix: "sha256="
      secrets: ["${GITHUB_WEBHOOK_SECRET}"]
    event:
      type: x-github-event
      id: x-github-delivery
      time: /head_commit/timestamp
      key: [/repository/full_name]
      keep_headers: [x-github-event, x-github-delivery]
    routes:
      push: github.push
{github_routes}
"""
FIXED = {"mono_routes": "      direct_debit.payment_successful: payments.payment-succeeded",
         "github_routes": "      issues: github.issues"}
ENV = {"MONO_WEBHOOK_SECRET": SECRET, "GITHUB_WEBHOOK_SECRET": GH_SECRET}


def config(bootstrap, fixed):
    routes = FIXED if fixed else {"mono_routes": "", "github_routes": ""}
    return render_config(CONFIG, bootstrap=bootstrap, **routes)


def github_headers(body, event, delivery):
    sig = hmac.new(GH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"x-github-event": event, "x-github-delivery": delivery,
            "x-hub-signature-256": "sha256=" + sig, "content-type": "application/json"}


class Replay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=3)
        cls.kafka.create_topics(TOPICS)
        cls.bridge = Bridge(config(cls.kafka.bootstrap, fixed=False), env=ENV)
        cls.consumer = Consumer(cls.kafka.bootstrap)
        cls.dir = tempfile.mkdtemp(prefix="replay-it-")
        cls.fixed_config = os.path.join(cls.dir, "fixed.yaml")
        with open(cls.fixed_config, "w") as f:
            f.write(render_config(config(cls.kafka.bootstrap, fixed=True), port=1, admin_port=2))

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.bridge.stop()
        cls.kafka.close()

    def replay(self, *args, group=None):
        cmd = [BRIDGE_BIN, "replay", "--config", self.fixed_config, "--from", DLQ, *args]
        if group:
            cmd += ["--group", group]
        env = dict(os.environ, **ENV)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        return p.returncode, p.stdout, p.stderr

    def test_1_dead_letters_replayed_after_the_fix(self):
        # three dead letters under the first config, one routed webhook
        debit = fixture("direct_debit.payment_successful.json")
        self.assertEqual(self.bridge.post("/webhooks/mono", debit)[0], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", b"not json at all")[0], 200)
        issue = b'{"action":"opened","issue":{"number":7},"repository":{"full_name":"octo/hello"}}'
        status, _, resp = self.bridge.post("/webhooks/github", issue, secret=None,
                                           headers=github_headers(issue, "issues", "gh-del-1"))
        self.assertEqual(status, 200, resp)
        self.assertEqual(json.loads(resp)["status"], "dead_lettered")
        self.assertEqual(self.bridge.post("/webhooks/mono", fixture("mono.events.account_connected.json"))[0], 200)

        dead = self.consumer.read(DLQ, expect=3)
        self.assertEqual(len(dead), 3)
        by_value = {r.value: headers_of(r) for r in dead}
        h = by_value[issue]
        # a CloudEvent, with what a replay needs, and no authentication header
        self.assertEqual(h["ce_specversion"], b"1.0")
        self.assertEqual(h["ce_id"], b"gh-del-1")
        self.assertEqual(h["ce_source"], b"/webhook-bridge/github")
        self.assertEqual(h["ce_type"], b"issues")
        self.assertRegex(h["ce_time"].decode(), RFC3339_MS)
        self.assertEqual(h["dead_letter_reason"], b"unrouted")
        self.assertEqual(h["dead_letter_path"], b"/webhooks/github")
        self.assertEqual(h["dead_letter_verified"], b"hmac")
        self.assertEqual(h["content-type"], b"application/json")
        self.assertEqual(h["x-github-event"], b"issues")
        self.assertEqual(h["x-github-delivery"], b"gh-del-1")
        self.assertNotIn("x-hub-signature-256", h)
        for r in dead:
            for k, v in r.headers:
                self.assertNotIn(SECRET.encode(), v)
                self.assertNotIn(b"sha256=", v)
                self.assertNotEqual(k, "mono-webhook-secret")
        self.assertEqual(by_value[b"not json at all"]["dead_letter_reason"], b"invalid_json")
        self.assertNotIn("ce_type", by_value[b"not json at all"])
        debit_dl = by_value[debit]
        self.assertEqual(debit_dl["ce_type"], b"direct_debit.payment_successful")

        # the dry run prints what would happen and changes nothing
        code, out, err = self.replay("--dry-run")
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"would_replay\s+2\s+github.issues 1, payments.payment-succeeded 1")
        self.assertRegex(out, r"still_dead\s+1\s+invalid_json 1")
        self.assertIn("dry run of webhooks.dead-letter (group webhook-bridge-replay): 3 records read", out)
        self.assertEqual(self.consumer.end_offsets("payments.payment-succeeded"), 0)
        self.assertEqual(self.consumer.end_offsets("github.issues"), 0)

        # the replay produces the two now routed, with their original id, time and key
        code, out, err = self.replay()
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"replayed\s+2\s+github.issues 1, payments.payment-succeeded 1")
        self.assertRegex(out, r"still_dead\s+1\s+invalid_json 1")
        paid = self.consumer.read("payments.payment-succeeded", expect=1)
        self.assertEqual(len(paid), 1)
        self.assertEqual(paid[0].value, debit)
        ph = headers_of(paid[0])
        self.assertEqual(ph["ce_id"], debit_dl["ce_id"])
        self.assertEqual(ph["ce_time"], debit_dl["ce_time"])
        self.assertEqual(ph["ce_time"], json.loads(debit)["timestamp"].encode())
        self.assertEqual(ph["ce_type"], b"direct_debit.payment_successful")
        self.assertEqual(paid[0].key, ph["ce_partitionkey"])
        self.assertEqual(ph["ce_partitionkeyfrom"], b"/data/object/account/_id")
        issues = self.consumer.read("github.issues", expect=1)
        self.assertEqual(len(issues), 1)
        ih = headers_of(issues[0])
        self.assertEqual(ih["ce_id"], b"gh-del-1")
        # no time in the body: the receive time at arrival, not the time of the replay
        self.assertEqual(ih["ce_time"], h["ce_time"])
        self.assertEqual(issues[0].key, b"octo/hello")
        self.assertNotIn("dead_letter_reason", ih)
        self.assertNotIn("x-github-event", ih)

        # a second run resumes where the first stopped: nothing again
        code, out, err = self.replay()
        self.assertEqual(code, 0, out + err)
        self.assertIn("0 records read", out)
        self.assertEqual(self.consumer.end_offsets("payments.payment-succeeded"), 1)

        # a new dead letter is the only one the next run reads
        body = b'{"action":"closed","repository":{"full_name":"octo/hello"}}'
        self.bridge.post("/webhooks/github", body, secret=None,
                         headers=github_headers(body, "issues", "gh-del-2"))
        self.assertEqual(len(self.consumer.read(DLQ, expect=4)), 4)
        code, out, err = self.replay()
        self.assertEqual(code, 0, out + err)
        self.assertIn("1 record read", out)
        self.assertRegex(out, r"replayed\s+1\s+github.issues 1")
        self.assertEqual(len(self.consumer.read("github.issues", expect=2)), 2)

        # --until before everything: all wait for a later run, and that run finds them
        code, out, err = self.replay("--until", "2000-01-01", group="replay-later")
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"after_until\s+4")
        code, out, err = self.replay("--dry-run", "--since", "2000-01-01T00:00:00Z",
                                     group="replay-later")
        self.assertIn("4 records read", out)

    def test_2_event_time_not_a_time_is_replaced_counted_and_logged(self):
        body = b'{"head_commit":{"timestamp":"yesterday"},"repository":{"full_name":"octo/t"}}'
        before = time.time()
        status, _, resp = self.bridge.post("/webhooks/github", body, secret=None,
                                           headers=github_headers(body, "push", "gh-push-1"))
        self.assertEqual(status, 200, resp)
        body2 = b'{"head_commit":{"timestamp":"2026-03-14T12:00:00+01:00"},"repository":{"full_name":"octo/t"}}'
        self.bridge.post("/webhooks/github", body2, secret=None,
                         headers=github_headers(body2, "push", "gh-push-2"))
        recs = {r.value: headers_of(r) for r in self.consumer.read("github.push", expect=2)}
        t = recs[body]["ce_time"].decode()
        self.assertRegex(t, RFC3339_MS)
        got = time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertLess(abs(got - before), 5)
        self.assertEqual(recs[body2]["ce_time"], b"2026-03-14T11:00:00.000Z")
        _, _, metrics = self.bridge.admin("GET", "/metrics")
        self.assertIn(b'webhook_bridge_event_time_invalid_total{source="github"} 1', metrics)
        lines = [l for l in self.bridge.log_records() if l.get("msg", "").startswith("event time is not a time")]
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["event_id"], "gh-push-1")

    def test_3_usage_errors(self):
        code, _, err = self.replay("--since", "yesterday")
        self.assertEqual(code, 2)
        self.assertIn("--since yesterday: not an RFC 3339 time or a date", err)
        p = subprocess.run([BRIDGE_BIN, "replay", "--config", self.fixed_config], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: webhook-bridge replay", p.stderr)
        p = subprocess.run([BRIDGE_BIN, "replay", "--config", self.fixed_config, "--from", "no.such-topic"],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ, **ENV))
        self.assertEqual(p.returncode, 2)
        self.assertIn("topic no.such-topic", p.stderr)


if __name__ == "__main__":
    unittest.main()
