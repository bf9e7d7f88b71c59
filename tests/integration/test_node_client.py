"""The machine-readable contracts hold for a client that is not Python, and for real traffic.

- @asyncapi/parser accepts docs/asyncapi.yaml;
- clients/node/demo.js (amqplib, nothing but the document, the portal's and the funding office's
  broker accounts and the issuer key) registers a unit, is refused a bad payload with a structured
  error, reads a case's status, and verifies the signature of every event the funding office's queue
  received;
- every RPC request, reply and event that crossed the broker meanwhile (captured by a queue bound to
  every exchange) validates against docs/schemas/, and the schemas refuse exactly the requests the
  services refused as invalid.

`npm ci` installs clients/node from its committed package-lock.json (once per run).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path

import amqp
import pytest
import yaml
from jsonschema import Draft202012Validator
from kombu import Connection

from tests.support.cluster import ROOT, SERVICES, running_cluster
from tests.support.flows import approved_unit, case_status, file_case, walk_case

NODE_DIR = ROOT / "clients" / "node"
DOCS = ROOT / "docs"
CAPTURE = "capture.all"
RPC_KEY = re.compile(r"[a-z_]+\.[a-z_][a-z0-9_]*")
EXCHANGES = ["nameko-rpc", *(f"{service}.events" for service in SERVICES)]



@pytest.fixture(scope="module")
def node_modules():
    assert shutil.which("node") and shutil.which("npm"), "these tests need Node.js >= 20 and npm (README, Run it)"
    subprocess.run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                   capture_output=True, timeout=600)
    return NODE_DIR / "node_modules"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("node"), accounts=True) as running:
        with Connection(running.vhost.amqp_uri) as connection:   # guest, administrator of the test vhost
            channel = connection.channel()
            channel.queue_declare(CAPTURE, durable=False, auto_delete=False)
            for exchange in EXCHANGES:
                channel.queue_bind(CAPTURE, exchange, "#")
        yield running


def run_node(script: str, *args: str, env: dict | None = None, timeout: float = 300) -> list[dict]:
    done = subprocess.run(["node", script, *args], cwd=NODE_DIR, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return lines


def test_the_asyncapi_parser_accepts_the_document(node_modules):
    lines = run_node("check-asyncapi.js", str(DOCS / "asyncapi.yaml"))
    document = yaml.load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert [line for line in lines if line.get("level") == "error"] == []
    assert lines[-1] == {"valid": True, "version": "3.0.0", "channels": len(document["channels"]),
                         "operations": len(document["operations"]),
                         "messages": len(document["components"]["messages"])}


def amqp_url(uri: str) -> str:
    return "amqp://" + uri.split("://", 1)[1]


def test_a_node_client_calls_is_refused_and_verifies_the_funding_office_s_events(cluster, node_modules):
    case_id = walk_case(cluster)
    unit_id = case_status(cluster, case_id)["unit_id"]
    with cluster.rpc("auditor-1", "auditor") as rpc:
        published = rpc.funding.events_after(position=0, limit=1000)["events"]
    assert published, "the walk published no funding events"

    lines = run_node("demo.js", env={
        "PORTAL_AMQP_URL": amqp_url(cluster.accounts.uri("portal")),
        "FUNDING_OFFICE_AMQP_URL": amqp_url(cluster.accounts.uri("funding-office")),
        "KEYS_DIR": cluster.keys_dir, "CASE_ID": case_id, "CASE_UNIT_ID": unit_id,
        "EXPECT_EVENTS": str(len(published)),
    })
    steps = {line["step"]: line for line in lines}
    assert [line for line in lines if line.get("ok") is False] == []
    assert steps["done"]["ok"] is True
    assert steps["contract"]["event_exchanges"] == sorted(f"{service}.events" for service in SERVICES)

    registered = steps["register_unit"]
    assert (registered["exchange"], registered["routing_key"]) == ("nameko-rpc", "registration.register_unit")
    assert registered["request_problems"] == [] and registered["reply_problems"] == []
    with cluster.rpc("officer-1", "officer") as rpc:   # the unit the Node client registered exists
        assert rpc.registration.get_unit(unit_id=registered["result"]["unit_id"])["name"] == "北京昌平示范制药有限公司"

    refusal = steps["refusal"]
    assert refusal["code"] == "validation_error" and set(refusal["fields"]) >= {"credit_code", "surprise"}
    assert refusal["request_problems"], "the schema should have predicted the refusal"

    assert steps["status"]["result"]["case_id"] == case_id
    assert steps["status"]["result"]["status"] == "disbursement_scheduled"

    events = [line for line in lines if line["step"] == "event"]
    assert sorted(e["event_id"] for e in events) == sorted(e["event_id"] for e in published)
    assert {e["exchange"] for e in events} == {"funding.events"}
    registry = json.loads(Path(cluster.keys_dir, "registry.json").read_text())
    funding_keys = {k["kid"] for k in registry["keys"] if k["owner"] == "funding" and k["purpose"] == "event-signing"}
    assert {e["kid"] for e in events} <= funding_keys
    assert any(e["type"] == "funding.case_funding.DisbursementScheduled" for e in events)


def test_the_node_verifier_accepts_what_a_service_signed_and_nothing_else():
    """Canonical form and signature alike in Node and Python: Chinese text, nested objects, big integers;
    a changed payload, another service's key or a missing signature are refused."""
    from shared.keys import Registry
    from shared.signing import EventSigner, EventVerifier
    from tests.support.keys import keys_dir

    signer = EventSigner.load(keys_dir(), "funding", Registry.load(keys_dir()))
    review = EventSigner.load(keys_dir(), "review", Registry.load(keys_dir()))
    envelope = {"event_id": "0b6f2c0e-3f5d-5c1a-9a43-0d3c3c1f9f11", "type": "funding.case_funding.DisbursementScheduled",
                "schema_version": 2, "source": "funding", "stream_id": "0b6f2c0e-3f5d-5c1a-9a43-0d3c3c1f9f12",
                "sequence": 3, "case_id": None, "occurred_at": "2024-12-01T09:00:00+08:00",
                "recorded_at": "2026-12-02T01:00:00+00:00", "correlation_id": "c-1", "causation_id": None,
                "command_id": None, "actor": {"actor_id": "system:funding", "role": "system", "unit_id": None},
                "payload": {"amount_fen": 2**53 - 1, "explanation": "杰出人才奖励 \"一次性\"\n\t✓", "inputs": {
                    "z": [1, -2, {"b": True, "a": None}], "A": "\u202e\x7f"}}}
    good = {**envelope, "position": 41, "signature": signer.sign(envelope)}
    tampered = {**good, "payload": {**envelope["payload"], "amount_fen": 1}}
    moved = {**good, "position": 42}                                   # position is not signed
    foreign = {**envelope, "position": 41, "signature": review.sign(envelope)}
    unsigned = {**envelope, "position": 41}
    lines = "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in (good, tampered, moved, foreign, unsigned))
    done = subprocess.run(["node", "verify-events.js"], cwd=NODE_DIR, input=lines, capture_output=True, text=True,
                          env={**os.environ, "KEYS_DIR": keys_dir()}, timeout=60, check=True)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["ok"], r.get("kid") or r["reason"]) for r in results] == [
        (True, signer.kid), (False, "forged"), (True, signer.kid), (False, "forged"), (False, "unsigned")]
    assert "belongs to review" in results[3]["detail"]
    assert EventVerifier(Registry.load(keys_dir())).verify(good) == signer.kid   # and Python agrees


# -- every message that crossed the broker, against the JSON Schemas --------------------------------
@cache
def schema(path: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((DOCS / "schemas" / path).read_text(encoding="utf-8")),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def asyncapi_schema(name: str) -> Draft202012Validator:
    document = yaml.load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Draft202012Validator(document["components"]["schemas"][name],
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(validator: Draft202012Validator, value) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def drain(uri: str) -> list[amqp.Message]:
    with Connection(uri) as connection:
        channel = connection.default_channel
        messages = []
        while (message := channel.basic_get(CAPTURE, no_ack=True)) is not None:
            messages.append(message)
        return messages


def test_every_message_that_crossed_the_broker_validates_against_the_schemas(cluster):
    # a little more traffic of our own, so that the capture holds each kind whatever ran before
    unit_id = approved_unit(cluster)
    file_case(cluster, unit_id)
    requests, replies, events = {}, [], Counter()
    wrong: list[str] = []
    for message in drain(cluster.vhost.amqp_uri):
        body = json.loads(message.body)
        exchange, key = message.delivery_info["exchange"], message.delivery_info["routing_key"]
        properties = {name: message.properties[name] for name in
                      ("content_type", "content_encoding", "reply_to", "correlation_id", "delivery_mode",
                       "message_id")
                      if message.properties.get(name) is not None}
        if exchange != "nameko-rpc":
            events[key] += 1
            wrong += [f"event {key}: {p}" for p in problems(
                schema(f"events/{body['type']}.v{body['schema_version']}.json"), body)]
            wrong += [f"event {key}: routed as {key}, typed {body['type']}"] if key != body["type"] else []
            wrong += [f"event {key} properties: {p}" for p in problems(asyncapi_schema("event.properties"), properties)]
            wrong += [f"event {key}: message_id is not the event_id"] if properties.get("message_id") != body[
                "event_id"] else []
        elif RPC_KEY.fullmatch(key):
            requests[properties["correlation_id"]] = (key, body)
            wrong += [f"request {key} properties: {p}" for p in problems(asyncapi_schema("rpc.request.properties"),
                                                                         properties)]
            wrong += [f"request {key} headers: {p}" for p in problems(asyncapi_schema("rpc.request.headers"),
                                                                      message.properties.get("application_headers"))]
        else:
            replies.append((properties["correlation_id"], body))
            wrong += [f"reply properties: {p}" for p in problems(asyncapi_schema("rpc.reply.properties"), properties)]
    refused_as_invalid, schema_refused = set(), set()
    for correlation_id, body in replies:
        key, request = requests[correlation_id]   # every reply answers a captured request
        wrong += [f"reply of {key}: {p}" for p in problems(schema(f"rpc/{key}.reply.json"), body)]
        if body["error"] and body["error"]["exc_args"][0] == "validation_error":
            refused_as_invalid.add(correlation_id)
        if set(request) != {"args", "kwargs"} or request["args"] or problems(schema(f"rpc/{key}.request.json"),
                                                                              request["kwargs"]):
            schema_refused.add(correlation_id)
    assert wrong == []
    assert schema_refused == refused_as_invalid, "the schemas and the services disagree on which requests are valid"
    assert refused_as_invalid, "the Node client's bad payload should be among them"
    assert len(replies) >= 10
    assert {key.split(".")[0] for key in events} == set(SERVICES)
