"""What an operator reads (issue 14, part 5): the start line, request lines (event type, client
address, every topic of a fan-out, dead letters at warn), one line per librdkafka error, and the
metrics of config loads (last reload's result and time, the config's hash) and of unknown
paths."""
import hashlib
import os
import re
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config, event
from harness import Bridge, MockKafka, wait_for


def metric(bridge, series):
    """The value of one series (exact name and labels), or None when it is not exported."""
    text = bridge.admin("GET", "/metrics")[2].decode()
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == series:
            return float(value)
    return None


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Observe(unittest.TestCase):
    def setUp(self):
        self.kafka = MockKafka(brokers=1)
        self.kafka.create_topics(TOPICS)
        self.bridge = None

    def tearDown(self):
        if self.bridge is not None:
            self.bridge.stop()
        self.kafka.close()

    def start(self, log_requests=False, extra=""):
        cfg = config(self.kafka.bootstrap, extra=f"log_requests: {'true' if log_requests else 'false'}\n{extra}")
        self.bridge = Bridge(cfg, env=ENV)
        return self.bridge

    def lines(self, msg):
        return [r for r in self.bridge.log_records() if r["msg"] == msg]

    def test_start_line_says_version_config_and_sources(self):
        bridge = self.start()
        first = bridge.log_records()[0]
        self.assertEqual(first["msg"], "webhook-bridge starting")
        self.assertRegex(first["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(first["config"], bridge.config_path)
        self.assertEqual(first["sources"], ["mono"])
        self.assertEqual(first["config_sha256"], file_sha256(bridge.config_path))

    def test_dead_letter_is_a_warning_without_log_requests(self):
        bridge = self.start(log_requests=False)
        self.assertEqual(bridge.post("/webhooks/mono", b"not json")[0], 200)
        self.assertEqual(bridge.post("/webhooks/mono", event(1))[0], 200)
        dead = self.lines("webhook dead-lettered")
        self.assertEqual(len(dead), 1, bridge.logs())
        self.assertEqual(dead[0]["level"], "warn")
        self.assertEqual(dead[0]["outcome"], "dead_lettered")
        self.assertEqual(dead[0]["topic"], "webhooks.dead-letter")
        self.assertTrue(dead[0]["reason"])
        self.assertEqual(self.lines("webhook accepted"), [])  # log_requests: false

    def test_request_lines_carry_event_type_client_and_every_topic(self):
        bridge = self.start(log_requests=True)
        self.assertEqual(bridge.post("/webhooks/mono", event(1, type_="direct_debit.payment_successful"))[0], 200)
        self.assertEqual(bridge.post("/webhooks/mono", event(2), secret="wrong-secret-123")[0], 401)
        accepted = self.lines("webhook accepted")
        self.assertEqual(len(accepted), 1, bridge.logs())
        self.assertEqual(accepted[0]["event_type"], "direct_debit.payment_successful")
        self.assertEqual(accepted[0]["client"], "127.0.0.1")
        self.assertEqual(accepted[0]["topic"], "payments.events")
        self.assertEqual(accepted[0]["topics"], ["payments.events", "membership.account-events"])
        refused = self.lines("webhook refused")
        self.assertEqual(len(refused), 1, bridge.logs())
        self.assertEqual(refused[0]["client"], "127.0.0.1")
        self.assertEqual(refused[0]["outcome"], "unauthorized")

    def test_client_behind_a_trusted_proxy_is_the_forwarded_one(self):
        bridge = self.start(log_requests=True, extra="trusted_proxies: [127.0.0.1/32]")
        status = bridge.post("/webhooks/mono", event(1), headers={"x-forwarded-for": "198.51.100.7, 203.0.113.9"})[0]
        self.assertEqual(status, 200)
        self.assertEqual(self.lines("webhook accepted")[0]["client"], "203.0.113.9")

    def test_unknown_path_is_counted_and_logged(self):
        bridge = self.start()
        self.assertEqual(metric(bridge, "webhook_bridge_unknown_path_requests_total"), 0)
        self.assertEqual(bridge.post("/webhooks/nope", event(1))[0], 404)
        self.assertEqual(bridge.request("GET", "/.env")[0], 404)
        self.assertEqual(bridge.post("/webhooks/mono", event(2))[0], 200)  # a known path: not counted
        self.assertEqual(metric(bridge, "webhook_bridge_unknown_path_requests_total"), 2)
        paths = [r.get("path") for r in self.lines("webhook refused") if r["outcome"] == "not_found"]
        self.assertEqual(paths, ["/webhooks/nope", "/.env"])

    def test_reload_metrics_say_whether_the_file_in_force_is_the_latest(self):
        bridge = self.start()
        before = time.time()
        sha1 = file_sha256(bridge.config_path)
        ok = "webhook_bridge_config_last_reload_successful"
        ts = "webhook_bridge_config_last_reload_success_timestamp_seconds"
        self.assertEqual(metric(bridge, ok), 1)
        started = metric(bridge, ts)
        self.assertLessEqual(abs(started - before), 30)
        self.assertEqual(metric(bridge, f'webhook_bridge_config_info{{config_sha256="{sha1}"}}'), 1)

        with open(bridge.config_path) as f:
            text1 = f.read()
        bridge.write_config(text1.replace("scheme: shared-secret", "scheme: shared-secrett"))
        bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: metric(bridge, ok) == 0))
        self.assertEqual(metric(bridge, ts), started)
        self.assertEqual(metric(bridge, f'webhook_bridge_config_info{{config_sha256="{sha1}"}}'), 1)

        time.sleep(1.1)  # the timestamp has a resolution of one second
        bridge.write_config(text1.replace("threads: 2", "threads: 2  # edited"))
        sha2 = file_sha256(bridge.config_path)
        self.assertNotEqual(sha1, sha2)
        bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: metric(bridge, ok) == 1))
        self.assertGreater(metric(bridge, ts), started)
        self.assertEqual(metric(bridge, f'webhook_bridge_config_info{{config_sha256="{sha2}"}}'), 1)
        reloaded = [r for r in bridge.log_records() if r["msg"] == "config reloaded"]
        self.assertEqual([r["config_sha256"] for r in reloaded], [sha2])
        text = bridge.admin("GET", "/metrics")[2].decode()
        self.assertEqual(len(re.findall(r"(?m)^webhook_bridge_config_info\{", text)), 1)


class KafkaErrors(unittest.TestCase):
    def test_each_librdkafka_error_is_logged_once(self):
        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cfg = config(f"127.0.0.1:{port}", extra="").replace("  librdkafka:", "  producers: 2\n  librdkafka:")
        bridge = Bridge(cfg, env=ENV, wait_ready=False)
        try:
            self.assertTrue(wait_for(lambda: "Connection refused" in bridge.logs(), timeout=10), bridge.logs())
            time.sleep(1.5)  # a few reconnection attempts (reconnect.backoff.max.ms: 500)
            # librdkafka hands each broker failure to its log (facility FAIL, once per
            # producer) and to the error callback: only the latter's line, once for all
            refused = [r for r in bridge.log_records() if "Connection refused" in str(r)]
            self.assertGreaterEqual(len(refused), 1)
            self.assertEqual([(r["msg"], r.get("producer")) for r in refused],
                             [("kafka error", 0)] * len(refused), bridge.logs())
        finally:
            bridge.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
