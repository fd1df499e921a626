"""HTTP/1.1 framing that two parsers could read differently (RFC 9112 section 6.3): two
Content-Length headers that disagree, or Content-Length with Transfer-Encoding. h2o 2.2.5 would
take the first length and read the rest as a new request on the same connection, which a proxy
in front may have seen as part of the body (request smuggling). The bridge answers 400 and
closes; nothing reaches Kafka, not even the request hidden in the body."""
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from edge import (BridgeCase, SECRET, closed_within, event, read_response)


def head(lines):
    return ("\r\n".join(["POST /webhooks/mono HTTP/1.1", "Host: x",
                         f"mono-webhook-secret: {SECRET}", "Content-Type: application/json"] + lines)
            + "\r\n\r\n").encode()


class Framing(BridgeCase):
    def send(self, data):
        s = socket.create_connection(("127.0.0.1", self.bridge.port), timeout=5)
        s.sendall(data)
        status, headers, body = read_response(s)
        closed = closed_within(s, 2)
        s.close()
        return status, headers, body, closed

    def smuggled(self, name):
        """A complete second webhook, to hide after the first one's declared length."""
        inner = event(1, prefix=name)
        return head([f"Content-Length: {len(inner)}"]) + inner

    def ids(self):
        return [json.loads(r.value)["event_id"]
                for r in self.consumer.read("membership.account-events", timeout=3)]

    def test_two_different_content_lengths(self):
        outer = event(1, prefix="cl-outer")
        hidden = self.smuggled("cl-hidden")
        data = head([f"Content-Length: {len(outer)}", f"Content-Length: {len(outer) + len(hidden)}"]) + outer + hidden
        status, headers, body, closed = self.send(data)
        self.assertEqual(status, 400)
        self.assertEqual(headers.get("connection"), "close")
        self.assertEqual(json.loads(body)["status"], "bad_request")
        self.assertTrue(closed, "the connection must be closed after an ambiguous request")
        ids = self.ids()
        self.assertNotIn("cl-outer-1", ids)
        self.assertNotIn("cl-hidden-1", ids)

    def test_content_length_with_chunked(self):
        outer = event(1, prefix="te-outer")
        chunked = f"{len(outer):x}\r\n".encode() + outer + b"\r\n0\r\n\r\n"
        for lines in (["Content-Length: 5", "Transfer-Encoding: chunked"],
                      ["Transfer-Encoding: chunked", "Content-Length: 5"]):
            status, headers, body, closed = self.send(head(lines) + chunked)
            self.assertEqual(status, 400, lines)
            self.assertEqual(headers.get("connection"), "close")
            self.assertTrue(closed)
        self.assertNotIn("te-outer-1", self.ids())

    def test_repeated_equal_length_and_plain_chunked_are_fine(self):
        one = event(1, prefix="same-len")
        status, _, _, _ = self.send(head([f"Content-Length: {len(one)}", f"Content-Length: {len(one)}"]) + one)
        self.assertEqual(status, 200)
        two = event(2, prefix="chunked")
        status, _, _, _ = self.send(head(["Transfer-Encoding: chunked"])
                                    + f"{len(two):x}\r\n".encode() + two + b"\r\n0\r\n\r\n")
        self.assertEqual(status, 200)
        # keep-alive and pipelining still work for well-framed requests
        s = socket.create_connection(("127.0.0.1", self.bridge.port), timeout=5)
        a, b = event(3, prefix="pipe"), event(4, prefix="pipe")
        s.sendall(head([f"Content-Length: {len(a)}"]) + a + head([f"Content-Length: {len(b)}"]) + b)
        self.assertEqual(read_response(s)[0], 200)
        self.assertEqual(read_response(s)[0], 200)
        s.close()
        ids = self.ids()
        for i in ("same-len-1", "chunked-2", "pipe-3", "pipe-4"):
            self.assertIn(i, ids)


if __name__ == "__main__":
    unittest.main(verbosity=2)
