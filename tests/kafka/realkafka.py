"""The real 3-node Apache Kafka cluster of tests/kafka/cluster.sh, as the tests labelled `kafka`
see it (the counterpart of MockKafka in tests/integration/harness.py).

CTest starts one cluster for all of them (fixture kafka_cluster) in KAFKA_CLUSTER_DIR; a test
that stops or kills nodes brings them back with ensure_all_up() before it ends. Node N is
broker id N. Reads go through kafka-python (tests/integration/harness.py's Consumer) and kcat,
both independent of the bridge's producer.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402
from kafka.errors import TopicAlreadyExistsError  # noqa: E402

CLUSTER_SH = os.path.join(HERE, "cluster.sh")
NODES = (1, 2, 3)


def read_env(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                out[k] = v
    return out


class RealKafka:
    def __init__(self, directory=None):
        self.dir = directory or os.environ.get("KAFKA_CLUSTER_DIR")
        assert self.dir, "KAFKA_CLUSTER_DIR is not set (the ctest fixture kafka_cluster sets it)"
        env = read_env(os.path.join(self.dir, "cluster.env"))
        self.bootstrap = env["PLAINTEXT"]
        self.sasl_ssl = env["SASL_SSL"]
        self.ca = env["CA"]
        self.user = env["SCRAM_USER"]
        self.password_file = env["SCRAM_PASSWORD_FILE"]
        self.plaintext = dict(zip(NODES, self.bootstrap.split(",")))

    def close(self):
        """Nothing to release: the cluster belongs to the ctest fixture (MockKafka's API)."""

    def password(self):
        with open(self.password_file) as f:
            return f.read().strip()

    def _node(self, cmd, n, timeout=150):
        subprocess.run([CLUSTER_SH, cmd, self.dir, str(n)], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL)

    def kill(self, n):
        """SIGKILL node n (broker and controller at once: no controlled shutdown)."""
        self._node("kill", n)

    def term(self, n):
        """SIGTERM node n and wait until it has exited (controlled shutdown)."""
        self._node("term", n)

    def pause(self, n):
        """SIGSTOP node n: still a member of every ISR, silent until resume()."""
        self._node("pause", n)

    def resume(self, n):
        self._node("resume", n)

    def restart(self, n):
        """Starts node n on its log dirs; returns once it serves metadata."""
        self._node("restart", n)

    def running(self):
        out = subprocess.run([CLUSTER_SH, "status", self.dir], check=True, capture_output=True,
                             text=True, timeout=30).stdout
        return {int(line.split()[0]) for line in out.splitlines() if line.split()[1] == "up"}

    def metadata(self, topic, via=None):
        """kcat's JSON metadata of `topic` from one running node (or the node `via`)."""
        nodes = [via] if via else sorted(self.running())
        last = None
        for n in nodes:
            r = subprocess.run(["kcat", "-L", "-J", "-b", self.plaintext[n], "-t", topic, "-m", "5"],
                               capture_output=True, text=True, timeout=30)
            if r.returncode == 0:
                md = json.loads(r.stdout)
                for t in md.get("topics", []):
                    if t["topic"] == topic:
                        return t
            last = r.stderr
        raise AssertionError(f"no metadata for {topic}: {last}")

    def leaders(self, topic):
        """{partition: leader broker id} (-1 when leaderless)."""
        return {p["partition"]: p["leader"] for p in self.metadata(topic)["partitions"]}

    def isr(self, topic):
        return {p["partition"]: sorted(r["id"] for r in p.get("isrs", []))
                for p in self.metadata(topic)["partitions"]}

    def admin(self):
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, api_version=(2, 5, 0),
                                request_timeout_ms=20000)

    def create_topics(self, topics, partitions=3, replication=3):
        admin = self.admin()
        try:
            for t in topics:
                try:
                    admin.create_topics([NewTopic(t, partitions, replication)], timeout_ms=15000)
                except TopicAlreadyExistsError:
                    pass
        finally:
            admin.close()
        for t in topics:
            self.wait_full_isr(t)

    def existing_topics(self):
        admin = self.admin()
        try:
            return set(admin.list_topics())
        finally:
            admin.close()

    def wait_full_isr(self, topic, timeout=60):
        """Until every partition of `topic` has a leader and all its replicas in sync."""
        deadline = time.time() + timeout
        while True:
            try:
                md = self.metadata(topic)
                if md["partitions"] and all(
                        len(p.get("isrs", [])) == len(p["replicas"]) and p["leader"] in NODES
                        for p in md["partitions"]):
                    return
            except AssertionError:
                pass
            if time.time() > deadline:
                raise AssertionError(f"{topic}: replicas not all in sync after {timeout}s")
            time.sleep(0.5)

    def ensure_all_up(self, topics=()):
        """Resumes paused nodes, restarts every node that is down, then waits for full ISRs of
        `topics`."""
        for n in sorted(self.running()):
            self.resume(n)
        for n in NODES:
            if n not in self.running():
                self.restart(n)
        for t in topics:
            self.wait_full_isr(t)


def bridge_config(bootstrap, topics_routes=None, ack_timeout_ms=5000, librdkafka="", extra=""):
    """A one-source Mono config for the real cluster (key: the account id)."""
    routes = topics_routes or {"*": "kafka-test.events"}
    route_lines = "\n".join(f'      "{k}": {v}' for k, v in routes.items())
    return f"""listen: 127.0.0.1:{{port}}
admin_listen: 127.0.0.1:{{admin_port}}
threads: 2
drain_delay_ms: 0
kafka:
  brokers: {bootstrap}
  librdkafka:
    message.timeout.ms: 60000
    reconnect.backoff.max.ms: 500
{librdkafka}
{extra}
sources:
  mono:
    path: /webhooks/mono
    verify:
      scheme: shared-secret
      header: mono-webhook-secret
      secrets: ["${{MONO_WEBHOOK_SECRET}}"]
    event:
      key: [/data/account/_id, /data/id]
    ack_timeout_ms: {ack_timeout_ms}
    routes:
{route_lines}
"""
