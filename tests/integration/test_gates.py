"""The producer's partition gates (bridge/kafka/producer.c): while a partition has a batch out,
the records that arrive for it wait in the bridge, not in librdkafka, whose broker thread would
spin until the response came (librdkafka 2.0.2 wakes a partition at once once its oldest queued
record is older than linger.ms, whether or not it may send). What an operator notices: a bridge
waiting on a slow broker uses no CPU, and every record still lands, once, in arrival order.
On loopback the gates stay off (there the hand-off between threads costs more than the spin)."""
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ENV, TOPICS, config
from harness import Bridge, Consumer, MockKafka

TOPIC = "membership.account-events"
RTT_MS = 250


def body(client, seq):
    return json.dumps({"event": "mono.events.account_updated", "event_id": f"g-{client}-{seq}",
                       "data": {"account": {"_id": "acc-one"}, "client": client,
                                "seq": seq}}).encode()


def broker_thread_ticks(pid):
    """utime + stime of the bridge's librdkafka broker threads, in clock ticks."""
    ticks = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if comm.startswith("rdk:broker"):
            ticks += int(fields[11]) + int(fields[12])
    return ticks


class Gates(unittest.TestCase):
    def test_records_waiting_on_a_slow_broker_cost_no_cpu_and_keep_their_order(self):
        kafka = MockKafka(brokers=3)
        consumer = Consumer(kafka.bootstrap)
        bridge = None
        try:
            kafka.create_topics(TOPICS)
            bridge = Bridge(config(kafka.bootstrap, ack_timeout_ms=5000), env=ENV)

            def gate_lines():
                return [r for r in bridge.log_records() if r["msg"].startswith("kafka partition gates")]

            # On loopback the gates stay off: librdkafka alone is faster there.
            t_end = time.monotonic() + 2.5
            seq = 0
            while time.monotonic() < t_end:
                self.assertEqual(bridge.post("/webhooks/mono", body("loop", seq))[0], 200)
                seq += 1
            self.assertEqual(gate_lines(), [])
            # 250 ms to the brokers: once the shortest round trip of a window says so, they turn on.
            for b in (1, 2, 3):
                kafka.command(f"rtt {b} {RTT_MS}")
            t_end = time.monotonic() + 15
            while not gate_lines() and time.monotonic() < t_end:
                self.assertEqual(bridge.post("/webhooks/mono", body("warm", seq))[0], 200)
                seq += 1
            lines = gate_lines()
            self.assertEqual([r["msg"] for r in lines], ["kafka partition gates on"])
            self.assertGreaterEqual(lines[0]["round_trip_p50_us"], RTT_MS * 1000)
            # Sixteen clients post to one key (one partition) at once, each its events in order:
            # at any time one batch is out and the others' records wait for it (librdkafka
            # alone sends no more to a partition with 5 records in flight, and spins).
            failures, done = [], []
            per_client = 6
            clients = 16

            def client(c):
                for seq in range(per_client):
                    status = bridge.post("/webhooks/mono", body(c, seq))[0]
                    if status != 200:
                        failures.append((c, seq, status))
                done.append(c)

            hz = os.sysconf("SC_CLK_TCK")
            ticks0, t0 = broker_thread_ticks(bridge.proc.pid), time.monotonic()
            threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            wall = time.monotonic() - t0
            cpu = (broker_thread_ticks(bridge.proc.pid) - ticks0) / hz
            self.assertEqual(failures, [])
            self.assertEqual(len(done), clients)
            # 96 records over at least 6 round trips of 250 ms: seconds of waiting.
            # Spinning, the broker thread of the leader burns a CPU all along (measured before
            # the gates: about 100 %); sleeping, a few percent at most.
            self.assertGreater(wall, 1.5)
            self.assertLess(cpu / wall, 0.15, f"broker threads used {cpu:.2f} s of CPU in {wall:.2f} s")

            for b in (1, 2, 3):  # the consumer's fetches would wait too
                kafka.command(f"rtt {b} 0")
            records = [json.loads(r.value) for r in consumer.read_to_end(TOPIC)
                       if json.loads(r.value)["data"].get("client") in range(clients)]
            self.assertEqual(len(records), clients * per_client)
            for c in range(clients):
                seqs = [r["data"]["seq"] for r in records if r["data"]["client"] == c]
                self.assertEqual(seqs, list(range(per_client)), f"client {c}: order")
        finally:
            if bridge is not None:
                bridge.stop()
            consumer.close()
            kafka.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
