"""End to end: Mono webhooks in, routed CloudEvents in Kafka out; bad requests produce nothing.

Runs the shipped config/bridge.yaml (its routing table is part of the product) with the embedded
Kafka swapped for a mock cluster in another process, and reads the topics back with kafka-python.
"""
import hashlib
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (SECRET, SOURCE_DIR, Bridge, Consumer, MockKafka, fixture, headers_of)

# The routing a reader of config/bridge.yaml expects, written out independently.
EXPECTED_TOPICS = {
    "direct_debit.payment_failed.json": ["payments.payment-failed", "notifications.payment-failed"],
    "direct_debit.payment_successful.json": ["payments.payment-succeeded", "notifications.payment-succeeded"],
    "events.mandate.action.cancel.json": ["mandates.actions"],
    "events.mandate.action.pause.json": ["mandates.actions"],
    "events.mandate.action.reinstate.json": ["mandates.actions"],
    "events.mandates.approved.json": ["mandates.lifecycle"],
    "events.mandates.created.json": ["mandates.lifecycle"],
    "events.mandates.expired.json": ["mandates.lifecycle"],
    "events.mandates.ready.json": ["mandates.lifecycle"],
    "events.mandates.rejected.json": ["mandates.lifecycle"],
    "events.mandates.debit.failed.json": ["payments.mandate-debits"],
    "events.mandates.debit.processing.json": ["payments.mandate-debits"],
    "events.mandates.debit.successful.json": ["payments.mandate-debits"],
    "mono.accounts.jobs.update.json": ["membership.account-jobs"],
    "mono.events.account_connected.json": ["membership.account-connected", "notifications.account-connected"],
    "mono.events.account_connected.legacy-minimal.json": ["membership.account-connected", "notifications.account-connected"],
    "mono.events.account_credit_worthiness.json": ["membership.account-insights"],
    "mono.events.account_income.json": ["membership.account-insights"],
    "mono.events.account_reauthorized.json": ["membership.account-reauthorized"],
    "mono.events.account_unlinked.json": ["membership.account-unlinked", "notifications.account-unlinked"],
    "mono.events.account_updated.account-match.json": ["membership.account-updated"],
    "mono.events.account_updated.json": ["membership.account-updated"],
    "mono.events.account_updated.realtime.json": ["membership.account-updated"],
    "mono.events.reauthorisation_required.json": ["membership.reauthorisation-required", "notifications.reauthorisation-required"],
}
KEY_POINTERS = ["/data/account/_id", "/data/account/id", "/data/object/account/_id",
                "/data/object/account", "/data/account", "/data/id", "/data/customer", "/data/mandate"]
ALL_TOPICS = sorted({t for ts in EXPECTED_TOPICS.values() for t in ts} |
                    {"webhooks.unrouted", "webhooks.dead-letter"})
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def pointer(doc, ptr):
    for tok in ptr.split("/")[1:]:
        tok = tok.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, dict) and tok in doc:
            doc = doc[tok]
        else:
            return None
    return doc


def shipped_config(bootstrap, extra=""):
    with open(os.path.join(SOURCE_DIR, "config", "bridge.yaml")) as f:
        text = f.read()
    text = text.replace("brokers: embedded", f"brokers: {bootstrap}")
    text = text.replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:{port}")
    text = text.replace("admin_listen: 0.0.0.0:9090", "admin_listen: 127.0.0.1:{admin_port}")
    text = text.replace("threads: 0", "threads: 2")
    assert "\ndrain_delay_ms: 0\n" in text  # the shipped config stops at once: tests rely on it
    return text + extra


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=3)
        cls.kafka.create_topics(ALL_TOPICS)
        cls.bridge = Bridge(shipped_config(cls.kafka.bootstrap), env={"MONO_WEBHOOK_SECRET": SECRET})
        cls.consumer = Consumer(cls.kafka.bootstrap)

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.exit_code = cls.bridge.stop()
        cls.kafka.close()

    def offsets(self):
        return {t: self.consumer.end_offsets(t) for t in ALL_TOPICS}

    def test_01_every_fixture_lands_on_its_topics_as_a_cloudevent(self):
        sent = {}  # topic -> list of (fixture, body)
        for name in sorted(EXPECTED_TOPICS):
            body = fixture(name)
            before = time.time()
            status, headers, resp = self.bridge.post("/webhooks/mono", body,
                                                     headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
            after = time.time()
            self.assertEqual(status, 200, f"{name}: {resp!r}")
            self.assertIn("content-length", headers)
            answer = json.loads(resp)
            doc = json.loads(body)
            want_id = doc.get("event_id") or hashlib.sha256(b"mono\0" + body).hexdigest()
            self.assertEqual(answer, {"status": "accepted", "id": want_id})
            for t in EXPECTED_TOPICS[name]:
                sent.setdefault(t, []).append((name, body, before, after))

        for topic, items in sent.items():
            records = self.consumer.read(topic, expect=len(items))
            self.assertEqual(len(records), len(items), f"{topic}: {len(records)} records, want {len(items)}")
            by_value = {r.value: r for r in records}
            for name, body, before, after in items:
                self.assertIn(body, by_value, f"{name} not on {topic} byte for byte")
                r = by_value[body]
                doc = json.loads(body)
                key = next((pointer(doc, p) for p in KEY_POINTERS if isinstance(pointer(doc, p), str) and pointer(doc, p)), None)
                want_id = doc.get("event_id") or hashlib.sha256(b"mono\0" + body).hexdigest()
                self.assertEqual(r.key, (key or want_id).encode(), name)
                h = headers_of(r)
                self.assertEqual(set(h), {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                                          "content-type", "ce_partitionkey", "ce_partitionkeyfrom",
                                          "traceparent"}, name)
                # the CloudEvents partitioning extension: the key as sent, and where it came from
                self.assertEqual(h["ce_partitionkey"], r.key, name)
                key_from = next((p for p in KEY_POINTERS if isinstance(pointer(doc, p), str) and pointer(doc, p)), "id")
                self.assertEqual(h["ce_partitionkeyfrom"], key_from.encode(), name)
                self.assertEqual(h["ce_specversion"], b"1.0")
                self.assertEqual(h["ce_id"], want_id.encode(), name)
                self.assertEqual(h["ce_source"], b"/webhook-bridge/mono")
                self.assertEqual(h["ce_type"], doc["event"].encode())
                self.assertEqual(h["content-type"], b"application/json")
                self.assertEqual(h["traceparent"], b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                if "timestamp" in doc:
                    self.assertEqual(h["ce_time"], doc["timestamp"].encode())
                else:
                    t = h["ce_time"].decode()
                    self.assertRegex(t, RFC3339_MS)
                    ts = time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                    self.assertTrue(before - 1 <= ts <= after + 1, f"{name}: ce_time {t}")
                for v in h.values():
                    self.assertNotIn(SECRET.encode(), v)
        self.assertEqual(self.consumer.end_offsets("webhooks.unrouted"), 0)

    def test_02_retry_keeps_its_id(self):
        body = fixture("mono.events.account_unlinked.json")  # no event_id: hashed
        ids = [json.loads(self.bridge.post("/webhooks/mono", body)[2])["id"] for _ in range(2)]
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(ids[0], hashlib.sha256(b"mono\0" + body).hexdigest())

    def test_03_bad_requests_get_their_status_and_produce_nothing(self):
        body = fixture("mono.events.account_connected.json")
        before = self.offsets()
        cases = [
            ("missing secret", dict(secret=None), 401),
            ("wrong secret", dict(secret=SECRET[:-1] + "x"), 401),
            ("shortened secret", dict(secret=SECRET[:-1]), 401),
            ("lengthened secret", dict(secret=SECRET + "x"), 401),
            ("empty secret", dict(secret=""), 401),
        ]
        bodies_401 = set()
        for what, kw, want in cases:
            status, _, resp = self.bridge.post("/webhooks/mono", body, **kw)
            self.assertEqual(status, want, what)
            bodies_401.add(resp)
        self.assertEqual(len(bodies_401), 1, "every 401 must have the same body")
        # header names are case-insensitive
        status, _, _ = self.bridge.request("POST", "/webhooks/mono", body, {"Mono-Webhook-Secret": SECRET,
                                                                          "content-type": "application/json"})
        self.assertEqual(status, 200)
        status, _, _ = self.bridge.post("/webhooks/nope", body)
        self.assertEqual(status, 404)
        status, headers, _ = self.bridge.request("GET", "/webhooks/mono", b"", {"mono-webhook-secret": SECRET})
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "POST")
        status, headers, _ = self.bridge.request("PUT", "/webhooks/mono", body, {"mono-webhook-secret": SECRET})
        self.assertEqual(status, 405)
        big = b'{"event":"mono.events.account_updated","data":{"pad":"' + b"x" * (1048576 + 10) + b'"}}'
        status, _, resp = self.bridge.post("/webhooks/mono", big)
        self.assertEqual((status, json.loads(resp)["status"]), (413, "body_too_large"))
        after = self.offsets()
        after["membership.account-connected"] -= 1  # the case-insensitive header one
        after["notifications.account-connected"] -= 1
        self.assertEqual(after, before)

    def test_04_not_json_and_no_type_go_to_the_dead_letter_topic(self):
        dl_before = self.consumer.end_offsets("webhooks.dead-letter")
        for body, reason in [(b"not json at all", b"invalid_json"), (b'{"data":{"id":"x"}}', b"no_event_type"),
                             (b'["an","array"]', b"invalid_json")]:
            status, _, resp = self.bridge.post("/webhooks/mono", body)
            self.assertEqual(status, 200, resp)
            self.assertEqual(json.loads(resp)["status"], "dead_lettered")
        records = self.consumer.read("webhooks.dead-letter", expect=dl_before + 3)
        got = {r.value: headers_of(r) for r in records}
        self.assertEqual(got[b"not json at all"]["dead_letter_reason"], b"invalid_json")
        self.assertEqual(got[b'{"data":{"id":"x"}}']["dead_letter_reason"], b"no_event_type")
        self.assertEqual(got[b'["an","array"]']["dead_letter_reason"], b"invalid_json")

    def test_05_unknown_type_goes_to_the_catch_all(self):
        body = b'{"event":"mono.something.new","data":{"id":"acc_1"}}'
        self.assertEqual(self.bridge.post("/webhooks/mono", body)[0], 200)
        records = self.consumer.read("webhooks.unrouted", expect=1)
        self.assertEqual([r.value for r in records], [body])
        self.assertEqual(records[0].key, b"acc_1")

    def test_06_admin_endpoints(self):
        self.assertEqual(self.bridge.admin("GET", "/healthz")[0], 200)
        self.assertEqual(self.bridge.admin("GET", "/readyz")[0], 200)
        # the series exist from the start at 0: what counts is that a request moves them
        def value(series):
            status, _, text = self.bridge.admin("GET", "/metrics")
            self.assertEqual(status, 200)
            for line in text.decode().splitlines():
                if line.startswith(series + " "):
                    return float(line.split()[-1])
            self.fail(f"no series {series}")
        accepted = 'webhook_bridge_requests_total{source="mono",outcome="accepted"}'
        mismatch = 'webhook_bridge_verification_failures_total{source="mono",reason="mismatch"}'
        before = value(accepted), value(mismatch)
        body = b'{"event":"mono.events.account_updated","event_id":"metrics-1","data":{"id":"acc_1"}}'
        self.assertEqual(self.bridge.post("/webhooks/mono", body)[0], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", body, secret="wrong-secret")[0], 401)
        self.assertEqual((value(accepted), value(mismatch)), (before[0] + 1, before[1] + 1))

    def test_07_logs_are_json_and_never_hold_the_secret(self):
        records = self.bridge.log_records()
        self.assertTrue(any(r["msg"] == "listening" for r in records))
        self.assertNotIn(SECRET, self.bridge.logs())


class NoDeadLetterTopic(unittest.TestCase):
    def test_bad_payload_is_400_without_a_dead_letter_topic(self):
        kafka = MockKafka(brokers=1)
        try:
            cfg = shipped_config(kafka.bootstrap).replace("dead_letter_topic: webhooks.dead-letter\n", "")
            bridge = Bridge(cfg, env={"MONO_WEBHOOK_SECRET": SECRET})
            try:
                status, _, resp = bridge.post("/webhooks/mono", b"{not json")
                self.assertEqual(status, 400, resp)
                self.assertEqual(bridge.post("/webhooks/mono", b'{"data":{}}')[0], 400)
            finally:
                bridge.stop()
        finally:
            kafka.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
