"""Reload on SIGHUP and on a change of the config file: routes and secrets swap atomically,
requests in flight finish under the config they started with, a bad file is refused (logged
with file:line:col, counted) and the old config stays."""
import json
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config, event
from harness import SECRET, Bridge, Consumer, MockKafka, wait_for



class Reload(unittest.TestCase):
    def setUp(self):
        self.kafka = MockKafka(brokers=1)
        self.kafka.create_topics(TOPICS + ["membership.v2"])
        self.cfg1 = config(self.kafka.bootstrap)
        self.cfg2 = config(self.kafka.bootstrap, routes={"mono.events.*": "membership.v2", "*": "webhooks.unrouted"})
        self.bridge = Bridge(self.cfg1, env=ENV)
        self.consumer = Consumer(self.kafka.bootstrap)

    def tearDown(self):
        self.consumer.close()
        self.bridge.stop()
        self.kafka.close()

    def reloads(self, result):
        text = self.bridge.admin("GET", "/metrics")[2].decode()
        for line in text.splitlines():
            if line.startswith(f'webhook_bridge_config_reloads_total{{result="{result}"}}'):
                return int(line.split()[-1])
        return 0

    def test_sighup_swaps_routes_and_keeps_requests_in_flight_on_the_old_ones(self):
        self.kafka.command("rtt 1 800")
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("old", self.bridge.post("/webhooks/mono", event(1, prefix="old"))[0]))
        t.start()
        time.sleep(0.2)
        self.bridge.write_config(self.cfg2)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1))
        t.join()
        self.kafka.command("rtt 1 0")
        self.assertEqual(result["old"], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(2, prefix="new"))[0], 200)
        old = [json.loads(r.value)["event_id"] for r in self.consumer.read("membership.account-events", expect=1)]
        new = [json.loads(r.value)["event_id"] for r in self.consumer.read("membership.v2", expect=1)]
        self.assertEqual(old, ["old-1"])
        self.assertEqual(new, ["new-2"])
        self.assertTrue(any(r["msg"] == "config reloaded" and r["trigger"] == "SIGHUP"
                            for r in self.bridge.log_records()))

    def test_edit_then_sighup_reloads_once(self):
        # one change, one reload: the watcher must not load again what SIGHUP just loaded
        self.bridge.write_config(self.cfg2)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1))
        time.sleep(2.5)  # the watcher looks every second
        self.assertEqual(self.reloads("success"), 1)
        self.assertEqual([r["trigger"] for r in self.bridge.log_records() if r["msg"] == "config reloaded"],
                         ["SIGHUP"])

    def test_file_change_reloads_without_a_signal(self):
        # Kubernetes swaps a symlink; a rename over the file changes the inode the same way
        self.bridge.write_config(self.cfg2)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1, timeout=5))
        self.assertEqual(self.bridge.post("/webhooks/mono", event(3, prefix="watched"))[0], 200)
        ids = [json.loads(r.value)["event_id"] for r in self.consumer.read("membership.v2", expect=1)]
        self.assertEqual(ids, ["watched-3"])

    def test_configmap_symlink_swap_reloads(self):
        # the kubelet updates a mounted ConfigMap by pointing the ..data symlink at a new
        # directory: the file's path stays, the file behind it changes
        self.bridge.stop()
        self.bridge = Bridge(self.cfg1, env=ENV, configmap=True)
        self.assertTrue(os.path.islink(self.bridge.config_path))
        self.bridge.write_config(self.cfg2)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1, timeout=5))
        self.assertEqual(self.bridge.post("/webhooks/mono", event(9, prefix="cm"))[0], 200)
        ids = [json.loads(r.value)["event_id"] for r in self.consumer.read("membership.v2", expect=1)]
        self.assertEqual(ids, ["cm-9"])
        self.assertTrue(any(r["msg"] == "config reloaded" and r["trigger"] == "file changed"
                            for r in self.bridge.log_records()))

    def test_invalid_file_is_refused_and_the_old_config_stays(self):
        bad = self.cfg2.replace("scheme: shared-secret", "scheme: shared-secrett")
        self.bridge.write_config(bad)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("failure") >= 1))
        errors = [r for r in self.bridge.log_records() if r["msg"].startswith("config reload refused")]
        self.assertTrue(errors)
        self.assertRegex(errors[-1]["error"], r"bridge\.yaml:\d+:\d+: sources\.mono\.verify\.scheme: ")
        self.assertEqual(self.reloads("success"), 0)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(4, prefix="kept"))[0], 200)
        ids = [json.loads(r.value)["event_id"] for r in self.consumer.read("membership.account-events", expect=1)]
        self.assertEqual(ids, ["kept-4"])
        self.assertEqual(self.bridge.admin("GET", "/readyz")[0], 200)

    def test_secret_rotation(self):
        # old and new secret at once, then only the new one
        both = self.cfg1.replace('secrets: ["${MONO_WEBHOOK_SECRET}"]', 'secrets: ["${MONO_WEBHOOK_SECRET}", "new-secret-2"]')
        self.bridge.write_config(both)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1))
        self.assertEqual(self.bridge.post("/webhooks/mono", event(5), secret=SECRET)[0], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(6), secret="new-secret-2")[0], 200)
        only_new = self.cfg1.replace('secrets: ["${MONO_WEBHOOK_SECRET}"]', 'secrets: ["new-secret-2"]')
        self.bridge.write_config(only_new)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 2))
        self.assertEqual(self.bridge.post("/webhooks/mono", event(7), secret=SECRET)[0], 401)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(8), secret="new-secret-2")[0], 200)
        self.assertNotIn("new-secret-2", self.bridge.logs())

    def test_restart_only_settings_are_reported(self):
        changed = self.cfg1.replace("threads: 2", "threads: 1")
        self.bridge.write_config(changed)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1))
        warn = [r for r in self.bridge.log_records() if r["msg"].startswith("setting changed")]
        self.assertEqual([w["key"] for w in warn], ["threads"])

    def test_restart_only_settings_are_compared_by_value(self):
        # a librdkafka value changed with the count kept, and topic-creation keys, were ignored
        # without a word; the schema table marks every restart-only key
        changed = (self.cfg1.replace("message.timeout.ms: 20000", "message.timeout.ms: 25000")
                   .replace("  librdkafka:", "  topic_partitions: 6\n  librdkafka:"))
        self.bridge.write_config(changed)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1))
        warn = [r for r in self.bridge.log_records() if r["msg"].startswith("setting changed")]
        self.assertEqual([w["key"] for w in warn], ["kafka.topic_partitions", "kafka.librdkafka"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
