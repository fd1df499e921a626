"""TLS on the webhook listener: HTTP/1.1 over TLS with ALPN that offers h2 only when HTTP/2 is
on; a short handshake deadline, so half-open handshakes (about 46 KB each) cannot pile up for
idle_timeout_ms; a certificate and key that do not match are refused by --check-config and at
start; SIGHUP loads a renewed certificate (cert-manager) for new connections, and a broken one is
refused while the old one stays in service."""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from edge import (BridgeCase, BRIDGE_BIN, ENV, SECRET, TOPICS, Bridge, GoodClient, MockKafka,
                  PeakRss, closed_within, config, event, report, wait_for)


def make_cert(directory, name):
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def der_of(cert):
    with open(cert) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def client_context(alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # these tests compare the served certificate themselves
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls_connect(port, alpn=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return client_context(alpn).wrap_socket(raw)


def post_over(sock, body):
    sock.sendall(b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nmono-webhook-secret: " + SECRET.encode()
                 + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    return int(data.split(b" ", 2)[1])


def tls_config(bootstrap, cert, key, extra=""):
    return config(bootstrap, extra=f"tls: {{cert_file: {cert}, key_file: {key}, handshake_timeout_ms: 500}}\n{extra}")


class Tls(BridgeCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bridge-tls-")
        cls.cert, cls.key = make_cert(cls.dir, "bridge-test-1")
        cls.cert_path, cls.key_path = os.path.join(cls.dir, "tls.crt"), os.path.join(cls.dir, "tls.key")
        shutil.copy(cls.cert, cls.cert_path)
        shutil.copy(cls.key, cls.key_path)
        super().setUpClass()

    @classmethod
    def config_text(cls, bootstrap):
        return tls_config(bootstrap, cls.cert_path, cls.key_path)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ids(self):
        return [json.loads(r.value)["event_id"] for r in self.consumer.read("membership.account-events", timeout=3)]

    def test_1_http11_over_tls_with_alpn_without_h2(self):
        s = tls_connect(self.bridge.port, alpn=["h2", "http/1.1"])
        self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
        self.assertEqual(post_over(s, event(1, prefix="tls")), 200)
        self.assertEqual(post_over(s, event(2, prefix="tls")), 200)  # keep-alive over TLS
        s.close()
        s = tls_connect(self.bridge.port, alpn=["h2"])  # no common protocol: plain HTTP/1.1
        self.assertIn(s.selected_alpn_protocol(), (None, "http/1.1"))
        s.close()
        self.assertIn("tls-1", self.ids())
        self.assertIn("tls-2", self.ids())

    def test_2_half_open_handshakes_are_cut_at_the_deadline(self):
        ctx = client_context()
        good = GoodClient(self.bridge.port, prefix="tlsgood", source_addr="127.0.0.2", tls=ctx)
        time.sleep(0.3)
        rss = PeakRss(self.bridge.proc.pid)
        t0 = time.time()
        socks = []
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", self.bridge.port), timeout=5)
            if i % 2:
                s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello begun
            socks.append(s)
        opened = time.time() - t0
        cut = [closed_within(s, 3) for s in socks]
        elapsed = time.time() - t0
        for s in socks:
            s.close()
        growth = rss.stop()
        g = good.stop().summary()
        report("tls-half-open", connections=len(socks), cut=sum(cut), seconds_to_cut_all=round(elapsed, 2),
               rss_growth_mb=round(growth, 1), good_requests=g["requests"], good_ok=g["ok"],
               good_p99_ms=round(g["p99_s"] * 1000, 1))
        self.assertTrue(all(cut), "every half-open handshake is cut")
        self.assertLess(elapsed - opened, 2.5, "handshake_timeout_ms (500) bounds them, not idle_timeout_ms")
        self.assertLess(growth, 32)
        self.assertEqual(g["ok"], g["requests"], good.results[-5:])

    def test_3_sighup_serves_a_renewed_certificate(self):
        before = tls_connect(self.bridge.port)
        self.assertEqual(before.getpeercert(binary_form=True), der_of(self.cert))
        cert2, key2 = make_cert(self.dir, "bridge-test-2")
        shutil.copy(cert2, self.cert_path)  # as a mounted Secret changes
        shutil.copy(key2, self.key_path)
        reloads = lambda r: int(re.search(rf'webhook_bridge_config_reloads_total{{result="{r}"}} (\d+)',
                                          self.bridge.admin("GET", "/metrics")[2].decode()).group(1))
        ok0, bad0 = reloads("success"), reloads("failure")
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: reloads("success") == ok0 + 1, 5))
        after = tls_connect(self.bridge.port)
        self.assertEqual(after.getpeercert(binary_form=True), der_of(cert2))
        self.assertEqual(post_over(after, event(3, prefix="renewed")), 200)
        self.assertEqual(post_over(before, event(4, prefix="renewed")), 200)  # open ones go on
        before.close()
        after.close()
        # a key that does not match: refused, counted, logged, and the renewed pair stays
        shutil.copy(self.key, self.key_path)
        self.bridge.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: reloads("failure") == bad0 + 1, 5))
        s = tls_connect(self.bridge.port)
        self.assertEqual(s.getpeercert(binary_form=True), der_of(cert2))
        s.close()
        self.assertTrue(any(r["msg"].startswith("config reload refused") and "tls.key_file" in r["error"]
                            for r in self.bridge.log_records()))
        shutil.copy(key2, self.key_path)


class CheckConfig(unittest.TestCase):
    def test_a_key_that_does_not_match_is_refused(self):
        d = tempfile.mkdtemp(prefix="bridge-tls-")
        try:
            cert1, key1 = make_cert(d, "one")
            _, key2 = make_cert(d, "two")
            path = os.path.join(d, "bridge.yaml")

            def check(cert, key):
                with open(path, "w") as f:
                    f.write(tls_config("127.0.0.1:9092", cert, key).replace("{port}", "8443")
                            .replace("{admin_port}", "9443"))
                p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", path], env={**os.environ, **ENV},
                                   capture_output=True, text=True, timeout=20)
                return p.returncode, p.stderr
            self.assertEqual(check(cert1, key1)[0], 0)
            code, err = check(cert1, key2)
            self.assertEqual(code, 2)
            self.assertIn(f"{key2}: tls.key_file: cannot use this private key", err)
            code, err = check(os.path.join(d, "missing.crt"), key1)
            self.assertEqual(code, 2)
            self.assertIn("tls.cert_file: cannot use this certificate", err)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class Http2Alpn(unittest.TestCase):
    def test_h2_is_offered_only_when_http2_is_on(self):
        d = tempfile.mkdtemp(prefix="bridge-tls-")
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        try:
            cert, key = make_cert(d, "h2")
            bridge = Bridge(tls_config(kafka.bootstrap, cert, key, extra="http2: true"), env=ENV)
            try:
                s = tls_connect(bridge.port, alpn=["h2", "http/1.1"])
                self.assertEqual(s.selected_alpn_protocol(), "h2")
                s.close()
            finally:
                bridge.stop()
        finally:
            kafka.close()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
