"""Configurations shared by the fault tests: a small Mono source on a mock cluster."""
import json

from harness import SECRET

TOPICS = ["membership.account-events", "payments.events", "webhooks.unrouted", "webhooks.dead-letter"]


def config(bootstrap, ack_timeout_ms=1500, extra="", source_extra="", routes=None):
    routes = routes or {"mono.events.*": "membership.account-events",
                        "direct_debit.*": "[payments.events, membership.account-events]",
                        "*": "webhooks.unrouted"}
    route_lines = "\n".join(f'      "{k}": {v}' for k, v in routes.items())
    return f"""listen: 127.0.0.1:{{port}}
admin_listen: 127.0.0.1:{{admin_port}}
threads: 2
drain_delay_ms: 0
kafka:
  brokers: {bootstrap}
  librdkafka:
    message.timeout.ms: 20000
    reconnect.backoff.max.ms: 500
dead_letter_topic: webhooks.dead-letter
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
{source_extra}
    routes:
{route_lines}
"""


def event(i, prefix="evt", type_="mono.events.account_updated"):
    """A Mono-shaped body with a unique event_id."""
    return json.dumps({"event": type_, "event_id": f"{prefix}-{i}",
                       "timestamp": "2026-03-14T09:12:51.702Z",
                       "data": {"account": {"_id": f"acc-{i % 17}"}}}).encode()


ENV = {"MONO_WEBHOOK_SECRET": SECRET}
