"""secret_files are watched like the config file: a Kubernetes Secret mounted as a volume is
rotated by the kubelet (a new ..<timestamp> directory, then one rename of the ..data symlink
that the key's own symlink goes through), and the bridge reloads once, without a SIGHUP: the
new secret verifies, the old one gets 401, and the secret never reaches the log."""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import TOPICS, config, event
from harness import Bridge, MockKafka, wait_for

OLD = "old-secret-file-value-1"
NEW = "new-secret-file-value-2"


class SecretVolume:
    """A directory laid out as the kubelet lays out a Secret volume: DIR/KEY -> ..data/KEY for
    every key, ..data -> ..<version>/, ..<version>/KEY holds the value. An update writes every
    key into a new version directory and renames ..data over to it, as the kubelet does."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bridge-secret-")
        self.versions = 0

    def path(self, key):
        return os.path.join(self.dir, key)

    def write(self, **values):
        self.versions += 1
        version = f"..2026_12_02_01_00_{self.versions:02d}.{os.getpid()}"
        os.mkdir(os.path.join(self.dir, version))
        for key, value in values.items():
            with open(os.path.join(self.dir, version, key), "w") as f:
                f.write(value + "\n")
        data = os.path.join(self.dir, "..data")
        old = os.readlink(data) if os.path.islink(data) else None
        os.symlink(version, os.path.join(self.dir, "..data_tmp"))
        os.rename(os.path.join(self.dir, "..data_tmp"), data)
        for key in values:
            if not os.path.islink(self.path(key)):
                os.symlink(os.path.join("..data", key), self.path(key))
        for key in os.listdir(self.dir):
            if not key.startswith("..") and key not in values:
                os.unlink(self.path(key))
        if old is not None:
            shutil.rmtree(os.path.join(self.dir, old))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class SecretFiles(unittest.TestCase):
    def setUp(self):
        self.kafka = MockKafka(brokers=1)
        self.kafka.create_topics(TOPICS)
        self.volume = SecretVolume()
        self.volume.write(MONO_WEBHOOK_SECRET=OLD)
        self.key = self.volume.path("MONO_WEBHOOK_SECRET")
        self.next_key = self.volume.path("MONO_WEBHOOK_SECRET_NEXT")
        self.cfg = config(self.kafka.bootstrap).replace(
            'secrets: ["${MONO_WEBHOOK_SECRET}"]', f"secret_files: [{self.key}]")
        self.bridge = Bridge(self.cfg)

    def tearDown(self):
        self.bridge.stop()
        self.kafka.close()
        self.volume.close()

    def reloads(self, result):
        text = self.bridge.admin("GET", "/metrics")[2].decode()
        for line in text.splitlines():
            if line.startswith(f'webhook_bridge_config_reloads_total{{result="{result}"}} '):
                return int(line.split()[-1])
        return None

    def test_rotated_secret_volume_takes_effect_without_sighup(self):
        self.assertEqual(self.bridge.post("/webhooks/mono", event(1), secret=OLD)[0], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(2), secret=NEW)[0], 401)
        self.volume.write(MONO_WEBHOOK_SECRET=NEW)
        self.assertTrue(wait_for(lambda: self.reloads("success") == 1, timeout=5), self.bridge.logs())
        self.assertEqual(self.bridge.post("/webhooks/mono", event(3), secret=NEW)[0], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(4), secret=OLD)[0], 401)
        time.sleep(2.5)  # the watcher looks every second: one change, one reload
        self.assertEqual(self.reloads("success"), 1)
        self.assertEqual(self.reloads("failure"), 0)
        changed = [r for r in self.bridge.log_records() if r["msg"] == "secret file changed; reloading"]
        self.assertEqual([r["file"] for r in changed], [self.key])
        reloaded = [r for r in self.bridge.log_records() if r["msg"] == "config reloaded"]
        self.assertEqual([r["trigger"] for r in reloaded], ["secret file changed"])
        logs = self.bridge.logs()
        self.assertNotIn(OLD, logs)
        self.assertNotIn(NEW, logs)

    def test_refused_secret_file_is_tried_once_and_the_old_secret_stays(self):
        self.volume.write(MONO_WEBHOOK_SECRET="")  # an empty secret is refused
        self.assertTrue(wait_for(lambda: self.reloads("failure") == 1, timeout=5), self.bridge.logs())
        time.sleep(2.5)
        self.assertEqual(self.reloads("failure"), 1)  # not again every second
        self.assertEqual(self.bridge.post("/webhooks/mono", event(5), secret=OLD)[0], 200)
        self.volume.write(MONO_WEBHOOK_SECRET=NEW)  # the next version is tried
        self.assertTrue(wait_for(lambda: self.reloads("success") == 1, timeout=5), self.bridge.logs())
        self.assertEqual(self.bridge.post("/webhooks/mono", event(6), secret=NEW)[0], 200)

    def test_deploy_readme_rotation_without_a_restart(self):
        # deploy/README.md "Rotate a secret": the config names a second file before the Secret
        # has it (refused), then the Secret gains the key (every key's file is swapped)
        both = self.cfg.replace(f"secret_files: [{self.key}]", f"secret_files: [{self.key}, {self.next_key}]")
        self.bridge.write_config(both)
        self.assertTrue(wait_for(lambda: self.reloads("failure") == 1, timeout=5), self.bridge.logs())
        self.volume.write(MONO_WEBHOOK_SECRET=OLD, MONO_WEBHOOK_SECRET_NEXT=NEW)
        self.assertTrue(wait_for(lambda: self.reloads("success") == 1, timeout=5), self.bridge.logs())
        self.assertEqual(self.bridge.post("/webhooks/mono", event(7), secret=OLD)[0], 200)
        self.assertEqual(self.bridge.post("/webhooks/mono", event(8), secret=NEW)[0], 200)
        # step 3: the new value under the first key, the second key and entry gone
        self.volume.write(MONO_WEBHOOK_SECRET=NEW)
        self.bridge.write_config(self.cfg)
        self.assertTrue(wait_for(lambda: self.bridge.post("/webhooks/mono", event(9), secret=OLD)[0] == 401, timeout=5))
        self.assertEqual(self.bridge.post("/webhooks/mono", event(10), secret=NEW)[0], 200)
        self.assertNotIn(OLD, self.bridge.logs())
        self.assertNotIn(NEW, self.bridge.logs())


if __name__ == "__main__":
    unittest.main(verbosity=2)
