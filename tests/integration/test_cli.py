"""`webhook-bridge --check-config`: the resolved routing table with secrets masked and exit 0,
or FILE:LINE:COL: key: message and exit 2, including the checks only librdkafka can make; and a start-up failure (port in use) as exit 2
with the address named."""
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIDGE_BIN, SOURCE_DIR, free_port

GOOD = """kafka:
  brokers: embedded
  librdkafka:
    compression.type: zstd
sources:
  mono:
    path: /webhooks/mono
    verify:
      scheme: shared-secret
      header: mono-webhook-secret
      secrets: ["${CLI_TEST_SECRET}"]
    routes:
      "*": webhooks.all
      mono.events.account_*: membership.accounts
      mono.events.account_connected: [membership.connected, notifications.connected]
"""


def run_bridge(args, text, env=None):
    """Runs the bridge with ARGS on TEXT as its config file: (exit status, stdout, stderr with
    the file's path as FILE)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([BRIDGE_BIN, *args, "--config", f.name], capture_output=True,
                           text=True, env=e, timeout=30)
        return p.returncode, p.stdout, p.stderr.replace(f.name, "FILE")
    finally:
        os.unlink(f.name)


def check(text, env=None):
    return run_bridge(["--check-config"], text, env)


class CheckConfig(unittest.TestCase):
    def test_valid_config_prints_routes_in_match_order_with_secrets_masked(self):
        code, out, err = check(GOOD, {"CLI_TEST_SECRET": "s3cr3t-value-42-cli"})
        self.assertEqual(code, 0, err)
        self.assertNotIn("s3cr3t-value-42", out + err)
        self.assertIn("********", out)
        routes = out[out.index("routes (match order):"):].splitlines()[1:4]
        self.assertEqual([r.strip() for r in routes],
                         ["mono.events.account_connected -> membership.connected, notifications.connected",
                          "mono.events.account_* -> membership.accounts", "* -> webhooks.all"])

    def test_shipped_configs_are_valid(self):
        for name in ["bridge.yaml", "production.yaml", "kubernetes.yaml", "compose.yaml"]:
            code, out, err = check(open(os.path.join(SOURCE_DIR, "config", name)).read(),
                                   {"MONO_WEBHOOK_SECRET": "cli-test-mono-secret"})
            self.assertEqual(code, 0, f"{name}: {err}")

    def test_errors_name_file_line_col_and_key(self):
        cases = [
            (GOOD.replace("compression.type: zstd", "compression.type: lz5"),
             "FILE:4:5: kafka.librdkafka.compression.type: "),
            (GOOD.replace("compression.type: zstd", "no.such.property: 1"),
             "FILE:4:5: kafka.librdkafka.no.such.property: "),
            (GOOD.replace("compression.type: zstd", "acks: 1"),
             "FILE:4:5: kafka.librdkafka.acks: set by webhook-bridge itself"),
            (GOOD, "FILE:11:17: sources.mono.verify.secrets[0]: environment variable CLI_TEST_SECRET is not set"),
            (GOOD.replace("    routes:", "    colour: blue\n    routes:"), "FILE:12:5: sources.mono.colour: unknown key"),
            (GOOD.replace('"*": webhooks.all', '"*": []'), "FILE:13:"),
        ]
        for text, want in cases:
            code, out, err = check(text, {"CLI_TEST_SECRET": "cli-test-secret-value"} if "CLI_TEST_SECRET is not" not in want else {})
            self.assertEqual(code, 2, want)
            self.assertIn(want, err)
            self.assertEqual(out, "")

    def test_missing_file(self):
        p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", "/nonexistent.yaml"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent.yaml: cannot open", p.stderr)



class Listen(unittest.TestCase):
    def test_port_in_use_is_a_clear_error_not_a_crash(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = GOOD.replace("kafka:", f"listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{free_port()}\nkafka:", 1)
        try:
            code, out, err = run_bridge([], config, {"CLI_TEST_SECRET": "cli-test-secret-value"})
        finally:
            taken.close()
        self.assertEqual(code, 2, err)  # the start-up failure status, not a signal
        self.assertNotIn("Sanitizer", err)  # under ASan: no double free, nothing leaked
        self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", out + err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
