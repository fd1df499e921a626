"""SIGTERM / SIGINT: readiness false at once, serve through the drain delay, close listeners,
answer every request in flight, flush, exit 0; a second signal cuts it short and says so."""
import json
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config, event
from harness import SOURCE_DIR, Bridge, Consumer, MockKafka


class Shutdown(unittest.TestCase):
    def setUp(self):
        self.kafka = MockKafka(brokers=1)
        self.kafka.create_topics(TOPICS)

    def tearDown(self):
        self.kafka.close()

    def start(self, drain_ms, shutdown_ms=10000):
        cfg = config(self.kafka.bootstrap, ack_timeout_ms=5000).replace(
            "drain_delay_ms: 0", f"drain_delay_ms: {drain_ms}\nshutdown_timeout_ms: {shutdown_ms}")
        return Bridge(cfg, env=ENV)

    def graceful(self, sig):
        bridge = self.start(drain_ms=1500)
        try:
            self.kafka.command("rtt 1 1200")  # requests now wait ~1.2 s for Kafka
            results = {}

            def slow(i):
                results[i] = bridge.post("/webhooks/mono", event(i, prefix="inflight"))[0]

            t = threading.Thread(target=slow, args=(1,))
            t.start()
            time.sleep(0.3)
            t0 = time.time()
            bridge.signal(sig)
            time.sleep(0.2)
            # readiness is false at once, but webhooks are still served during the drain delay
            self.assertEqual(bridge.admin("GET", "/readyz")[0], 503)
            self.assertEqual(bridge.post("/webhooks/mono", event(2, prefix="draining"))[0], 200)
            t.join()
            self.assertEqual(results[1], 200, "the request in flight must get its answer")
            code = bridge.proc.wait(timeout=15)
            took = time.time() - t0
            self.assertEqual(code, 0)
            self.assertGreaterEqual(took, 1.4, "listeners must stay open for the drain delay")
            logs = bridge.log_records()
            msgs = [r["msg"] for r in logs]
            self.assertIn("shutting down: not ready, draining", msgs)
            self.assertIn("shutdown complete: every request answered, producer flushed", msgs)
            consumer = Consumer(self.kafka.bootstrap)
            ids = [json.loads(r.value)["event_id"] for r in consumer.read("membership.account-events", expect=2)]
            consumer.close()
            self.assertIn("inflight-1", ids)
            self.assertIn("draining-2", ids)
        finally:
            bridge.stop()

    def test_sigterm_is_graceful(self):
        self.graceful(signal.SIGTERM)

    def test_sigint_is_graceful(self):
        self.graceful(signal.SIGINT)

    def test_listeners_close_after_the_drain_delay(self):
        bridge = self.start(drain_ms=300)
        try:
            self.kafka.command("rtt 1 1500")
            t = threading.Thread(target=lambda: bridge.post("/webhooks/mono", event(9)))
            t.start()
            time.sleep(0.2)
            bridge.signal(signal.SIGTERM)
            time.sleep(0.8)  # past the drain delay, while the request waits for Kafka
            with self.assertRaises(ConnectionRefusedError):
                bridge.post("/webhooks/mono", event(10), timeout=2)
            t.join()
            self.assertEqual(bridge.proc.wait(timeout=15), 0)
        finally:
            bridge.stop()

    def test_second_signal_exits_at_once_and_says_what_was_abandoned(self):
        bridge = self.start(drain_ms=10000)
        try:
            bridge.signal(signal.SIGTERM)
            time.sleep(0.3)
            t0 = time.time()
            bridge.signal(signal.SIGTERM)
            code = bridge.proc.wait(timeout=5)
            self.assertLess(time.time() - t0, 2)
            self.assertNotEqual(code, 0)
            abandon = [r for r in bridge.log_records() if r["msg"] == "shutdown cut short: abandoning work"]
            self.assertEqual(len(abandon), 1)
            self.assertIn("requests_in_flight", abandon[0])
            self.assertIn("records_unacknowledged", abandon[0])
        finally:
            bridge.stop()

    def test_bound_running_out_exits(self):
        bridge = self.start(drain_ms=0, shutdown_ms=800)
        try:
            for b in (1,):
                self.kafka.command(f"down {b}")
            self.kafka.command("rtt 1 5000")
            # a record that can not be delivered: the queue does not drain within the bound
            bridge.post("/webhooks/mono", event(11), timeout=10)
            t0 = time.time()
            bridge.signal(signal.SIGTERM)
            code = bridge.proc.wait(timeout=10)
            self.assertLess(time.time() - t0, 3)
            msgs = [r["msg"] for r in bridge.log_records()]
            if "shutdown cut short: abandoning work" in msgs:
                self.assertNotEqual(code, 0)
            else:  # the record failed fast instead: nothing left to abandon
                self.assertEqual(code, 0)
        finally:
            bridge.stop()


class DevelopmentConfig(unittest.TestCase):
    def test_ctrl_c_exits_at_once(self):
        # config/bridge.yaml as `docker/build.sh run` starts it (embedded Kafka), on free ports
        with open(os.path.join(SOURCE_DIR, "config", "bridge.yaml")) as f:
            text = f.read()
        text = (text.replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:{port}")
                .replace("admin_listen: 0.0.0.0:9090", "admin_listen: 127.0.0.1:{admin_port}")
                .replace("threads: 0", "threads: 1"))
        bridge = Bridge(text)
        try:
            t0 = time.time()
            bridge.signal(signal.SIGINT)
            code = bridge.proc.wait(timeout=15)
            took = time.time() - t0
            self.assertEqual(code, 0, bridge.logs())
            self.assertLess(took, 1.5, "Ctrl-C on the development config waited for a drain delay")
        finally:
            bridge.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
