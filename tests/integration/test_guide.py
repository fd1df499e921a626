"""The consumer guide's examples run (issue 15): docs/consumers.md's Python consumer (kafka-python)
and its kcat line are copied out of the guide and run against the bridge on the shipped config,
and its table of what each Mono event type is keyed by is checked against the records."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import SECRET, SOURCE_DIR, Bridge, Consumer, MockKafka, fixture, headers_of
from test_e2e import ALL_TOPICS, EXPECTED_TOPICS, shipped_config

GUIDE = os.path.join(SOURCE_DIR, "docs", "consumers.md")
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-kafka


def guide():
    with open(GUIDE) as f:
        return f.read()


def example(marker, lang):
    """The fenced block right after <!-- example: marker -->."""
    m = re.search(r"<!-- example: " + re.escape(marker) + r" -->\s*```" + lang + r"\n(.*?)```",
                  guide(), re.S)
    assert m, f"docs/consumers.md: no {lang} block after <!-- example: {marker} -->"
    return m.group(1)


def key_table():
    """{event type: ce_partitionkeyfrom} from the guide's Mono table."""
    m = re.search(r"<!-- mono-key-table -->(.*?)<!-- end mono-key-table -->", guide(), re.S)
    assert m, "docs/consumers.md: no Mono key table"
    table = {}
    for line in m.group(1).strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        base = names[0]
        table[base] = cells[1].strip("`")
        for n in names[1:]:  # ".approved" after "events.mandates.created"
            table[base.rsplit(".", 1)[0] + n] = cells[1].strip("`")
    return table


class Guide(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = MockKafka(brokers=3)
        cls.kafka.create_topics(ALL_TOPICS)
        cls.bridge = Bridge(shipped_config(cls.kafka.bootstrap), env={"MONO_WEBHOOK_SECRET": SECRET})
        cls.consumer = Consumer(cls.kafka.bootstrap)
        for name in sorted(EXPECTED_TOPICS):
            status, _, resp = cls.bridge.post("/webhooks/mono", fixture(name))
            assert status == 200, (name, resp)
        # the provider retries one delivery: the same event, a second record
        status, _, _ = cls.bridge.post("/webhooks/mono", fixture("direct_debit.payment_successful.json"))
        assert status == 200

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.bridge.stop()
        cls.kafka.close()

    def test_key_table_says_what_each_type_is_keyed_by(self):
        table = key_table()
        types, topics_read = set(), {}
        for name, topics in sorted(EXPECTED_TOPICS.items()):
            body = fixture(name)
            etype = json.loads(body)["event"]
            types.add(etype)
            self.assertIn(etype, table, f"{etype} is not in the guide's key table")
            if topics[0] not in topics_read:
                topics_read[topics[0]] = self.consumer.read_to_end(topics[0])
            recs = [r for r in topics_read[topics[0]] if r.value == body]
            self.assertTrue(recs, name)
            self.assertEqual(headers_of(recs[0])["ce_partitionkeyfrom"].decode(), table[etype], name)
        self.assertEqual(set(table) - types, set(), "types in the table without a fixture")

    def test_python_consumer_prints_each_payment_event_once(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(example("payments-consumer", "python"))
        try:
            env = dict(os.environ, BOOTSTRAP=self.kafka.bootstrap, IDLE_MS="5000",
                       GROUP="guide-" + uuid.uuid4().hex[:8])
            p = subprocess.run([PYTHON, f.name], capture_output=True, text=True, timeout=120, env=env)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        want = {}
        for name, topics in EXPECTED_TOPICS.items():
            for t in topics:
                if t.startswith("payments."):
                    want[json.loads(fixture(name))["event"]] = t
        self.assertEqual(len(lines), len(want), p.stdout)  # the retried one printed once
        for etype, topic in want.items():
            self.assertEqual(sum(1 for l in lines if l.startswith(f"{topic} {etype} ")), 1, p.stdout)
        succeeded = json.loads(fixture("direct_debit.payment_successful.json"))
        line = next(l for l in lines if " direct_debit.payment_successful " in l)
        self.assertIn(f"id={succeeded['event_id']} time={succeeded['timestamp']} ", line)
        self.assertIn(f"(/data/object/account/_id) fields={','.join(sorted(succeeded['data']))}", line)

    def test_kcat_line_shows_records_with_headers(self):
        p = subprocess.run(["bash", "-c", example("kcat", "sh")], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, BOOTSTRAP=self.kafka.bootstrap))
        self.assertEqual(p.returncode, 0, p.stderr)
        body = json.loads(fixture("direct_debit.payment_successful.json"))
        self.assertEqual(p.stdout.count(f"ce_id={body['event_id']}"), 2, p.stdout)  # with the retry
        self.assertIn("ce_partitionkeyfrom=/data/object/account/_id", p.stdout)
        self.assertIn(f"ce_time={body['timestamp']}", p.stdout)
        self.assertIn('"event": "direct_debit.payment_successful"', p.stdout)


if __name__ == "__main__":
    unittest.main()
