"""HTTP/2 is off unless an operator turns it on: h2o 2.2.5 cannot bound what one HTTP/2 client
costs (headers per request, rapid reset, timers reset by any frame), and providers send
HTTP/1.1. With it off, the attacks that needed it (an HPACK header bomb, rapid reset) meet an
HTTP/1.1 parser that answers 400 and closes, on the ingest and on the admin port."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import hpack

sys.path.insert(0, os.path.dirname(__file__))
from edge import (BridgeCase, ENV, SECRET, TOPICS, Bridge, Consumer, GoodClient, MockKafka, PeakRss, config,
                  event, read_response, report)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


def header_bomb(total_bytes):
    """HEADERS frames in which one header, added to the HPACK table once, is then referenced by
    a one-byte index again and again: ~16k headers per 16 KiB frame, a stream each."""
    enc = hpack.Encoder()
    first = enc.encode([(":method", "POST"), (":path", "/webhooks/mono"), (":scheme", "http"),
                        (":authority", "x")]) + b"\x40\x01x\x01y"  # literal, incremental indexing
    out = [PREFACE, frame(4, 0, 0, b"")]  # SETTINGS
    stream, size = 1, 0
    while size < total_bytes:
        block = (first if stream == 1 else b"") + b"\xbe" * (16000 if stream == 1 else 16380)
        out.append(frame(1, 0x4, stream, block))  # END_HEADERS, body still to come
        size += len(block) + 9
        stream += 2
    return b"".join(out)


def rapid_reset(count):
    """Open a stream and reset it at once, `count` times (CVE-2023-44487)."""
    enc = hpack.Encoder()
    out = [PREFACE, frame(4, 0, 0, b"")]
    for i in range(count):
        sid = 1 + 2 * i
        block = enc.encode([(":method", "GET"), (":path", "/webhooks/mono"), (":scheme", "http"),
                            (":authority", "x")])
        out.append(frame(1, 0x5, sid, block))  # END_STREAM | END_HEADERS
        out.append(frame(3, 0, sid, (8).to_bytes(4, "big")))  # RST_STREAM CANCEL
    return b"".join(out)


def blast(port, data, seconds=5):
    """Sends data on one connection as fast as the server reads it; returns what came back and
    whether the server closed the connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    s.settimeout(0.5)
    got, closed, sent = b"", False, 0
    deadline = time.time() + seconds
    try:
        while sent < len(data) and time.time() < deadline:
            sent += s.send(data[sent:sent + 65536])
    except OSError:
        closed = True
    while not closed and time.time() < deadline:
        try:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
            got += chunk
        except socket.timeout:
            break
        except OSError:
            closed = True
    s.close()
    return got, closed, sent


class DefaultOff(BridgeCase):
    def test_prior_knowledge_is_refused_on_both_ports(self):
        for port in (self.bridge.port, self.bridge.admin_port):
            got, closed, _ = blast(port, PREFACE + frame(4, 0, 0, b""))
            self.assertTrue(got.startswith(b"HTTP/1.1 400 "), got[:80])
            self.assertTrue(closed)

    def test_upgrade_h2c_is_ignored(self):
        body = event(1, prefix="upgrade")
        s = socket.create_connection(("127.0.0.1", self.bridge.port), timeout=5)
        s.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                  b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                  b"mono-webhook-secret: " + SECRET.encode() + b"\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n" + body)
        status, headers, _ = read_response(s)
        s.close()
        self.assertEqual(status, 200)  # answered in HTTP/1.1, not 101 Switching Protocols
        self.assertNotIn("upgrade", headers)

    def test_no_server_header(self):
        for port, path in ((self.bridge.port, "/webhooks/mono"), (self.bridge.admin_port, "/healthz")):
            status, headers, _ = self.bridge.request("GET" if path == "/healthz" else "POST", path,
                                                     port=port)
            self.assertNotIn("server", headers, (port, headers))

    def test_header_bomb_and_rapid_reset_cost_nothing(self):
        good = GoodClient(self.bridge.port, prefix="bomb")
        time.sleep(0.3)
        rss = PeakRss(self.bridge.proc.pid)
        t0 = time.time()
        answers = []
        for data in (header_bomb(4 << 20), rapid_reset(20000)):
            for _ in range(2):  # two connections each, as in the report
                got, closed, sent = blast(self.bridge.port, data)
                answers.append(got[:12])
                self.assertTrue(closed, "the server must close the connection")
        growth = rss.stop()
        time.sleep(0.3)
        good.stop()
        g = good.summary()
        report("http2-off", attack_s=round(time.time() - t0, 2), rss_growth_mb=round(growth, 1),
               good_requests=g["requests"], good_ok=g["ok"], good_p99_ms=round(g["p99_s"] * 1000, 1))
        # an HTTP/1.1 400 before the close, or a reset while the attack was still sending:
        # never an HTTP/2 frame
        self.assertTrue(all(a == b"" or a.startswith(b"HTTP/1.1 400") for a in answers), answers)
        self.assertLess(growth, 16, "an HTTP/2 header bomb or reset flood must not grow the process")
        self.assertEqual(g["ok"], g["requests"], good.results[-5:])
        self.assertLess(g["p99_s"], 0.5)
        ids = {__import__("json").loads(r.value)["event_id"]
               for r in self.consumer.read("membership.account-events", expect=g["ok"])}
        self.assertTrue(good.accepted_ids() <= ids)


class OptIn(unittest.TestCase):
    def test_http2_on_serves_h2c_with_bounded_requests(self):
        nghttp, h2load = shutil.which("nghttp"), shutil.which("h2load")
        self.assertIsNotNone(nghttp, "nghttp and h2load (nghttp2-client) are test dependencies")
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap, extra="http2: true\nhttp2_max_requests: 2",
                               ack_timeout_ms=5000), env=ENV)
        consumer = Consumer(kafka.bootstrap)
        try:
            body = event(1, prefix="h2")
            with tempfile.NamedTemporaryFile() as f:
                f.write(body)
                f.flush()
                out = subprocess.run([nghttp, "-v", "-H", f"mono-webhook-secret: {SECRET}", "-d", f.name,
                                      f"http://127.0.0.1:{bridge.port}/webhooks/mono"],
                                     capture_output=True, text=True, timeout=20).stdout
            self.assertIn("recv HEADERS frame", out)  # it really spoke HTTP/2
            self.assertIn(":status: 200", out)
            self.assertNotIn("\nserver:", out)
            self.assertIn(body, [r.value for r in consumer.read("membership.account-events", expect=1)])
            # one connection with 20 streams open: at most http2_max_requests wait on Kafka
            kafka.command("rtt 1 300")
            with tempfile.NamedTemporaryFile() as f:
                f.write(body)
                f.flush()
                load = subprocess.Popen([h2load, "-n", "20", "-c", "1", "-m", "20", "-d", f.name,
                                         "-H", f"mono-webhook-secret: {SECRET}",
                                         f"http://127.0.0.1:{bridge.port}/webhooks/mono"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                seen = []
                while load.poll() is None and len(seen) < 200:
                    metrics = bridge.admin("GET", "/metrics")[2].decode()
                    seen.append(int(float(re.search(r"(?m)^webhook_bridge_requests_in_flight (\S+)", metrics).group(1))))
                    time.sleep(0.05)
                out = load.communicate(timeout=60)[0]
            kafka.command("rtt 1 0")
            self.assertIn("20 succeeded", out)
            self.assertEqual(max(seen), 2, seen)
            # the admin port stays HTTP/1.1 unless admin_http2 says otherwise
            got, _, _ = blast(bridge.admin_port, PREFACE + frame(4, 0, 0, b""))
            self.assertTrue(got.startswith(b"HTTP/1.1 400 "), got[:80])
        finally:
            consumer.close()
            bridge.stop()
            kafka.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
