"""check.py on the real tree (clean) and on trees with one violation each (caught)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BRIDGE = os.path.join(HERE, "..", "..", "bridge")


def check(root):
    p = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), root], capture_output=True, text=True)
    return p.returncode, p.stdout


class Check(unittest.TestCase):
    def test_the_tree_keeps_its_layers(self):
        self.assertEqual(check(BRIDGE), (0, ""))

    def test_each_kind_of_violation_is_caught(self):
        cases = {
            "pipeline/bad.c": ('#include <librdkafka/rdkafka.h>\n', "pipeline/bad.c:1: <librdkafka/rdkafka.h> belongs to kafka/ only"),
            "kafka/bad.c": ('#include <h2o.h>\n', "kafka/bad.c:1: <h2o.h> belongs to http/ only"),
            "conf/bad.h": ('\n#include "pipeline/route.h"\n', 'conf/bad.h:2: "pipeline/route.h": conf may not include pipeline/'),
            "kafka/bad2.c": ('#include "http/server.h"\n', 'kafka/bad2.c:1: "http/server.h": kafka may not include http/'),
        }
        for rel, (text, want) in cases.items():
            with tempfile.TemporaryDirectory() as d:
                root = os.path.join(d, "bridge")
                shutil.copytree(BRIDGE, root)
                with open(os.path.join(root, rel), "w") as f:
                    f.write(text)
                code, out = check(root)
                self.assertEqual(code, 1, rel)
                self.assertIn(want, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
