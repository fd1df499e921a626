#!/usr/bin/env python3
"""Holds every #include of bridge/ to the layering core <- conf <- pipeline <- {http, kafka} <-
bridge <- main. The build already refuses a project header from a layer that is not below
(each layer's include directory holds only itself, see CMakeLists.txt); this adds the system
headers that are on every include path: h2o.h only in http/, rdkafka.h only in kafka/.

    check.py BRIDGE_DIR      exit 1 and one line per violation, or exit 0
"""
import os
import re
import sys

BELOW = {  # a layer may include its own headers and those of the layers listed
    "core": set(),
    "conf": {"core"},
    "pipeline": {"core", "conf"},
    "kafka": {"core", "conf", "pipeline"},
    "http": {"core", "conf", "pipeline"},
    "": {"core", "conf", "pipeline", "kafka", "http"},  # bridge.c, main.c, replay.c, ...
}
SYSTEM_ONLY_IN = {"h2o.h": "http", "h2o/": "http", "librdkafka/": "kafka"}
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)


def violations(root):
    out = []
    for dirpath, _, files in os.walk(root):
        layer = os.path.relpath(dirpath, root)
        layer = "" if layer == "." else layer
        if layer not in BELOW:
            continue
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, f)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for m in INCLUDE.finditer(text):
                kind, name = m.groups()
                line = text.count("\n", 0, m.start()) + 1
                where = f"{os.path.relpath(path, root)}:{line}"
                if kind == "<":
                    for prefix, owner in SYSTEM_ONLY_IN.items():
                        if name.startswith(prefix) and layer != owner:
                            out.append(f"{where}: <{name}> belongs to {owner}/ only")
                    continue
                if "/" in name:
                    target = name.split("/", 1)[0]
                    if target != layer and target not in BELOW[layer]:
                        out.append(f"{where}: \"{name}\": {layer or 'bridge'} may not include {target}/")
    return out


if __name__ == "__main__":
    found = violations(sys.argv[1])
    for v in found:
        print(v)
    sys.exit(1 if found else 0)
