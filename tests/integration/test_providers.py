"""Every provider fragment in config/providers/, as shipped, in a config directory beside
config/base.yaml: a correctly signed webhook lands on
its topic; a wrong secret, a changed body byte, a stale and a future timestamp, a missing and a
malformed header each get 401 and leave Kafka untouched. Requests are signed here, in Python,
the way each provider signs them (independently of the bridge's C code)."""
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE_DIR, Bridge, Consumer, MockKafka

PROVIDERS = os.path.join(SOURCE_DIR, "config", "providers")


def hm(alg, key, msg):
    return hmac.new(key, msg, alg).digest()


# provider file -> (body, extra headers, expected topic, signer(secret, body, now) -> headers,
#                   name of the signature header, a malformed value for it, timestamped?)
def shared(header):
    return lambda secret, body, ts: {header: secret}


def hmac_hex(header, alg, prefix=""):
    return lambda secret, body, ts: {header: prefix + hm(alg, secret.encode(), body).hex()}


def hmac_b64(header, alg):
    return lambda secret, body, ts: {header: base64.b64encode(hm(alg, secret.encode(), body)).decode()}


def stripe(secret, body, ts):
    sig = hm(hashlib.sha256, secret.encode(), str(ts).encode() + b"." + body).hex()
    return {"stripe-signature": f"t={ts},v1={sig}"}


def standard(secret, body, ts):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mid = "msg_" + uuid.uuid4().hex
    sig = base64.b64encode(hm(hashlib.sha256, key, f"{mid}.{ts}.".encode() + body)).decode()
    return {"webhook-id": mid, "webhook-timestamp": str(ts), "webhook-signature": f"v1,{sig}"}


def slack(secret, body, ts):
    sig = hm(hashlib.sha256, secret.encode(), f"v0:{ts}:".encode() + body).hex()
    return {"x-slack-request-timestamp": str(ts), "x-slack-signature": f"v0={sig}"}


CASES = {
    "mono.yaml": (b'{"event":"mono.events.account_connected","event_id":"ev1","data":{"id":"acc1"}}', {},
                  "membership.account-connected", shared("mono-webhook-secret"), "mono-webhook-secret", None, False),
    "flutterwave.yaml": (b'{"event":"charge.completed","data":{"id":1,"tx_ref":"r1","customer":{"email":"a@b.c"}}}', {},
                         "payments.charge-completed", shared("verif-hash"), "verif-hash", None, False),
    "flutterwave-v4.yaml": (b'{"id":"wbk_1","type":"charge.completed","data":{"reference":"r1"}}', {},
                            "payments.charge-completed", hmac_b64("flutterwave-signature", hashlib.sha256),
                            "flutterwave-signature", "not base64!", False),
    "github.yaml": (b'{"zen":"Keep it logically awesome.","repository":{"full_name":"o/r"}}',
                    {"x-github-event": "push", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
                    "github.push", hmac_hex("x-hub-signature-256", hashlib.sha256, "sha256="),
                    "x-hub-signature-256", "sha256=zz", False),
    "paystack.yaml": (b'{"event":"charge.success","data":{"id":302961,"reference":"qTPrJoy9Bx"}}', {},
                      "payments.charge-succeeded", hmac_hex("x-paystack-signature", hashlib.sha512),
                      "x-paystack-signature", "xyz", False),
    "shopify.yaml": (b'{"id":820982911946154508,"email":"jon@example.com"}',
                     {"x-shopify-topic": "orders/create", "x-shopify-webhook-id": "b54557e4",
                      "x-shopify-triggered-at": "2026-03-14T09:12:45.318Z"},
                     "shopify.orders-created", hmac_b64("x-shopify-hmac-sha256", hashlib.sha256),
                     "x-shopify-hmac-sha256", "@@@", False),
    "slack.yaml": (b'{"type":"event_callback","event_id":"Ev1","team_id":"T1"}', {}, "slack.events", slack,
                   "x-slack-signature", "v0=nothex", True),
    "standard-webhooks.yaml": (b'{"type":"user.created","timestamp":"2026-03-14T09:32:45Z","data":{"id":"u1"}}', {},
                               "webhooks.events", standard, "webhook-signature", "v1,@@@", True),
    "stripe.yaml": (b'{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","customer":"cus_1"}}}',
                    {}, "payments.payment-succeeded", stripe, "stripe-signature", "garbage", True),
}


class Providers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=3)
        cls.consumer = Consumer(cls.kafka.bootstrap)
        cls.created = set()

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.kafka.close()

    def test_every_fragment_has_a_case(self):
        self.assertEqual(sorted(f for f in os.listdir(PROVIDERS) if f.endswith(".yaml")), sorted(CASES))

    def check_provider(self, name):
        body, extra, topic, sign, sig_header, malformed, timestamped = CASES[name]
        with open(os.path.join(PROVIDERS, name)) as f:
            text = f.read()
        # the fragments ship without default secrets: set the variable each one names
        var = re.search(r'secrets: \["\$\{([A-Z_]+)\}"\]', text).group(1)
        secret = (f"whsec_{base64.b64encode(os.urandom(32)).decode()}" if name == "standard-webhooks.yaml"
                  else f"test-{name[:-5]}-secret-{uuid.uuid4().hex[:12]}")
        path = re.search(r"path: (\S+)", text).group(1)
        # (the mock cluster has no CreateTopics, so kafka.create_topics can not be used here)
        topics = sorted(set(re.findall(r"(?m)^      [^\n:]+: \[?([a-z0-9./-]+)", text)) | {topic, "webhooks.dead-letter"})
        self.kafka.create_topics([t for t in topics if t not in self.created])
        self.created.update(topics)
        # a drop-in source: run as a config directory beside the base settings
        with open(os.path.join(SOURCE_DIR, "config", "base.yaml")) as f:
            base = f.read()
        base = re.sub(r"(?m)^listen: .*$", "listen: 127.0.0.1:{port}", base)
        base = re.sub(r"(?m)^admin_listen: .*$", "admin_listen: 127.0.0.1:{admin_port}\ndrain_delay_ms: 0", base)
        base = base.replace("brokers: embedded", f"brokers: {self.kafka.bootstrap}")
        bridge = Bridge(None, env={var: secret}, files={"00-base.yaml": base, name: text})
        try:
            now = int(time.time())

            def post(headers, data=body):
                h = {"content-type": "application/json"}
                h.update(extra)
                h.update(headers)
                return bridge.request("POST", path, data, h)[0]

            before = {t: self.consumer.end_offsets(t) for t in topics}
            i = len(secret) // 2  # a different character inside (after '=' padding, base64 ignores it)
            wrong = secret[:i] + ("A" if secret[i] != "A" else "B") + secret[i + 1:]
            bad = {"wrong secret": sign(wrong, body, now), "missing header": {}}
            changed = bytearray(body)
            changed[len(changed) // 2] ^= 0x01
            if sign(secret, bytes(changed), now) != sign(secret, body, now):  # the body is signed
                bad["changed body byte"] = ("body", bytes(changed), sign(secret, body, now))
            if malformed is not None:
                h = sign(secret, body, now)
                h[sig_header] = malformed
                bad["malformed header"] = h
            if timestamped:
                bad["stale timestamp"] = sign(secret, body, now - 400)
                bad["future timestamp"] = sign(secret, body, now + 400)
            for what, headers in bad.items():
                if isinstance(headers, tuple):
                    status = post(headers[2], data=headers[1])
                else:
                    status = post(headers)
                self.assertEqual(status, 401, f"{name}: {what}")
            self.assertEqual({t: self.consumer.end_offsets(t) for t in topics}, before, f"{name}: a refused request reached Kafka")
            reasons = bridge.admin("GET", "/metrics")[2].decode()
            if timestamped:
                self.assertRegex(reasons, r'reason="stale_timestamp"\} 1')
                self.assertRegex(reasons, r'reason="future_timestamp"\} 1')

            self.assertEqual(post(sign(secret, body, now)), 200, name)
            records = self.consumer.read(topic, expect=before[topic] + 1)
            self.assertIn(body, [r.value for r in records], name)
            self.assertNotIn(secret, bridge.logs())
        finally:
            bridge.stop()


for _name in CASES:
    setattr(Providers, "test_" + _name[:-5].replace("-", "_"),
            lambda self, n=_name: self.check_provider(n))

if __name__ == "__main__":
    unittest.main(verbosity=2)
