"""Item 1 of issue 11: the end-to-end checks of tests/integration/test_e2e.py (every Mono fixture
on its routed topics with the exact key, value bytes and CloudEvents headers; bad requests
produce nothing; dead letters; catch-all; admin endpoints; logs; HTTP/2), run unchanged against
the real 3-node cluster instead of the mock."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realkafka import RealKafka  # noqa: E402  (also puts tests/integration on sys.path)

import test_e2e  # noqa: E402
from harness import SECRET, Bridge, Consumer  # noqa: E402


class RealEndToEnd(test_e2e.EndToEnd):
    @classmethod
    def setUpClass(cls):
        cls.kafka = RealKafka()
        cls.kafka.create_topics(test_e2e.ALL_TOPICS)
        # The shipped config routes to more topics than the fixtures reach; the bridge creates
        # those (auto-creation is off on the cluster, as in production).
        cfg = test_e2e.shipped_config(cls.kafka.bootstrap).replace(
            f"brokers: {cls.kafka.bootstrap}", f"brokers: {cls.kafka.bootstrap}\n  create_topics: true")
        cls.bridge = Bridge(cfg, env={"MONO_WEBHOOK_SECRET": SECRET})
        cls.consumer = Consumer(cls.kafka.bootstrap)


if __name__ == "__main__":
    unittest.main(verbosity=2)
