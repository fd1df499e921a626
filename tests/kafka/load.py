"""Load for the failover tests: CLIENTS threads, each owning a few account keys. For each key a
client sends webhooks with an increasing sequence number and a stable event id per (key, seq);
a non-200 answer is retried (same id) before the key's next sequence number is sent, as a
provider does. Bounded in count (max_per_client) and time (stop())."""
import collections
import http.client
import json
import threading
import time

from harness import SECRET, Consumer

CLIENTS = 8
KEYS_PER_CLIENT = 4


def body(run, key, seq):
    return json.dumps({"event": "mono.events.account_updated", "event_id": f"{run}-{key}-{seq}",
                       "timestamp": "2026-03-14T09:12:51.702Z",
                       "data": {"account": {"_id": f"acc-{key}"}, "seq": seq}}).encode()


class Load:
    def __init__(self, port, run, max_per_client=6000, pace_s=0.002):
        self.port, self.run = port, run
        self.max_per_client, self.pace_s = max_per_client, pace_s
        self.lock = threading.Lock()
        self.ok = []  # event ids answered 200
        self.other = collections.Counter()  # non-200 answers by status (or exception name)
        self.answers = []  # (start time, seconds, status) of every answer
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(c,), daemon=True)
                        for c in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in self.threads), "a load client hangs"

    def client(self, c):
        keys = [c + CLIENTS * i for i in range(KEYS_PER_CLIENT)]
        seq = {k: 0 for k in keys}
        conn = None
        sent = 0
        while not self.stopping.is_set() and sent < self.max_per_client:
            k = keys[sent % len(keys)]
            sent += 1
            b = body(self.run, k, seq[k])
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("POST", "/webhooks/mono", body=b,
                             headers={"content-type": "application/json", "mono-webhook-secret": SECRET})
                r = conn.getresponse()
                r.read()
                status = r.status
                if r.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
                retry_after = r.getheader("retry-after")
            except OSError as e:
                status, retry_after = type(e).__name__, None
                if conn is not None:
                    conn.close()
                conn = None
            dt = time.monotonic() - t0
            with self.lock:
                self.answers.append((t0, dt, status, retry_after))
                if status == 200:
                    self.ok.append(f"{self.run}-{k}-{seq[k]}")
                else:
                    self.other[status] += 1
            if status == 200:
                seq[k] += 1
            time.sleep(self.pace_s)
        if conn is not None:
            conn.close()

    def longest(self, since=None, until=None):
        with self.lock:
            xs = [dt for t0, dt, _, _ in self.answers
                  if (since is None or t0 >= since) and (until is None or t0 <= until)]
        return max(xs) if xs else 0.0


def verify(test, kafka, topic, load, name):
    """Every 200 is in Kafka (by event id); returns the figures line. Also checks the order per
    key (item 6) and returns the records for later checks."""
    consumer = Consumer(kafka.bootstrap)
    try:
        records = consumer.read_to_end(topic, timeout=120)
    finally:
        consumer.close()
    seen = collections.Counter(json.loads(r.value)["event_id"] for r in records)
    missing = [e for e in load.ok if e not in seen]
    dups = sum(n - 1 for n in seen.values() if n > 1)
    line = (f"{name}: answered_200={len(load.ok)} non_200={dict(load.other)} "
            f"records={len(records)} missing={len(missing)} duplicates={dups} "
            f"longest_answer_s={load.longest():.3f}")
    test.assertEqual(missing, [], f"{len(missing)} acknowledged events are not in Kafka ({line})")
    return line, records


def order_violations(records):
    """Per key, in partition order: a sequence number lower than one already seen must repeat
    one already seen (a retried webhook); anything else is a record out of order. Also checks
    that a key's records share one partition."""
    by_key = collections.defaultdict(list)
    for r in records:
        by_key[r.key].append(r)
    bad = []
    for key, recs in by_key.items():
        parts = {r.partition for r in recs}
        if len(parts) != 1:
            bad.append(f"{key!r} on partitions {sorted(parts)}")
            continue
        seen, top = set(), -1
        for r in sorted(recs, key=lambda r: r.offset):
            s = json.loads(r.value)["data"]["seq"]
            if s < top and s not in seen:
                bad.append(f"{key!r}: seq {s} at offset {r.offset} after {top}, never seen before")
            seen.add(s)
            top = max(top, s)
    return bad, len(by_key)
