"""A config directory (--config DIR): every *.yaml in it, merged in name order. Adding, editing
or removing a file reloads once; a file the merge refuses is named with its line, and the
running config stays."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, event
from harness import Bridge, Consumer, MockKafka, wait_for

BASE = """listen: 127.0.0.1:{port}
admin_listen: 127.0.0.1:{admin_port}
drain_delay_ms: 0
kafka:
  brokers: BOOTSTRAP
dead_letter_topic: webhooks.dead-letter
"""

SOURCE = """sources:
  NAME:
    path: /webhooks/NAME
    verify:
      scheme: shared-secret
      header: mono-webhook-secret
      secrets: ["${MONO_WEBHOOK_SECRET}"]
    routes:
      "*": TOPIC
"""


def source(name, topic):
    return SOURCE.replace("NAME", name).replace("TOPIC", topic)


class ConfigDir(unittest.TestCase):
    def setUp(self):
        self.kafka = MockKafka(brokers=1)
        self.kafka.create_topics(TOPICS)
        self.bridge = Bridge(None, env=ENV, files={
            "00-base.yaml": BASE.replace("BOOTSTRAP", self.kafka.bootstrap),
            "10-mono.yaml": source("mono", "membership.account-events")})
        self.consumer = Consumer(self.kafka.bootstrap)

    def tearDown(self):
        self.consumer.close()
        self.bridge.stop()
        self.kafka.close()

    def reloads(self, result):
        for line in self.bridge.admin("GET", "/metrics")[2].decode().splitlines():
            if line.startswith(f'webhook_bridge_config_reloads_total{{result="{result}"}}'):
                return int(line.split()[-1])
        return 0

    def status(self, path, i):
        return self.bridge.post(path, event(i))[0]

    def test_adding_editing_and_removing_a_file_each_reload_once(self):
        self.assertEqual(self.status("/webhooks/mono", 1), 200)
        self.assertEqual(self.status("/webhooks/other", 2), 404)

        self.bridge.write_file("20-other.yaml", source("other", "payments.events"))
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 1, timeout=5))
        self.assertEqual(self.status("/webhooks/other", 3), 200)
        self.assertEqual([json.loads(r.value)["event_id"] for r in self.consumer.read("payments.events", expect=1)],
                         ["evt-3"])

        self.bridge.write_file("20-other.yaml", source("other", "webhooks.unrouted"))
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 2, timeout=5))
        self.assertEqual(self.status("/webhooks/other", 4), 200)
        self.assertEqual([json.loads(r.value)["event_id"] for r in self.consumer.read("webhooks.unrouted", expect=1)],
                         ["evt-4"])

        self.bridge.remove_file("20-other.yaml")
        self.assertTrue(wait_for(lambda: self.reloads("success") >= 3, timeout=5))
        self.assertEqual(self.status("/webhooks/other", 5), 404)

        # a file that is no *.yaml is not part of the config: no reload
        with open(os.path.join(self.bridge.config_path, "notes.txt"), "w") as f:
            f.write("not: config\n")
        time.sleep(2.5)  # the watcher looks every second
        self.assertEqual((self.reloads("success"), self.reloads("failure")), (3, 0))
        self.assertEqual([r["trigger"] for r in self.bridge.log_records() if r["msg"] == "config reloaded"],
                         ["file changed"] * 3)

    def test_a_refused_file_is_named_and_the_running_config_stays(self):
        self.bridge.write_file("20-other.yaml", "listen: 127.0.0.1:1\n" + source("mono", "payments.events"))
        self.assertTrue(wait_for(lambda: self.reloads("failure") >= 1, timeout=5))
        d = self.bridge.config_path
        errors = [r["error"] for r in self.bridge.log_records() if r["msg"].startswith("config reload refused")]
        self.assertEqual(errors, [
            f"{d}/20-other.yaml:1:1: listen: also set at {d}/00-base.yaml:1:1 (in a config directory, "
            "each top-level key is set in one file)\n"
            f"{d}/20-other.yaml:3:3: sources.mono: also defined at {d}/10-mono.yaml:2:3 (in a config "
            "directory, each source is defined in one file)"])
        self.assertEqual(self.status("/webhooks/mono", 6), 200)
        self.assertEqual(self.reloads("success"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
