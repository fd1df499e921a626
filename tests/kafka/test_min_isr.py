"""Item 4 of issue 11: two of three nodes down, so acks=all with min.insync.replicas=2 cannot be
met (and the controller quorum is gone with them: the survivor keeps serving its last metadata,
leaders and full ISRs included, and simply never acknowledges). Webhooks get 503 with
Retry-After within ack_timeout_ms and never 200; /readyz turns 503 and says why; when one node
returns, 200s resume without restarting the bridge; every 200 is in Kafka.

The mock cluster cannot show this: any broker it has up acknowledges acks=all at once."""
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realkafka import RealKafka, bridge_config  # noqa: E402

from common import ENV  # noqa: E402
from harness import Bridge, Consumer  # noqa: E402
from load import Load  # noqa: E402

ACK_TIMEOUT_MS = 3000


class TwoOfThreeDown(unittest.TestCase):
    def setUp(self):
        self.kafka = RealKafka()
        self.kafka.ensure_all_up()
        self.run_id = uuid.uuid4().hex[:8]
        self.topic = f"min-isr-{self.run_id}"
        self.kafka.create_topics([self.topic], partitions=3, replication=3)
        self.bridge = Bridge(bridge_config(self.kafka.bootstrap, {"*": self.topic},
                                           ack_timeout_ms=ACK_TIMEOUT_MS), env=ENV)

    def tearDown(self):
        self.bridge.stop()
        self.kafka.ensure_all_up([self.topic])

    def readyz(self):
        status, _, body = self.bridge.admin("GET", "/readyz")
        return status, body.decode()

    def test_503_within_ack_timeout_never_200_readyz_says_why_then_recovers(self):
        self.assertEqual(self.readyz()[0], 200)
        pid = self.bridge.proc.pid
        before = Load(self.bridge.port, self.run_id + "-before", max_per_client=20).start()
        before.stop()
        self.assertEqual(before.other, {}, "a healthy cluster acknowledges")

        self.kafka.kill(2)
        self.kafka.kill(3)
        down = Load(self.bridge.port, self.run_id + "-down", pace_s=0.2).start()
        readyz_seen = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status, body = self.readyz()
            if status == 503 and readyz_seen is None:
                readyz_seen = (time.monotonic() - (deadline - 15), body)
            time.sleep(0.25)
        down.stop()
        self.assertIsNotNone(readyz_seen, "/readyz must turn 503 while nothing can be acknowledged")
        self.assertIn("not acknowledging", readyz_seen[1])
        self.assertIn("min.insync.replicas", readyz_seen[1])
        self.assertEqual(self.readyz()[0], 503)
        answers = down.answers
        self.assertGreater(len(answers), 20)
        statuses = {a[2] for a in answers}
        self.assertEqual(statuses, {503}, f"answers while two nodes are down: {down.other}")
        self.assertTrue(all(a[3] is not None for a in answers), "every 503 carries Retry-After")
        longest = max(a[1] for a in answers)
        self.assertLess(longest, ACK_TIMEOUT_MS / 1000 + 0.5, "503 within ack_timeout_ms")
        fast = sum(1 for a in answers if a[1] < 0.5)

        self.kafka.restart(2)
        t_back = time.monotonic()
        after = Load(self.bridge.port, self.run_id + "-after", pace_s=0.1).start()
        ok_at = None
        while time.monotonic() < t_back + 60 and ok_at is None:
            with after.lock:
                if after.ok:
                    ok_at = time.monotonic() - t_back
            time.sleep(0.1)
        time.sleep(1)
        after.stop()
        self.assertIsNotNone(ok_at, "200s must resume when a node returns, without a restart")
        self.assertEqual(self.bridge.proc.pid, pid)
        self.assertIsNone(self.bridge.proc.poll())
        self.assertTrue(self.wait_ready(), f"/readyz after recovery: {self.readyz()}")
        print(f"\nmin-isr: while 2 of 3 down: {len(answers)} answers, all 503 with Retry-After, "
              f"longest {longest:.3f}s, {fast} refused at once; /readyz 503 after "
              f"{readyz_seen[0]:.1f}s: {readyz_seen[1].strip()!r}; first 200 {ok_at:.1f}s after a "
              f"node returned", file=sys.stderr)

        self.kafka.ensure_all_up([self.topic])
        consumer = Consumer(self.kafka.bootstrap)
        try:
            records = consumer.read_to_end(self.topic)
        finally:
            consumer.close()
        seen = {json.loads(r.value)["event_id"] for r in records}
        missing = [e for e in before.ok + after.ok if e not in seen]
        self.assertEqual(missing, [])

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.readyz()[0] == 200:
                return True
            time.sleep(0.2)
        return False


if __name__ == "__main__":
    unittest.main(verbosity=2)
