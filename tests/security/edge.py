"""What the security tests share: a bridge on a mock cluster, the process's memory, and a
well-behaved client that keeps sending real webhooks while an attack runs, so each test can
assert what a provider would notice (its latency, its statuses, its records in Kafka).

Every loop here is bounded in count and in time, and talks to loopback only.
"""
import http.client
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from common import ENV, TOPICS, config, event  # noqa: E402,F401  (re-exported)
from harness import (BRIDGE_BIN, SECRET, Bridge, Consumer, MockKafka, free_port,  # noqa: E402,F401  (re-exported)
                     render_config, wait_for)


class BridgeCase(unittest.TestCase):
    """A test class with one mock cluster, one bridge on config_text(bootstrap) and one
    consumer, shared by its tests."""

    @classmethod
    def config_text(cls, bootstrap):
        return config(bootstrap)

    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=1)
        cls.kafka.create_topics(TOPICS)
        cls.bridge = Bridge(cls.config_text(cls.kafka.bootstrap), env=ENV)
        cls.consumer = Consumer(cls.kafka.bootstrap)

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.bridge.stop()
        cls.kafka.close()


def rss_kb(pid):
    """Resident memory of pid now, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class PeakRss(threading.Thread):
    """Samples a process's RSS every 20 ms until stop(); .peak_kb is the highest seen."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.base_kb = rss_kb(pid)
        self.peak_kb = self.base_kb
        self._halt = threading.Event()
        self.start()

    def run(self):
        while not self._halt.wait(0.02):
            try:
                self.peak_kb = max(self.peak_kb, rss_kb(self.pid))
            except (FileNotFoundError, ProcessLookupError, AssertionError):
                return

    def stop(self):
        self._halt.set()
        self.join()
        return (self.peak_kb - self.base_kb) / 1024  # growth in MiB


class GoodClient(threading.Thread):
    """A provider posting one valid webhook every `interval` seconds over keep-alive (a new
    connection after any failure), from `source_addr`, until stop(). Records each answer's
    status and latency; event ids are `prefix-N`."""

    def __init__(self, port, prefix="good", interval=0.05, source_addr="127.0.0.2", tls=None,
                 path="/webhooks/mono"):
        super().__init__(daemon=True)
        self.port, self.prefix, self.interval = port, prefix, interval
        self.source_addr, self.tls, self.path = source_addr, tls, path
        self.results = []  # (status or exception name, seconds)
        self._halt = threading.Event()
        self.start()

    def _connect(self):
        if self.tls is not None:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=5, context=self.tls,
                                               source_address=(self.source_addr, 0))
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=5,
                                          source_address=(self.source_addr, 0))

    def run(self):
        conn, i = None, 0
        deadline = time.time() + 120
        while not self._halt.is_set() and time.time() < deadline:
            i += 1
            t0 = time.time()
            try:
                conn = conn or self._connect()
                conn.request("POST", self.path, body=event(i, prefix=self.prefix),
                             headers={"content-type": "application/json",
                                      "mono-webhook-secret": SECRET})
                r = conn.getresponse()
                r.read()
                self.results.append((r.status, time.time() - t0))
            except (OSError, http.client.HTTPException) as e:
                self.results.append((type(e).__name__, time.time() - t0))
                if conn is not None:
                    conn.close()
                conn = None
            self._halt.wait(self.interval)
        if conn is not None:
            conn.close()

    def stop(self):
        self._halt.set()
        self.join()
        return self

    def accepted_ids(self):
        return {f"{self.prefix}-{i + 1}" for i, (st, _) in enumerate(self.results) if st == 200}

    def summary(self):
        lat = sorted(t for _, t in self.results)
        ok = sum(1 for st, _ in self.results if st == 200)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("inf")
        return {"requests": len(self.results), "ok": ok, "max_s": max(lat) if lat else None,
                "p99_s": p99}


def report(name, **figures):
    """One line per attack on stderr (ctest -V shows it): the figures the README quotes."""
    print(f"\nsecurity {name}: " + " ".join(f"{k}={v}" for k, v in figures.items()), file=sys.stderr)


def closed_within(sock, seconds):
    """True when the peer closes (EOF or reset) within `seconds`; data read is discarded."""
    sock.settimeout(0.1)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def read_response(sock, timeout=5):
    """Reads one HTTP/1.1 response (head + Content-Length body) from a raw socket; returns
    (status, headers dict lowercased, body, rest-of-stream-closed?)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body[:n]
