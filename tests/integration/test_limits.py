"""Timeouts and limits: idle and slow clients are cut off without stalling others, the
connection limit holds, oversized headers are refused; /metrics passes promtool."""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config, event
from harness import SECRET, Bridge, Consumer, MockKafka, wait_for


def closed_within(sock, seconds):
    """True if the server closes `sock` within `seconds` (reads EOF or a reset)."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=1)
        cls.kafka.create_topics(TOPICS)
        cls.bridge = Bridge(config(cls.kafka.bootstrap,
                                   extra="idle_timeout_ms: 1000\nmax_connections: 20"), env=ENV)

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.kafka.close()

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.bridge.port), timeout=5)

    def test_idle_connection_is_closed(self):
        s = self.connect()
        t0 = time.time()
        self.assertTrue(closed_within(s, 4))
        self.assertLess(time.time() - t0, 3)
        s.close()

    def test_slowloris_headers_are_cut_off_and_others_are_served(self):
        s = self.connect()
        s.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        cut = False
        for i in range(40):  # one header byte every 200 ms: never completes a request
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            # meanwhile another client is served at once
            if i == 3:
                t1 = time.time()
                self.assertEqual(self.bridge.post("/webhooks/mono", event(i))[0], 200)
                self.assertLess(time.time() - t1, 1)
            if closed_within(s, 0.2):
                cut = True
                break
        self.assertTrue(cut, "a client trickling headers must be cut off")
        self.assertLess(time.time() - t0, 4)
        s.close()

    def test_slow_body_is_cut_off(self):
        s = self.connect()
        s.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        t0 = time.time()
        cut = False
        for _ in range(40):
            try:
                s.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            if closed_within(s, 0.2):
                cut = True
                break
        self.assertTrue(cut, "a body trickling in must be cut off")
        self.assertLess(time.time() - t0, 4)
        s.close()

    def test_connection_limit(self):
        socks = []
        try:
            for _ in range(20):
                s = self.connect()
                socks.append(s)
            time.sleep(0.3)
            extra = self.connect()
            self.assertTrue(closed_within(extra, 2), "the connection over the limit must be closed")
            extra.close()
        finally:
            for s in socks:
                s.close()
        time.sleep(0.3)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(1))[0], 200)
        metrics = self.bridge.admin("GET", "/metrics")[2].decode()
        self.assertRegex(metrics, r'webhook_bridge_http_connections_rejected_total\{reason="max_connections"\} [1-9]')

    def open_per_loop(self):
        text = self.bridge.admin("GET", "/metrics")[2].decode()
        found = {}
        for line in text.splitlines():
            if line.startswith('webhook_bridge_http_connections{loop="'):
                found[line.split('"')[1]] = int(float(line.split()[-1]))
        return found

    def open_per_loop_once(self, total, timeout=5):
        """The open connections per loop once they add up to total, or the last reading."""
        deadline = time.time() + timeout
        while True:
            found = self.open_per_loop()
            if sum(found.values()) == total or time.time() >= deadline:
                return found
            time.sleep(0.05)

    def test_a_burst_of_connections_is_spread_over_the_loops(self):
        """16 connections opened at once: each loop (threads: 2) serves half, and all answer."""
        # an earlier test's connection the bridge has not yet seen closed (after a 413) is gone
        before = self.open_per_loop_once(0)
        self.assertEqual(sum(before.values()), 0, f"connections open before the test: {before}")
        self.assertEqual(sorted(before), ["0", "1"])
        socks = [self.connect() for _ in range(16)]
        try:
            # each counts once the loop it was handed to has made its socket
            after = self.open_per_loop_once(16)
            added = [after[k] - before[k] for k in ("0", "1")]
            self.assertEqual(sum(added), 16, f"open connections per loop: {after}")
            self.assertLessEqual(abs(added[0] - added[1]), 2, f"open connections per loop: {after}")
            body = event(9000)
            for s in socks:
                s.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"mono-webhook-secret: " + SECRET.encode() +
                          f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            for s in socks:
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        finally:
            for s in socks:
                s.close()
        self.assertTrue(wait_for(lambda: self.open_per_loop() == before, timeout=5),
                        f"connections still counted after closing: {self.open_per_loop()}")

    def requests_counted(self, status):
        text = self.bridge.admin("GET", "/metrics")[2].decode()
        for line in text.splitlines():
            if line.startswith("webhook_bridge_requests_total{") and 'source="mono"' in line and f'outcome="{status}"' in line:
                return int(float(line.split()[-1]))
        self.fail(f"no webhook_bridge_requests_total series for {status}")

    def test_a_body_over_max_body_bytes_is_the_bridges_413(self):
        # h2o refused it itself (text/plain, closed, nothing counted or logged)
        before = self.requests_counted("body_too_large")
        big = b'{"event":"mono.events.account_updated","data":{"pad":"' + b"x" * (1048576 + 10) + b'"}}'
        status, headers, body = self.bridge.post("/webhooks/mono", big)
        self.assertEqual(status, 413)
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertEqual(json.loads(body)["status"], "body_too_large")
        self.assertEqual(self.requests_counted("body_too_large"), before + 1)
        self.assertTrue(any(r.get("outcome") == "body_too_large" for r in self.bridge.log_records()))

    def test_a_chunked_body_of_exactly_max_body_bytes_is_accepted(self):
        # h2o 2.2.5 refuses a chunked body that reaches its limit (>=), one that max_body_bytes allows
        head = b'{"event":"mono.events.account_updated","event_id":"chunked-max","data":{"pad":"'
        tail = b'"}}'
        body = head + b"x" * (1048576 - len(head) - len(tail)) + tail
        self.assertEqual(len(body), 1048576)
        s = self.connect()
        s.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"mono-webhook-secret: " + SECRET.encode() + b"\r\nConnection: close\r\n\r\n"
                  + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        s.settimeout(10)
        answer = b""
        while not answer.endswith(b"}\n"):
            data = s.recv(65536)
            if not data:
                break
            answer += data
        s.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:200])

    def test_huge_headers_are_refused(self):
        status = None
        try:
            status, _, _ = self.bridge.post("/webhooks/mono", event(2), headers={"x-big": "a" * 600000})
        except (ConnectionResetError, BrokenPipeError):
            pass
        self.assertNotEqual(status, 200)

    def test_metrics_pass_promtool(self):
        self.bridge.post("/webhooks/mono", event(3))
        self.bridge.post("/webhooks/mono", event(4), secret="wrong")
        status, headers, text = self.bridge.admin("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        body = text.decode()
        values = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, v = line.rpartition(" ")
                values[name] = float(v)
        # values, not names: every series below exists from the start
        self.assertGreaterEqual(values['webhook_bridge_requests_total{source="mono",outcome="accepted"}'], 1)
        self.assertGreaterEqual(values['webhook_bridge_request_duration_seconds_count{source="mono"}'], 2)
        self.assertEqual(values["webhook_bridge_requests_in_flight"], 0)
        self.assertGreaterEqual(values["webhook_bridge_kafka_brokers_up"], 1)
        self.assertEqual(values["webhook_bridge_kafka_producer_ready"], 1)
        self.assertEqual(values['webhook_bridge_config_reloads_total{result="failure"}'], 0)
        self.assertEqual([v for k, v in values.items() if k.startswith("webhook_bridge_build_info{")], [1])
        self.assertRegex(body, r'webhook_bridge_verification_failures_total\{source="mono",reason="mismatch"\} [1-9]')
        self.assertRegex(body, r'webhook_bridge_kafka_records_published_total\{topic="membership.account-events"\} [1-9]')


class RateLimit(unittest.TestCase):
    def test_rate_limit_answers_429_and_produces_nothing(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap, source_extra="    rate_limit: 2\n    rate_burst: 5"), env=ENV)
        consumer = Consumer(kafka.bootstrap)
        try:
            answers = [bridge.post("/webhooks/mono", event(i, prefix="rl")) for i in range(8)]
            codes = [a[0] for a in answers]
            self.assertEqual(codes.count(200), 5, codes)
            self.assertEqual(codes.count(429), 3, codes)
            for status, headers, body in answers:
                if status == 429:
                    self.assertEqual(headers.get("retry-after"), "5")
                    self.assertEqual(json.loads(body)["status"], "rate_limited")
            # forgeries spend no budget: the limiter counts only verified webhooks
            self.assertEqual(bridge.post("/webhooks/mono", event(99), secret="forged")[0], 401)
            time.sleep(1.1)  # two more tokens
            self.assertEqual(bridge.post("/webhooks/mono", event(100, prefix="rl"))[0], 200)
            ids = [json.loads(r.value)["event_id"] for r in consumer.read("membership.account-events", expect=6)]
            self.assertEqual(sorted(ids), sorted([f"rl-{i}" for i, c in enumerate(codes) if c == 200] + ["rl-100"]))
            metrics = bridge.admin("GET", "/metrics")[2].decode()
            self.assertIn('webhook_bridge_requests_total{source="mono",outcome="rate_limited"} 3', metrics)
        finally:
            consumer.close()
            bridge.stop()
            kafka.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
