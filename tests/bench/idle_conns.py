#!/usr/bin/env python3
"""Opens N keep-alive connections to a server; each makes one POST (a Mono webhook with a unique
event_id) and then idles. Prints "ready OK_COUNT" once every connection has its answer, then
keeps them open until stdin closes (or says "quit").

    idle_conns.py HOST PORT N BODY_FILE SECRET [PATH]

Connections are opened in batches of 500 (connect all, send all, read all), so 10,000 take a
few seconds. The caller must raise the open-file limit above N.
"""
import re
import socket
import sys


def main():
    host, port, n, body_file, secret = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    path = sys.argv[6] if len(sys.argv) > 6 else "/webhooks/mono"
    with open(body_file, "rb") as f:
        body = f.read()
    socks, ok = [], 0
    for start in range(0, n, 500):
        batch = []
        for i in range(start, min(n, start + 500)):
            s = socket.create_connection((host, port), timeout=30)
            b = re.sub(rb'("event_id"\s*:\s*")[^"]*"', b'\\g<1>idle-%d-%d"' % (n, i), body, count=1)
            s.sendall(b"POST %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                      b"mono-webhook-secret: %s\r\nContent-Length: %d\r\n\r\n%s"
                      % (path.encode(), secret.encode(), len(b), b))
            batch.append(s)
        for s in batch:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            need = int(m.group(1)) if m else 0
            while len(rest) < need:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
            if head.startswith(b"HTTP/1.1 2"):
                ok += 1
        socks.extend(batch)
    print(f"ready {ok}", flush=True)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
