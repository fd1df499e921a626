"""`webhook-bridge --check-config` as a linter: every error of a file at once, in file order,
exit 2; the nearest valid key for an unknown one; warnings (exit 0) at FILE:LINE:COL for what
loads but cannot work as meant; a hint for an unquoted '*'; --placeholders for CI without the
secrets; and a config directory checked as one config, its errors naming their own files."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIDGE_BIN, SOURCE_DIR

SECRET = "a-long-enough-secret-value"


def run(args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.endswith("_SECRET")}
    e.update(env or {})
    p = subprocess.run([BRIDGE_BIN, *args], capture_output=True, text=True, env=e, timeout=30)
    return p.returncode, p.stdout, p.stderr


class Lint(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bridge-lint-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, path, env=None, extra=()):
        code, out, err = run(["--check-config", *extra, "--config", path], env)
        return code, out, err.replace(self.dir + "/", "")

    def test_every_error_at_once_in_file_order(self):
        path = self.write("errs.yaml", """listen: 0.0.0.0:99999
kafka:
  brokers: embedded
  topic_partitions: lots
sources:
  mono:
    path: /webhooks/mono
    verify:
      scheme: shared-secret
      hedaer: mono-webhook-secret
      secrets: ["${LINT_SECRET}"]
    routes:
      "*": bad topic
  stripe:
    path: webhooks/stripe
    verify: {scheme: stripe, secrets: ["${LINT_SECRET}"]}
    routes: {"*": stripe.events}
""")
        code, out, err = self.check(path, {"LINT_SECRET": SECRET})
        self.assertEqual((code, out), (2, ""))
        self.assertEqual(err.splitlines(), [
            'errs.yaml:1:9: listen: invalid address "0.0.0.0:99999": port out of range (1..65535)',
            'errs.yaml:4:21: kafka.topic_partitions: expected an integer, got "lots"',
            "errs.yaml:10:7: sources.mono.verify.hedaer: unknown key (did you mean header?)",
            'errs.yaml:13:12: sources.mono.routes."*": invalid topic name "bad topic": a topic name has '
            "only the characters a-z A-Z 0-9 . _ -",
            "errs.yaml:15:11: sources.stripe.path: invalid path \"webhooks/stripe\": a path starts with '/'",
        ])

    def test_warnings_at_file_line_col_exit_0(self):
        path = self.write("warn.yaml", """kafka:
  brokers: [SASL_SSL://kafka-0:9093, kafka-1:9093]
sources:
  mono:
    path: /webhooks/mono
    verify:
      scheme: shared-secret
      header: mono-webhook-secret
      secrets: ["${LINT_SECRET}"]
    routes:
      mono.events.*: mono.events
      mono.events.*_updated: mono.updates
      direct_debit.*: __consumer_offsets
      "*": webhooks.unrouted
  stripe:
    path: /webhooks/stripe
    format: structured
    verify: {scheme: stripe, secrets: [" ${LINT_SECRET}"]}
    routes:
      "*": webhooks.unrouted
""")
        # an env secret with the line end `echo` or a file-made Secret leaves on it
        code, out, err = self.check(path, {"LINT_SECRET": SECRET + "\n"})
        self.assertEqual(code, 0, err)
        self.assertIn("kafka.brokers: kafka-0:9093,kafka-1:9093\n", out)
        self.assertEqual(err.splitlines(), [
            'warn.yaml:2:13: kafka.brokers: warning: broker "SASL_SSL://kafka-0:9093" is written with a '
            'scheme: the bridge drops "SASL_SSL://" and uses host:port; TLS and SASL are set by '
            "kafka.librdkafka security.protocol",
            "warn.yaml:9:17: sources.mono.verify.secrets[0]: warning: the secret ends with whitespace "
            "(a line end): it is compared byte for byte, so a request with the secret as the provider "
            "shows it gets 401",
            'warn.yaml:12:7: sources.mono.routes."mono.events.*_updated": warning: never matches: route '
            '"mono.events.*" (at 11:7) comes first in match order and takes every event type this one would',
            'warn.yaml:13:23: sources.mono.routes."direct_debit.*": warning: topic "__consumer_offsets" is '
            "named like Kafka's internal topics (__consumer_offsets, __transaction_state): brokers refuse "
            "records to those",
            "warn.yaml:18:40: sources.stripe.verify.secrets[0]: warning: the secret starts and ends with "
            "whitespace (a line end): it is compared byte for byte, so a request with the secret as the "
            "provider shows it gets 401",
            'warn.yaml:20:7: sources.stripe.routes."*": warning: topic "webhooks.unrouted" also gets the '
            "records of source mono (at 14:7) in binary format, and this source's in structured: its "
            "consumers see both formats",
        ])
        self.assertNotIn(SECRET, out + err)

    def test_two_sources_sharing_a_topic_is_a_warning_a_shared_dead_letter_topic_is_not(self):
        path = self.write("shared.yaml", """kafka: {brokers: embedded}
dead_letter_topic: webhooks.dead-letter
sources:
  a:
    path: /a
    verify: {scheme: stripe, secrets: ["${LINT_SECRET}"]}
    routes: {"x.*": payments.events, "*": a.events}
  b:
    path: /b
    verify: {scheme: stripe, secrets: ["${LINT_SECRET}"]}
    routes: {"y": [b.events, payments.events], "*": payments.events}
""")
        code, out, err = self.check(path, {"LINT_SECRET": SECRET})
        self.assertEqual(code, 0, err)
        self.assertEqual(err.splitlines(), [
            'shared.yaml:11:14: sources.b.routes.y: warning: topic "payments.events" also gets the records '
            "of source a (at 7:14): its consumers see two providers' events in one topic"])

    def test_an_unquoted_star_gets_a_hint_to_quote_it(self):
        for routes in ["      *.created: t\n", "      *created: t\n", '      "a": *\n']:
            path = self.write("star.yaml", "kafka: {brokers: embedded}\nsources:\n  s:\n    path: /s\n"
                              "    verify: {scheme: none, insecure: true}\n    routes:\n" + routes)
            code, out, err = self.check(path)
            self.assertEqual((code, out), (2, ""))
            col = routes.index("*") + 1
            self.assertEqual(err, f"star.yaml:7:{col}: an unquoted value cannot start with '*' (YAML reads "
                                  '*name as an alias): quote it, e.g. "*.created": topic\n', routes)

    def test_placeholders_check_a_file_without_its_secrets(self):
        production = os.path.join(SOURCE_DIR, "config", "production.yaml")
        code, out, err = run(["--check-config", "--config", production])
        self.assertEqual((code, out), (2, ""))
        self.assertIn("environment variable MONO_WEBHOOK_SECRET is not set and has no default", err)
        code, out, err = run(["--check-config", "--placeholders", "--config", production])
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"^(\S+:\d+:\d+: \S+: warning: \$\{[A-Z_]+\} is not set: checked with a "
                              r"placeholder \(--placeholders\)\n)+$")
        self.assertIn(": sources.mono.verify.secrets[0]: warning: ${MONO_WEBHOOK_SECRET} is not set: "
                      "checked with a placeholder (--placeholders)\n", err)
        self.assertIn("source mono", out)
        # a set variable is used as it is, not replaced
        code, out, err = run(["--check-config", "--placeholders", "--config", production],
                             {"MONO_WEBHOOK_SECRET": SECRET})
        self.assertEqual((code, err), (0, ""))
        # a served config never runs on placeholders
        code, out, err = run(["--placeholders", "--config", production])
        self.assertEqual(code, 2)
        self.assertIn("--placeholders goes with --check-config only", err)

    def test_every_provider_checks_in_ci_with_placeholders(self):
        # a drop-in provider beside the base, with no secret set: what a CI job checks
        for p in sorted(os.listdir(os.path.join(SOURCE_DIR, "config", "providers"))):
            conf = os.path.join(self.dir, p + ".d")
            os.mkdir(conf)
            shutil.copy(os.path.join(SOURCE_DIR, "config", "base.yaml"), os.path.join(conf, "00-base.yaml"))
            shutil.copy(os.path.join(SOURCE_DIR, "config", "providers", p), conf)
            code, out, err = self.check(conf, extra=["--placeholders"])
            self.assertEqual(code, 0, f"{p}: {err}")
            self.assertRegex(err, r"^\S+:\d+:\d+: sources\.[a-z0-9-]+\.verify\.secrets\[0\]: warning: "
                                  r"\$\{[A-Z_]+\} is not set: checked with a placeholder \(--placeholders\)\n$", p)

    def test_a_directory_is_checked_as_one_config(self):
        conf = os.path.join(self.dir, "conf.d")
        shutil.copy(os.path.join(SOURCE_DIR, "config", "base.yaml"), self.write("conf.d/00-base.yaml", ""))
        for p in ["mono.yaml", "github.yaml"]:
            shutil.copy(os.path.join(SOURCE_DIR, "config", "providers", p), os.path.join(conf, p))
        self.write("conf.d/README.md", "not part of the config\n")
        env = {"MONO_WEBHOOK_SECRET": SECRET, "GITHUB_WEBHOOK_SECRET": SECRET}
        code, out, err = self.check(conf, env)
        self.assertEqual((code, err), (0, ""))
        self.assertIn("config: " + conf + "\n", out)
        self.assertIn("\nsource github\n", out)
        self.assertIn("\nsource mono\n", out)

        # the same source twice, a top-level key twice, and an error inside one file: each
        # named with its own file
        shutil.copy(os.path.join(conf, "mono.yaml"), os.path.join(conf, "zz-mono-again.yaml"))
        self.write("conf.d/10-more.yaml", "dead_letter_topic: other\nsources:\n  x:\n    path: /x\n"
                                          "    verify: {scheme: none, insecure: yes}\n    routes: {\"*\": t}\n")
        code, out, err = self.check(conf, env)
        self.assertEqual((code, out), (2, ""))
        self.assertEqual(err.splitlines(), [
            "conf.d/10-more.yaml:1:1: dead_letter_topic: also set at conf.d/00-base.yaml:19:1 (in a config "
            "directory, each top-level key is set in one file)",
            'conf.d/10-more.yaml:5:38: sources.x.verify.insecure: expected true or false, got "yes"',
            "conf.d/zz-mono-again.yaml:7:3: sources.mono: also defined at conf.d/mono.yaml:7:3 (in a config "
            "directory, each source is defined in one file)",
        ])

        empty = os.path.join(self.dir, "empty")
        os.mkdir(empty)
        code, out, err = self.check(empty)
        self.assertEqual((code, err), (2, "empty: no *.yaml file in the directory\n"))


def readme_example(marker):
    """The fenced blocks right after <!-- example: marker --> in README.md."""
    with open(os.path.join(SOURCE_DIR, "README.md")) as f:
        text = f.read()
    at = text.index(f"<!-- example: {marker} -->")
    return re.findall(r"```[a-z]*\n(.*?)```", text[at:], re.S)


class Documents(unittest.TestCase):
    def test_the_readme_error_example_prints_what_it_shows(self):
        yaml, shown = readme_example("check-config-errors")[:2]
        lines = shown.splitlines()
        self.assertEqual(lines[0], "$ webhook-bridge --check-config --config bad.yaml")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bad.yaml"), "w") as f:
                f.write(yaml)
            p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", "bad.yaml"], cwd=d,
                               capture_output=True, text=True, env=dict(os.environ, MONO_WEBHOOK_SECRET=SECRET))
        self.assertEqual((p.returncode, p.stdout), (2, ""))
        self.assertEqual(p.stderr.splitlines(), lines[1:])

    def test_the_readme_directory_example_prints_what_it_shows(self):
        shown = readme_example("config-directory")[0].splitlines()
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "conf.d")
            os.mkdir(conf)
            shutil.copy(os.path.join(SOURCE_DIR, "config", "base.yaml"), os.path.join(conf, "00-base.yaml"))
            for p in ["mono.yaml", "github.yaml"]:
                shutil.copy(os.path.join(SOURCE_DIR, "config", "providers", p), conf)
            env = dict(os.environ, MONO_WEBHOOK_SECRET=SECRET, GITHUB_WEBHOOK_SECRET=SECRET)
            p = subprocess.run([BRIDGE_BIN, "--check-config", "--config", "conf.d"], cwd=d,
                               capture_output=True, text=True, env=env)
            self.assertEqual((p.returncode, p.stderr), (0, ""))
            shown_out = [l for l in shown[4:shown.index("$ cp config/providers/mono.yaml conf.d/mono2.yaml")]
                         if l != "..."]
            out = p.stdout.splitlines()
            self.assertEqual([l for l in out if l in shown_out], shown_out)
            shutil.copy(os.path.join(SOURCE_DIR, "config", "providers", "mono.yaml"), os.path.join(conf, "mono2.yaml"))
            p = subprocess.run([BRIDGE_BIN, "--check-config", "--placeholders", "--config", "conf.d"], cwd=d,
                               capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")})
            self.assertEqual((p.returncode, p.stdout), (2, ""))
            self.assertEqual(p.stderr.splitlines(), shown[-1:])  # errors only: no warning then

    def test_production_yaml_mentions_every_key(self):
        # "every key, commented": each key of the reference (the schema) is written, or
        # commented out, in config/production.yaml
        ref = subprocess.run([BRIDGE_BIN, "--config-reference"], capture_output=True, text=True).stdout
        keys = [k.replace("<name>", "*") for k in re.findall(r"(?m)^#+ `([^`]+)`", ref)]
        self.assertIn("kafka.embedded_brokers", keys)
        seen, stack = set(), []
        with open(os.path.join(SOURCE_DIR, "config", "production.yaml")) as f:
            for line in f:
                m = re.match(r'^(#?)(\s*)(?:#\s*)?([A-Za-z_][A-Za-z0-9_.-]*|"[^"]*"):(\s|$)', line)
                if m is None:
                    continue
                indent = len(m.group(2)) - len(m.group(1))  # "# tls:" is at column 0
                while stack and stack[-1][0] >= indent:
                    stack.pop()
                stack.append((indent, m.group(3).strip('"')))
                seen.add(re.sub(r"^sources\.[^.]+", "sources.*", ".".join(k for _, k in stack)))
        missing = [k for k in keys if k not in seen and not k.startswith("kafka.librdkafka.")]
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
