#!/usr/bin/env python3
"""Writes the hand-made seeds (files named seed-*) of the three corpora.

Config seeds are the example configs and variants of them; verify seeds are the vectors of
tests/fixtures/signature-vectors.md in fuzz_verify.c's input format; normalize seeds are the
Mono fixtures and edge cases. Run from anywhere: python3 tests/fuzz/make_seeds.py
Inputs found by libFuzzer and merged in are kept beside these (hex names).
"""
import base64
import hashlib
import hmac
import os
import pathlib

here = pathlib.Path(__file__).resolve().parent
root = here.parent.parent
corpus = here / "corpus"


def put(target, name, data, prefix="seed-"):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < 4096, name
    (corpus / target / (prefix + name)).write_bytes(data)


# ---- config ----------------------------------------------------------------------------
for p in [root / "config/bridge.yaml", root / "config/production.yaml",
          *sorted((root / "config/providers").glob("*.yaml"))]:
    if p.exists() and p.stat().st_size < 4096:
        put("config", p.stem, p.read_bytes())

MINI = """kafka:
  brokers: embedded
sources:
  s:
    path: /webhooks/s
    verify:
      scheme: shared-secret
      header: x-secret
      secrets: ["%s"]
    routes:
      "*": t
"""
for name, secret in [("env-set", "${FUZZ_SECRET}"), ("env-default", "${FUZZ_UNSET:-fallback}"),
                     ("env-empty-default", "${FUZZ_EMPTY:-x}"), ("env-unset", "${FUZZ_UNSET}"),
                     ("env-dollar", "a$$b$c"), ("env-bad", "${1BAD}"), ("env-open", "${FUZZ_SECRET"),
                     ("env-form", "${FUZZ_SECRET:?x}")]:
    put("config", name, MINI % secret)
put("config", "env-yaml-injection", "listen: ${FUZZ_YAML}\n" + MINI % "x")
put("config", "env-port", "listen: 0.0.0.0:${FUZZ_PORT}\n" + MINI % "x")

FULL = """listen: 127.0.0.1:8080
admin_listen: "[::1]:9090"
threads: 4
max_body_bytes: 1048576
max_inflight: 100
log_level: debug
trusted_proxies: [10.0.0.0/8, "fd00::/8", 127.0.0.1]
kafka:
  brokers: b1:9092,b2:9092
  create_topics: true
  topic_partitions: 6
  librdkafka:
    acks: all
    linger.ms: 5
dead_letter_topic: dlq
sources:
  gh:
    path: /webhooks/github
    verify:
      scheme: hmac
      header: X-Hub-Signature-256
      algorithm: sha256
      encoding: hex
      prefix: "sha256="
      secrets: [a, b]
      secret_files: [/nonexistent/secret]
    allow_from: [203.0.113.0/24, "2001:db8::/32"]
    event:
      type: X-GitHub-Event
      id: X-GitHub-Delivery
      time: null
      key: [/repository/full_name, "/a~1b/c~0d", /items/0]
    format: structured
    ack: enqueue
    ack_timeout_ms: 100
    success_status: 202
    routes:
      push: [code.push, audit]
      "pull_request*": code.prs
      "*": code.other
  sw:
    path: /webhooks/sw
    verify: {scheme: standard-webhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], tolerance_s: 60}
    routes: {"*": sw}
  open:
    path: /webhooks/open
    verify: {scheme: none, insecure: true}
    dead_letter_topic: null
    routes: {a.b.c: x, a.b.*: y, a.*: z}
"""
put("config", "full", FULL)
broken = {
    "tab-indent": "kafka:\n\tbrokers: x\n",
    "unclosed-quote": 'listen: "0.0.0.0:80\n',
    "unclosed-flow": "sources: {a: [1, 2\n",
    "dup-key": "listen: a\nlisten: b\n" + MINI % "x",
    "unknown-key": "lisen: a\n" + MINI % "x",
    "alias": "x: &a [1,2]\ny: *a\n" + MINI % "x",
    "laughs": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c]\n",
    "merge-key": "base: &b {path: /x}\nsources:\n  s:\n    <<: *b\n",
    "tags": "listen: !!int 5\nthreads: !custom x\n",
    "multi-doc": MINI % "x" + "---\nlisten: b\n",
    "not-mapping": "- a\n- b\n",
    "scalar": "hello",
    "empty": "",
    "comment-only": "# nothing\n",
    "null-doc": "~\n",
    "big-int": "threads: 99999999999999999999999\nmax_body_bytes: -1\n" + MINI % "x",
    "hex-int": "threads: 0x10\nmax_inflight: 1e3\n" + MINI % "x",
    "bool-forms": "log_requests: yes\n" + MINI % "x",
    "bad-cidr": "trusted_proxies: [10.0.0.0/33, '::1/129', 1.2.3.4/08, ' 1.2.3.4']\n" + MINI % "x",
    "bad-scheme": MINI.replace("shared-secret", "hmca") % "x",
    "none-insecure-missing": MINI.replace("shared-secret", "none") % "x",
    "bom-crlf": "\ufefflisten: a\r\nkafka:\r\n  brokers: embedded\r\n",
    "nul-byte": "listen: \"a\\0b\"\n" + MINI % "x",
    "utf8-bad": b"listen: \xff\xfe\n".decode("latin-1"),
    "deep": "a: " + "[" * 200 + "]" * 200 + "\n",
    "long-key": "x" * 2000 + ": 1\n",
    "route-empty-topics": MINI.replace('"*": t', '"*": []') % "x",
    "source-no-path": "kafka: {brokers: embedded}\nsources:\n  s: {verify: {scheme: none, insecure: true}, routes: {'*': t}}\n",
    "bad-pointer": MINI.replace("    routes:", "    event: {type: /a~2b, key: [/x~]}\n    routes:") % "x",
}
for k, v in broken.items():
    put("config", k, v.encode("latin-1") if k == "utf8-bad" else v)
(corpus / "config" / "seed-utf8-bad").write_bytes(b"listen: \xff\xfe\n")

# ---- verify ------------------------------------------------------------------------------
def req(clock, peer, headers, body):
    return ("%s%s\n" % (clock, peer)).encode() + b"".join(
        ("%s: %s\n" % h).encode() for h in headers) + b"\n" + body


def hm(alg, key, msg):
    return hmac.new(key, msg, alg)


mono_body = b'{"event":"mono.events.account_connected","data":{"id":"65f2c1a9e4b0d7a3c8f10b2e"}}'
put("verify", "mono-ok", req("0", "", [("mono-webhook-secret", "mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8c")], mono_body))
put("verify", "mono-case", req("0", "198.51.100.1", [("Mono-Webhook-Secret", "mono_whsec_5b9e2c7a1f4d8e3b6a0c9f2e7d1b4a8")], mono_body))
put("verify", "mono-missing", req("0", "", [], mono_body))

gh = b"Hello, World!"
put("verify", "github-published", req("0", "", [("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")], gh))
c2 = b'{"zen":"Keep it logically awesome.","hook_id":123456789}'
put("verify", "github-c2", req("0", "", [
    ("X-Hub-Signature-256", "sha256=2d3643e1b621a4227370056974673286eb6f378d903fce54b8d94f3b658e4162"),
    ("X-Hub-Signature", "sha1=54aa775e7106588eb4de9dec4e158fa95229f343"),
    ("x-fuzz-sha1-b64", "sha1=" + base64.b64encode(hm(hashlib.sha1, b"gh-bridge-test-secret", c2).digest()).decode())], c2))
put("verify", "github-upper", req("0", "", [("X-Hub-Signature-256", "sha256=2D3643E1B621A4227370056974673286EB6F378D903FCE54B8D94F3B658E4162")], c2))

stripe_body = b'{"id":"evt_3PbX2f2eZvKYlo2C0xYz1234","object":"event","type":"payment_intent.succeeded"}'
put("verify", "stripe-roll", req("0", "10.1.2.3", [
    ("x-forwarded-for", "203.0.113.9, 10.0.0.2"),
    ("Stripe-Signature", "t=1773480765,v1=45c5a2adf29fe0067ad59fe08cef3250466b1bbc448dc5f40ba278c26d449599,v1=a66969640058cff1bdc62192388f38b8b5e81b4fe311529748f5337637e7f984")], stripe_body))
put("verify", "stripe-v0-stale", req("7", "", [
    ("Stripe-Signature", "t=1773480765, v0=abc,v1=45c5a2adf29fe0067ad59fe08cef3250466b1bbc448dc5f40ba278c26d449599")], stripe_body))

p1 = b'{"test": 2432232314}'
put("verify", "sw-p1", req("1", "", [("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
                                      ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")], p1))
put("verify", "svix-p2", req("2", "", [("svix-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"), ("svix-timestamp", "1649367553"),
                                        ("svix-signature", "v1a,xyz v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")],
                          b'{"email":"test@example.com","username":"test_user"}'))
c1 = b'{"type":"mono.events.account_connected","timestamp":"2026-03-14T09:32:45Z","data":{"id":"65f2c1a9e4b0d7a3c8f10b2e"}}'
put("verify", "sw-c1-rotation", req("0", "127.0.0.1", [
    ("X-Forwarded-For", "2001:db8::5"), ("X-Forwarded-For", "fd00::1 , 10.9.9.9"),
    ("webhook-id", "msg_2fK9xQ7LmN3pR8sT1vW4yZ6bC0d"), ("webhook-timestamp", "1773480765"),
    ("webhook-signature", "v1,hJrqm9sMJKVwDAZzMOACSmSAuJOoev6P/cZ9PZHTS90=  v1,mYF0S3uOvkzT1wUoVm31zAYkC95ACBj2mT8BOLSUy/0=")], c1))
put("verify", "sw-unpadded", req("0", "", [("webhook-id", "msg_2fK9xQ7LmN3pR8sT1vW4yZ6bC0d"), ("webhook-timestamp", "1773480765"),
                                            ("webhook-signature", "v1,hJrqm9sMJKVwDAZzMOACSmSAuJOoev6P/cZ9PZHTS90")], c1))

shop = b'{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00"}'
put("verify", "shopify", req("0", "", [("X-Shopify-Hmac-Sha256", "1peaOjJzvMk67k4+Q57hOc5fHLZI8ULZyfKVp7tLzsg=")], shop))
pay = b'{"event":"charge.success","data":{"id":302961,"domain":"test","status":"success","reference":"qTPrJoy9Bx","amount":20000,"currency":"NGN"}}'
sig512 = hm(hashlib.sha512, b"sk_test_4f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a", pay).digest()
put("verify", "paystack", req("0", "", [("x-paystack-signature", sig512.hex()),
                                        ("x-fuzz-signature", "v1=" + base64.b64encode(sig512).decode())], pay))
flw = b'{"id":"wbk_7Qx2Lm","type":"charge.completed","data":{"id":"chg_9Pz4Kd","amount":5000,"currency":"NGN","status":"succeeded","reference":"order_2026_03_14_001"}}'
put("verify", "flutterwave", req("0", "203.0.113.50", [("verif-hash", "flw-bridge-secret-hash-2026"),
                                                      ("flutterwave-signature", "muREHWSHxo7Rn6zpm0m5nsYrfkgW4HnUoA2IzHY+0iI=")], flw))
put("verify", "flutterwave-xff-unknown", req("0", "10.0.0.1", [("X-Forwarded-For", "unknown, 203.0.113.50"),
                                                              ("verif-hash", "flw-bridge-secret-hash-2026")], flw))
put("verify", "flutterwave-xff-port", req("0", "::ffff:10.0.0.1", [("X-Forwarded-For", "203.0.113.50:443"),
                                                                  ("verif-hash", "flw-bridge-secret-hash-2026")], flw))

slack_pub = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
put("verify", "slack-published", req("3", "", [("X-Slack-Request-Timestamp", "1531420618"),
                                               ("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")], slack_pub))
slack_c7 = b"token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&user_id=U2147483697&command=%2Fbridge&text=status"
put("verify", "slack-c7", req("0", "2001:db8::7", [("X-Slack-Request-Timestamp", "1773480765"),
                                                  ("X-Slack-Signature", "v0=1b2e211b10a5fcbdcedda65b3a6ab7badcd013493c1c4e7357371ad4fbcb7730"),
                                                  ("x-fuzz-slack", "v0=1b2e211b10a5fcbdcedda65b3a6ab7badcd013493c1c4e7357371ad4fbcb7730")], slack_c7))
put("verify", "clock-extremes", req("5", "", [("X-Slack-Request-Timestamp", "999999999999999999"),
                                             ("Stripe-Signature", "t=0,v1=" + "0" * 64), ("webhook-id", "a"),
                                             ("webhook-timestamp", "9223372036854775807"), ("webhook-signature", "v1,====")], b""))
put("verify", "malformed", req("6", "::", [("Stripe-Signature", ",,=,t=,t=1"), ("webhook-id", ""), ("svix-id", "x"),
                                           ("X-Hub-Signature-256", "sha256="), ("X-Shopify-Hmac-Sha256", "=="),
                                           ("nocolon", "")], b"x"))
put("verify", "empty", b"")

# ---- normalize -----------------------------------------------------------------------------
for p in sorted((root / "tests/fixtures/mono").glob("*.json")):
    put("normalize", p.stem, p.read_bytes())
cases = {
    "not-object": b"[1,2,3]",
    "not-json": b"event=x",
    "no-type": b'{"data":{}}',
    "type-number": b'{"event":5,"event_id":12345,"timestamp":7}',
    "id-int": b'{"event":"a","event_id":-9223372036854775808,"data":{"id":"k"}}',
    "nul-in-string": b'{"event":"a\\u0000b","event_id":"x\\u0000","timestamp":"t","data":{"account":"\\u0000"}}',
    "escapes": b'{"event":"e","a/b":{"c~d":"escaped"},"data":{"~1":"tilde","items":[{"id":"first"},1,2,3,4,5,6,7,8,9,"tenth"]}}',
    "empty-strings": b'{"event":"","event_id":"","timestamp":"","data":{"id":""}}',
    "deep": b'{"event":"x","data":' + b"[" * 1000 + b"]" * 1000 + b"}",
    "dup-keys": b'{"event":"a","event":"b"}',
    "utf8": '{"event":"caf\u00e9.\u2603","data":{"id":"\U0001F600"}}'.encode(),
    "bad-utf8": b'{"event":"\xff"}',
    "big-numbers": b'{"event":"x","event_id":1e400,"n":123456789012345678901234567890}',
    "pointer-line": b'/data/items/1\n{"data":{"items":["a","b"]}}',
    "pointer-escape": b'/a~1b/c~0d\n{"a/b":{"c~d":true}}',
    "pointer-bad": b'/a~2\n{"a~2":1}',
    "pointer-root": b'\n[1]',
    "pointer-long": b"/" + b"x" * 300 + b'\n{"' + b"x" * 300 + b'":1}',
    "github-headers": b'{"repository":{"full_name":"o/r"},"zen":"z"}\0x-github-event: push\nX-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\ncontent-type: application/json\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    "traceparent-bad": b'{"event":"a"}\0traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01\ntraceparent: x',
    "many-headers": b'{"event":"a"}\0' + b"".join(b"h%d: v\n" % i for i in range(20)),
}
for k, v in cases.items():
    put("normalize", k, v)

# Regression cases of bugs found by fuzzing (crash-* while open, regress-* once fixed).
# Fixed in d852754: envelope_build() in structured mode returned -1 when the type read from a
# header was not UTF-8 (json_pack() rejects it), so the webhook was answered 500 on every retry.
put("normalize", "envelope-structured-non-utf8-header", b'{}\0x-github-event: \xff', prefix="regress-")
