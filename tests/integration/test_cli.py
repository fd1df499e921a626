"""`webhook-bridge --check-config`: the resolved routing table with secrets masked and exit 0,
or FILE:LINE:COL: key: message and exit 2, including the checks only librdkafka can make; and a start-up failure (port in use) as exit 2
with the address named."""
import json
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
        with tempfile.NamedTemporaryFile("w", suffix=".secret") as secret:
            secret.write("cli-test-mono-secret\n")
            secret.flush()
            env = {"MONO_WEBHOOK_SECRET": "cli-test-mono-secret",  # the env-var configs
                   "MONO_WEBHOOK_SECRET_FILE": secret.name}  # kubernetes.yaml's secret_files
            for name in ["bridge.yaml", "production.yaml", "kubernetes.yaml", "compose.yaml"]:
                code, out, err = check(open(os.path.join(SOURCE_DIR, "config", name)).read(), env)
                self.assertEqual((code, err), (0, ""), name)  # no error, no warning

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

    def test_what_only_a_librdkafka_client_checks_is_reported_at_the_property_line(self):
        """--check-config creates a client offline: a CA file that holds no certificate, an
        unknown SASL mechanism, SASL without a username (librdkafka says so only in
        rd_kafka_new) are errors at the property's line."""
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as junk:
            junk.write("not a certificate\n")
        good_ca = junk.name + ".ca.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=cli test CA", "-keyout", junk.name + ".key", "-out", good_ca],
                       check=True, capture_output=True)
        sasl = ("    security.protocol: SASL_SSL\n    sasl.mechanisms: {mech}\n"
                "{user}    sasl.password: not-printed-pw-81\n    ssl.ca.location: {ca}\n")
        user = "    sasl.username: bridge\n"
        cases = [
            (sasl.format(mech="PLAIN", user=user, ca=junk.name),
             "FILE:8:5: kafka.librdkafka.ssl.ca.location: ssl.ca.location failed: "),
            (sasl.format(mech="PLAINN", user=user, ca=good_ca),
             "FILE:5:5: kafka.librdkafka.sasl.mechanisms: Unsupported SASL mechanism: PLAINN"),
            (sasl.format(mech="PLAIN", user="", ca=good_ca),
             "FILE:5:5: kafka.librdkafka.sasl.mechanisms: sasl.username and sasl.password must be set"),
        ]
        try:
            for props, want in cases:
                text = GOOD.replace("    compression.type: zstd\n", props)
                code, out, err = check(text, {"CLI_TEST_SECRET": "cli-test-secret-value"})
                self.assertEqual((code, out), (2, ""), err)
                self.assertIn(want, err)
                self.assertNotIn("not-printed-pw-81", err)
            # the same SASL_SSL settings with a real CA bundle pass
            code, _, err = check(GOOD.replace("    compression.type: zstd\n",
                                              sasl.format(mech="PLAIN", user=user, ca=good_ca)),
                                 {"CLI_TEST_SECRET": "cli-test-secret-value"})
            self.assertEqual(code, 0, err)
        finally:
            for f in (junk.name, junk.name + ".key", good_ca):
                os.unlink(f)

    def test_connect_needs_check_config(self):
        code, out, err = run_bridge(["--connect"], GOOD, {"CLI_TEST_SECRET": "cli-test-secret-value"})
        self.assertEqual(code, 2)
        self.assertIn("usage:", err)

    def test_missing_file(self):
        p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", "/nonexistent.yaml"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent.yaml: cannot open", p.stderr)



class ListTopics(unittest.TestCase):
    def test_routed_topics_as_json_lines_in_file_order(self):
        # never connects: the brokers need not exist
        text = GOOD.replace("  brokers: embedded\n", "  brokers: 127.0.0.1:9\n  topic_partitions: 12\n"
                            "  topic_replication: 2\n").replace("kafka:\n", "dead_letter_topic: webhooks.dead-letter\nkafka:\n", 1)
        code, out, err = run_bridge(["--list-topics"], text, {"CLI_TEST_SECRET": "cli-test-secret-value"})
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        rows = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(rows, [
            {"topic": t, "partitions": 12, "replication": 2, "dead_letter": t == "webhooks.dead-letter"}
            for t in ["webhooks.all", "membership.accounts", "membership.connected",
                      "notifications.connected", "webhooks.dead-letter"]])

    def test_defaults_and_shipped_configs(self):
        # embedded: replication defaults to 1 (one in-process broker)
        code, out, err = run_bridge(["--list-topics"], GOOD, {"CLI_TEST_SECRET": "cli-test-secret-value"})
        self.assertEqual(code, 0, err)
        self.assertEqual({(r["partitions"], r["replication"]) for r in map(json.loads, out.splitlines())}, {(3, 1)})
        code, out, err = run_bridge(["--list-topics"], open(os.path.join(SOURCE_DIR, "config", "compose.yaml")).read())
        self.assertEqual(code, 0, err)
        rows = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(rows), 20)
        self.assertEqual([r["topic"] for r in rows if r["dead_letter"]], ["webhooks.dead-letter"])

    def test_invalid_config_exits_2_with_the_error(self):
        code, out, err = run_bridge(["--list-topics"], GOOD.replace('"*": webhooks.all', '"*": "bad topic"'),
                                    {"CLI_TEST_SECRET": "cli-test-secret-value"})
        self.assertEqual((code, out), (2, ""))
        self.assertIn("FILE:13:", err)
        self.assertIn("sources.mono.routes", err)


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
