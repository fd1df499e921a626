"""Log amplification: anyone can send refused requests by the thousand, and each used to write
a warn line. Refusals now spend a budget of log_rate_limit lines a second; the rest are counted,
one summary line says how many were left out, and the metrics still count every request."""
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from edge import ENV, TOPICS, Bridge, MockKafka, config, event, report, wait_for


class LogFlood(unittest.TestCase):
    def test_refusals_are_logged_within_the_budget_and_summarized(self):
        kafka = MockKafka(brokers=1)
        kafka.create_topics(TOPICS)
        bridge = Bridge(config(kafka.bootstrap, extra="log_rate_limit: 20"), env=ENV)
        try:
            body = event(1)
            req = (b"POST /webhooks/mono HTTP/1.1\r\nHost: x\r\nmono-webhook-secret: forged-secret-value\r\n"
                   b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            sent, t0 = 0, time.time()
            s = socket.create_connection(("127.0.0.1", bridge.port), timeout=5)
            while sent < 3000 and time.time() - t0 < 20:
                s.sendall(req * 50)  # pipelined: 50 forged webhooks a write
                got = b""
                while got.count(b"HTTP/1.1 401") < 50:
                    chunk = s.recv(65536)
                    self.assertTrue(chunk, "the bridge closed the connection")
                    got += chunk
                sent += 50
            s.close()
            seconds = time.time() - t0
            metrics = bridge.admin("GET", "/metrics")[2].decode()
            counted = int(re.search(r'webhook_bridge_requests_total{source="mono",outcome="unauthorized"} (\d+)',
                                    metrics).group(1))
            refused_lines = [r for r in bridge.log_records() if r["msg"] == "webhook refused"]
            # the periodic summary (every 10 s) says how many lines were left out
            self.assertTrue(wait_for(lambda: any(r["msg"].startswith("refused requests not logged")
                                                 for r in bridge.log_records()), 15, step=0.5))
            summary = [r for r in bridge.log_records() if r["msg"].startswith("refused requests not logged")]
            left_out = sum(r["lines_not_written"] for r in summary)
            size = os.path.getsize(bridge.log_path)
            report("log-flood", forged=sent, seconds=round(seconds, 2), counted=counted,
                   lines_written=len(refused_lines), lines_left_out=left_out, log_bytes=size)
            self.assertEqual(counted, sent)
            self.assertLessEqual(len(refused_lines), 20 + 20 * (seconds + 1))
            self.assertEqual(len(refused_lines) + left_out, sent)
            self.assertLess(size, 64 * 1024)
        finally:
            bridge.stop()
            kafka.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
