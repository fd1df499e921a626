"""Items 3, 5 and 6 of issue 11 on the real cluster, under load (tests/kafka/load.py: 8 clients,
unique event ids, 32 accounts with increasing sequence numbers):

3. the broker leading the busiest partition is SIGKILLed in the middle and restarted later:
   every id answered 200 is in Kafka;
5. rolling restart (SIGTERM, restart, wait for the replicas to catch up) of all three nodes one
   at a time: no acknowledged loss, the bridge is never restarted;
6. after each, each key's records in partition order: the sequence never goes backwards except
   by repeating a record already seen.

Each prints its figures (200s, non-200s, duplicates, longest answer) on stderr."""
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realkafka import RealKafka, bridge_config  # noqa: E402

from common import ENV  # noqa: E402
from harness import Bridge, Consumer  # noqa: E402
from load import Load, order_violations, verify  # noqa: E402

PARTITIONS = 6


class Failover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = RealKafka()
        cls.kafka.ensure_all_up()

    def setUp(self):
        self.run_id = uuid.uuid4().hex[:8]
        self.topic = f"failover-{self.run_id}"
        self.kafka.create_topics([self.topic], partitions=PARTITIONS, replication=3)
        self.bridge = Bridge(bridge_config(self.kafka.bootstrap, {"*": self.topic}, ack_timeout_ms=5000),
                             env=ENV)
        self.pid = self.bridge.proc.pid

    def tearDown(self):
        try:
            self.assertIsNone(self.bridge.proc.poll(), "the bridge must never exit or be restarted")
            self.assertEqual(self.bridge.proc.pid, self.pid)
        finally:
            self.bridge.stop()
            self.kafka.ensure_all_up([self.topic])

    def busiest_partition_leader(self):
        consumer = Consumer(self.kafka.bootstrap)
        try:
            from kafka import TopicPartition
            tps = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
            ends = consumer.consumer.end_offsets(tps)
        finally:
            consumer.close()
        busiest = max(ends, key=lambda tp: ends[tp]).partition
        return busiest, self.kafka.leaders(self.topic)[busiest]

    def check(self, load, name):
        line, records = verify(self, self.kafka, self.topic, load, name)
        print(f"\n{line}", file=sys.stderr)
        self.assertGreater(len(load.ok), 2000, "the load must really have run")
        bad, keys = order_violations(records)
        print(f"{name}: order per key: {keys} keys, {len(bad)} out of order", file=sys.stderr)
        self.assertEqual(bad, [], "records out of order per key")
        self.assertEqual(keys, 32)
        return records

    def test_3_leader_killed_under_load(self):
        load = Load(self.bridge.port, self.run_id).start()
        try:
            time.sleep(4)
            partition, leader = self.busiest_partition_leader()
            self.assertIn(leader, (1, 2, 3))
            t_kill = time.monotonic()
            self.kafka.kill(leader)
            time.sleep(8)
            # the other leaders took over: the cluster still acknowledges
            self.assertNotIn(leader, self.kafka.leaders(self.topic).values())
            self.kafka.restart(leader)
            t_back = time.monotonic()
            time.sleep(4)
        finally:
            load.stop()
        print(f"\nleader-kill: partition {partition} leader {leader} SIGKILLed; back after "
              f"{t_back - t_kill:.1f}s; longest answer from the kill until it was back "
              f"{load.longest(t_kill - 0.5, t_back):.3f}s", file=sys.stderr)
        self.assertGreater(sum(load.other.values()) + sum(1 for a in load.answers if a[1] > 0.5), 0,
                           "the failover must have been felt")
        self.check(load, "leader-kill")

    def test_3b_followers_stalled_then_leader_killed(self):
        """The followers of a one-partition topic stop (SIGSTOP) for 2 s under load, so the
        leader alone holds the newest records; then the leader is SIGKILLed and the followers
        resume, and one of them leads. With acks=all nothing they lack was answered 200.
        (A build of the bridge with acks=1 lost 3,080 of 25,862 acknowledged records here.)"""
        topic = f"{self.topic}-single"
        self.kafka.create_topics([topic], partitions=1, replication=3)
        self.bridge.stop()
        self.bridge = Bridge(bridge_config(self.kafka.bootstrap, {"*": topic}, ack_timeout_ms=5000),
                             env=ENV)
        self.pid = self.bridge.proc.pid
        self.topic = topic
        leader = self.kafka.leaders(topic)[0]
        followers = [n for n in (1, 2, 3) if n != leader]
        load = Load(self.bridge.port, self.run_id).start()
        try:
            time.sleep(2)
            for n in followers:
                self.kafka.pause(n)
            time.sleep(2)
            self.kafka.kill(leader)
        finally:
            for n in followers:
                self.kafka.resume(n)
        try:
            time.sleep(10)
            self.kafka.restart(leader)
            time.sleep(3)
        finally:
            load.stop()
        self.assertGreater(sum(load.other.values()), 0, "the stall must have been felt")
        self.check(load, "followers-stalled")

    def test_5_rolling_restart_under_load(self):
        load = Load(self.bridge.port, self.run_id, max_per_client=20000).start()
        try:
            time.sleep(3)
            for n in (1, 2, 3):
                t0 = time.monotonic()
                self.kafka.term(n)
                self.kafka.restart(n)
                self.kafka.wait_full_isr(self.topic)
                print(f"\nrolling restart: node {n} stopped, back and in sync in "
                      f"{time.monotonic() - t0:.1f}s (longest answer meanwhile "
                      f"{load.longest(t0):.3f}s)", file=sys.stderr)
                self.assertIsNone(self.bridge.proc.poll())
            time.sleep(2)
        finally:
            load.stop()
        self.check(load, "rolling-restart")


if __name__ == "__main__":
    unittest.main(verbosity=2)
