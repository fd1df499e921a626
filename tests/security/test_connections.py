"""Connections and descriptors: one address cannot take every connection (a trusted proxy
can), the admin port has its own small cap, a connection flood leaves a well-behaved client from
another address unharmed, and the open-file limit is checked (and raised) before the bridge
starts, so accept() never runs out of descriptors under a flood."""
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from edge import (BridgeCase, BRIDGE_BIN, ENV, TOPICS, Bridge, GoodClient, MockKafka, PeakRss,
                  closed_within, config, free_port, open_fds, render_config, report, wait_for)


def connect(port, source="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))


def rejected(bridge, reason):
    deadline = time.time() + 5
    while True:
        try:  # the admin port may still count a test's closed connections for a moment
            metrics = bridge.admin("GET", "/metrics")[2].decode()
            break
        except ConnectionError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    return int(re.search(rf'webhook_bridge_http_connections_rejected_total{{reason="{reason}"}} (\d+)', metrics).group(1))


def closed_count(socks, seconds):
    """How many of socks the server closes within `seconds` (each checked in turn)."""
    deadline = time.time() + seconds
    return sum(1 for s in socks if closed_within(s, max(0.05, deadline - time.time())))


class PerAddress(BridgeCase):
    @classmethod
    def config_text(cls, bootstrap):
        return config(bootstrap, extra="max_connections_per_address: 20\n"
                      "admin_max_connections: 4\ntrusted_proxies: [127.0.0.3]")

    def hold(self, n, source, port=None):
        socks = [connect(port or self.bridge.port, source) for _ in range(n)]
        time.sleep(0.3)  # accepted by now
        return socks

    def test_one_address_cannot_take_more_than_its_share(self):
        before = rejected(self.bridge, "max_connections_per_address")
        socks = self.hold(21, "127.0.0.1")
        try:
            # whichever was accepted last of the 21 is closed at once (under load the kernel may
            # hand them over in any order)
            turned_away = closed_count(socks, 2)
            self.assertGreaterEqual(turned_away, 1, "one address holds at most 20")
            # another address is served while the first one holds its 20
            good = GoodClient(self.bridge.port, prefix="other", source_addr="127.0.0.2")
            time.sleep(0.5)
            g = good.stop().summary()
            self.assertGreater(g["requests"], 0)
            self.assertEqual(g["ok"], g["requests"], good.results)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(rejected(self.bridge, "max_connections_per_address"), before + turned_away)
        # closed connections are uncounted: the address gets its share back
        time.sleep(0.3)
        again = self.hold(20, "127.0.0.1")
        try:
            for s in again:
                self.assertFalse(closed_within(s, 0.05))
        finally:
            for s in again:
                s.close()

    def test_a_trusted_proxy_is_exempt(self):
        socks = self.hold(30, "127.0.0.3")
        try:
            self.assertFalse(any(closed_within(s, 0.05) for s in socks))
        finally:
            for s in socks:
                s.close()

    def test_admin_connections_are_capped_and_probes_recover(self):
        before = rejected(self.bridge, "admin_max_connections")
        socks = self.hold(5, "127.0.0.1", port=self.bridge.admin_port)
        try:
            # at most 4 held (one more may be turned away while a probe's close is in flight)
            self.assertGreaterEqual(closed_count(socks, 2), 1, "the admin port holds at most 4")
        finally:
            for s in socks:
                s.close()
        # (a probe that raced the closes may itself have been turned away and counted)
        self.assertGreaterEqual(rejected(self.bridge, "admin_max_connections"), before + 1)
        self.assertEqual(self.bridge.admin("GET", "/healthz")[0], 200)


class Flood(unittest.TestCase):
    def test_connection_flood_from_one_address(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap, extra="max_connections: 2000\nmax_connections_per_address: 100"),
                        env=ENV)
        try:
            good = GoodClient(bridge.port, prefix="flood", source_addr="127.0.0.2")
            time.sleep(0.3)
            rss = PeakRss(bridge.proc.pid)
            fds_before = open_fds(bridge.proc.pid)
            socks, refused = [], 0
            t0 = time.time()
            while len(socks) + refused < 1500 and time.time() - t0 < 10:
                try:
                    socks.append(connect(bridge.port, "127.0.0.1"))
                except OSError:
                    refused += 1
            time.sleep(0.5)
            held = sum(1 for s in socks if not closed_within(s, 0.01))
            fds_peak = open_fds(bridge.proc.pid)
            for s in socks:
                s.close()
            growth = rss.stop()
            time.sleep(0.3)
            g = good.stop().summary()
            report("connection-flood", attempts=len(socks) + refused, held_by_bridge=held,
                   fds_before=fds_before, fds_during=fds_peak, rss_growth_mb=round(growth, 1),
                   good_requests=g["requests"], good_ok=g["ok"], good_p99_ms=round(g["p99_s"] * 1000, 1))
            self.assertLessEqual(held, 100)
            self.assertLess(fds_peak - fds_before, 110)
            self.assertLess(growth, 16)
            self.assertEqual(g["ok"], g["requests"], good.results[-5:])
            self.assertLess(g["p99_s"], 0.5)
        finally:
            bridge.stop()
            kafka.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class OutOfDescriptors(unittest.TestCase):
    def test_accept_pauses_instead_of_spinning_and_recovers(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap), env=ENV)
        try:
            # what the start-up check rules out for clients alone: another holder of descriptors
            # (here a lowered limit on the running process) leaves accept() with EMFILE
            pid = bridge.proc.pid
            used = open_fds(pid)
            soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (used + 8, hard))
            socks = [connect(bridge.port) for _ in range(60)]  # the kernel's backlog takes them
            time.sleep(0.5)
            c0, t0 = cpu_seconds(pid), time.time()
            time.sleep(2)
            busy = (cpu_seconds(pid) - c0) / (time.time() - t0)
            for s in socks:
                s.close()
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
            metrics = bridge.admin("GET", "/metrics")
            errors = int(re.search(r"(?m)^webhook_bridge_http_accept_errors_total (\d+)", metrics[2].decode()).group(1))
            report("out-of-descriptors", cpu_while_full=f"{busy:.0%}", accept_errors=errors)
            self.assertLess(busy, 0.3, "a loop must not spin on a listener it cannot accept from")
            self.assertGreater(errors, 0)
            self.assertTrue(wait_for(lambda: bridge.post("/webhooks/mono", b'{"event":"x"}')[0] in (200, 400), 5))
            self.assertTrue(any(r["msg"].startswith("accept failed; pausing") for r in bridge.log_records()))
        finally:
            bridge.stop()
            kafka.close()


class FileLimit(unittest.TestCase):
    def run_with_nofile(self, soft, hard, extra=""):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        try:
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(render_config(config(kafka.bootstrap, extra=extra), port=free_port(), admin_port=free_port()))
            p = subprocess.Popen([BRIDGE_BIN, "--config", f.name], env={**os.environ, **ENV},
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 preexec_fn=limit)
            try:
                code = p.wait(timeout=3)
                out = p.stdout.read()
            except subprocess.TimeoutExpired:
                with open(f"/proc/{p.pid}/limits") as lf:
                    limits = lf.read()
                p.terminate()
                out = p.communicate(timeout=30)[0]
                code = None
                out += limits
            os.unlink(f.name)
            return code, out
        finally:
            kafka.close()

    def test_a_config_that_cannot_fit_is_refused(self):
        code, out = self.run_with_nofile(512, 512)
        self.assertEqual(code, 2, out)
        self.assertIn("max_connections (10000) + admin_max_connections (64) + 256 for Kafka and files "
                      "need 10320 open files, but the limit is 512 (hard limit 512)", out)

    def test_the_soft_limit_is_raised_where_the_hard_one_allows(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < 10320:
            self.skipTest(f"this machine's hard limit ({hard}) is below 10320")
        code, out = self.run_with_nofile(512, hard)
        self.assertIsNone(code, out)  # it started
        self.assertIn("raised the open-file limit to fit max_connections", out)
        self.assertRegex(out, r"Max open files\s+10320\s")


if __name__ == "__main__":
    unittest.main(verbosity=2)
