"""Integration test harness: runs the real webhook-bridge binary against a librdkafka mock
cluster (tests/integration/mock_kafka, with fault injection on its stdin) and reads what
reached Kafka with an independent client (kafka-python, its own protocol implementation).

Paths come from the environment ctest sets: BRIDGE_BIN, MOCK_KAFKA_BIN, BRIDGE_SOURCE_DIR.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from kafka import KafkaConsumer, TopicPartition

SOURCE_DIR = os.environ.get("BRIDGE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BRIDGE_BIN = os.environ.get("BRIDGE_BIN", os.path.join(SOURCE_DIR, "build", "webhook-bridge"))
MOCK_BIN = os.environ.get("MOCK_KAFKA_BIN", os.path.join(SOURCE_DIR, "build", "tests", "integration", "mock_kafka"))
FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures", "mono")
SECRET = "it-test-secret-7f3a9c"


def wait_for(pred, timeout=5, step=0.05):
    """Polls pred() until it is true (returns True) or timeout seconds pass (returns False)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MockKafka:
    """A mock cluster in a child process; `command()` injects faults."""

    def __init__(self, brokers=3):
        self.proc = subprocess.Popen([MOCK_BIN, str(brokers)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "bootstrap", f"mock_kafka said {line!r}"
        self.bootstrap = line[1]
        self.lock = threading.Lock()

    def command(self, cmd):
        with self.lock:
            self.proc.stdin.write(cmd + "\n")
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline().strip()
        assert reply == "ok", f"mock_kafka {cmd!r}: {reply}"

    def create_topics(self, topics, partitions=3):
        for t in topics:
            self.command(f"topic {t} {partitions}")

    def close(self):
        self.proc.stdout.close() if self.proc.poll() is not None else None
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def render_config(template, **values):
    """Fills {name} placeholders of a YAML template."""
    out = template
    for k, v in values.items():
        out = out.replace("{" + k + "}", str(v))
    return out


class Bridge:
    """The webhook-bridge binary on a config file; logs are captured (JSON lines)."""

    def __init__(self, config_text, env=None, wait_ready=True, extra_args=(), configmap=False,
                 files=None):
        """configmap=True lays the config out as Kubernetes mounts a ConfigMap:
        DIR/bridge.yaml -> ..data/bridge.yaml, ..data -> ..<version>/ (see write_config).
        files={name: text} makes the config a directory of those files (config_text unused);
        write_file() and remove_file() change it."""
        self.dir = tempfile.mkdtemp(prefix="bridge-it-")
        self.configmap = configmap
        self.versions = 0
        self.port = free_port()
        self.admin_port = free_port()
        if files is not None:
            self.config_path = os.path.join(self.dir, "conf.d")
            os.mkdir(self.config_path)
            for name, text in files.items():
                self.write_file(name, text)
        else:
            self.config_path = os.path.join(self.dir, "bridge.yaml")
            self.write_config(config_text)
        self.log_path = os.path.join(self.dir, "bridge.log")
        self.log_file = open(self.log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([BRIDGE_BIN, "--config", self.config_path, *extra_args],
                                     stdout=self.log_file, stderr=subprocess.STDOUT, env=full_env)
        if wait_ready:
            self.wait_ready()

    def write_config(self, config_text):
        """Replaces the config file atomically: a rename over it, or with configmap=True a new
        version directory and one rename of the ..data symlink, as the kubelet does."""
        config_text = render_config(config_text, port=self.port, admin_port=self.admin_port)
        if not self.configmap:
            tmp = self.config_path + ".new"
            with open(tmp, "w") as f:
                f.write(config_text)
            os.rename(tmp, self.config_path)
            return
        self.versions += 1
        version = f"..v{self.versions}"
        os.mkdir(os.path.join(self.dir, version))
        with open(os.path.join(self.dir, version, "bridge.yaml"), "w") as f:
            f.write(config_text)
        os.symlink(version, os.path.join(self.dir, "..data_tmp"))
        os.rename(os.path.join(self.dir, "..data_tmp"), os.path.join(self.dir, "..data"))
        if self.versions == 1:
            os.symlink("..data/bridge.yaml", self.config_path)

    def write_file(self, name, text):
        """Writes (or replaces, atomically) one file of a config directory."""
        path = os.path.join(self.config_path, name)
        with open(path + ".new", "w") as f:
            f.write(render_config(text, port=self.port, admin_port=self.admin_port))
        os.rename(path + ".new", path)

    def remove_file(self, name):
        os.unlink(os.path.join(self.config_path, name))

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_records(self):
        out = []
        for line in self.logs().splitlines():
            line = line.strip()
            if line:
                out.append(json.loads(line))  # every line must be JSON
        return out

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"bridge exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                status, _, _ = self.admin("GET", "/readyz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"bridge not ready after {timeout}s:\n{self.logs()}")

    def request(self, method, path, body=b"", headers=None, port=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            conn.close()

    def post(self, path, body, secret=SECRET, headers=None, **kw):
        h = {"content-type": "application/json"}
        if secret is not None:
            h["mono-webhook-secret"] = secret
        h.update(headers or {})
        return self.request("POST", path, body, h, **kw)

    def admin(self, method, path):
        return self.request(method, path, port=self.admin_port, timeout=5)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        died = self.proc.poll()
        if died is not None and died < 0:
            self.log_file.close()
            raise AssertionError(f"bridge died from signal {-died}:\n{self.logs()[-3000:]}")
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        if os.environ.get("KEEP_LOGS") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class Consumer:
    """Reads whole topics from the beginning with kafka-python."""

    def __init__(self, bootstrap):
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                      auto_offset_reset="earliest", consumer_timeout_ms=1000,
                                      api_version=(2, 5, 0))

    def read(self, topic, expect=None, timeout=10):
        """All records of `topic`; waits until at least `expect` are there (or timeout)."""
        parts = None
        deadline = time.time() + timeout
        while parts is None and time.time() < deadline:
            parts = self.consumer.partitions_for_topic(topic)
            if parts is None:
                time.sleep(0.1)
        if parts is None:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)
        records = []
        while time.time() < deadline:
            batch = self.consumer.poll(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if expect is not None and len(records) >= expect:
                # one more short poll: a test that expects N must also see N+1 if it is there
                for recs in self.consumer.poll(timeout_ms=300).values():
                    records.extend(recs)
                break
            if expect is None and not batch and records:
                break
            if expect == 0 and time.time() > deadline - timeout + 1.5:
                break
        return records

    def read_to_end(self, topic, timeout=30):
        """Every record of `topic` up to its current end offsets (read the whole log)."""
        parts = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        ends = self.consumer.end_offsets(tps)
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)
        records = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.consumer.position(tp) >= ends[tp] for tp in tps):
                return records
            for recs in self.consumer.poll(timeout_ms=200, max_records=5000).values():
                records.extend(recs)
        raise AssertionError(f"{topic}: could not read up to the end offsets in {timeout}s")

    def end_offsets(self, topic):
        parts = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        return sum(self.consumer.end_offsets(tps).values()) if tps else 0

    def close(self):
        self.consumer.close()


def headers_of(record):
    return {k: v for k, v in record.headers}
