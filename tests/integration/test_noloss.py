"""No loss, measured: concurrent clients send webhooks with unique event ids while a fault hits
(outage, produce errors, latency past ack_timeout, SIGTERM). Afterwards every id that got a 200
must be in Kafka. Duplicates (at-least-once) are allowed and counted.

Prints one line per fault: answered_200, non_200, found_in_kafka, missing, duplicates."""
import collections
import json
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config, event
from harness import Bridge, Consumer, MockKafka

CLIENTS = 8
PER_CLIENT = 600  # bounded: the mock keeps a few MiB per partition and reading back takes time
TOPIC = "membership.account-events"


class NoLoss(unittest.TestCase):
    def run_with_fault(self, name, fault, duration=4.0, brokers=3):
        kafka = MockKafka(brokers=brokers)
        kafka.create_topics(TOPICS, partitions=6)
        bridge = Bridge(config(kafka.bootstrap, ack_timeout_ms=1000).replace(
            "drain_delay_ms: 0", "drain_delay_ms: 300"), env=ENV)
        ok, other = [], collections.Counter()
        pace = duration / PER_CLIENT  # spread each client's requests over the whole run
        lock = threading.Lock()
        stop = threading.Event()

        def client(c):
            i = 0
            while not stop.is_set() and i < PER_CLIENT:
                eid = f"{name}-{c}-{i}"
                i += 1
                try:
                    status, _, _ = bridge.post("/webhooks/mono", event(0, prefix="x").replace(b"x-0", eid.encode()), timeout=10)
                except OSError as e:
                    status = type(e).__name__
                    time.sleep(0.05)
                with lock:
                    if status == 200:
                        ok.append(eid)
                    else:
                        other[status] += 1
                time.sleep(pace)

        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        try:
            for t in threads:
                t.start()
            time.sleep(duration / 3)
            fault(kafka, bridge)
            time.sleep(duration * 2 / 3)
        finally:
            stop.set()
            for t in threads:
                t.join()
            bridge.stop()
        consumer = Consumer(kafka.bootstrap)
        records = consumer.read_to_end(TOPIC)
        consumer.close()
        kafka.close()
        seen = collections.Counter(json.loads(r.value)["event_id"] for r in records)
        missing = [e for e in ok if e not in seen]
        dups = sum(n - 1 for n in seen.values() if n > 1)
        print(f"\nno-loss {name}: answered_200={len(ok)} non_200={dict(other)} "
              f"found_in_kafka={len(seen)} missing={len(missing)} duplicates={dups}", file=sys.stderr)
        self.assertGreater(len(ok), 50, "the load must really have run")
        self.assertGreater(sum(other.values()), 0, f"the fault '{name}' must have been felt")
        self.assertEqual(missing, [], f"{len(missing)} acknowledged events are not in Kafka")

    def test_outage(self):
        def fault(kafka, bridge):
            for b in (1, 2, 3):
                kafka.command(f"down {b}")
            time.sleep(1.5)
            for b in (1, 2, 3):
                kafka.command(f"up {b}")
        self.run_with_fault("outage", fault, duration=9)

    def test_produce_errors(self):
        def fault(kafka, bridge):
            kafka.command("errors 0 10 30")  # MSG_SIZE_TOO_LARGE: permanent, per record
            kafka.command("errors 0 6 30")   # NOT_LEADER: retriable
        self.run_with_fault("produce-errors", fault)

    def test_latency_past_ack_timeout(self):
        def fault(kafka, bridge):
            for b in (1, 2, 3):
                kafka.command(f"rtt {b} 1500")
            time.sleep(1.5)
            for b in (1, 2, 3):
                kafka.command(f"rtt {b} 0")
        self.run_with_fault("latency", fault, duration=6)

    def test_sigterm(self):
        def fault(kafka, bridge):
            bridge.signal(signal.SIGTERM)
        self.run_with_fault("sigterm", fault)


if __name__ == "__main__":
    unittest.main(verbosity=2)
