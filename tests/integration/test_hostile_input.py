"""Hostile input from any direction, against the running services: every refusal is a structured
`validation_error` naming what is wrong, never `internal_error`, never a Python exception type, never
silence; and nothing is recorded (no store position moves)."""
from __future__ import annotations

import json
import pickle
import uuid

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue

from services import samples
from shared.errors import ServiceError
from tests.support.cluster import SERVICES, command_id, eventually
from tests.support.flows import credit_code

GOOD_UNIT = {k: v for k, v in samples.unit_registration("").items() if k != "credit_code"}
KEY = "0f6a8c4e-2b1d-4c3e-9a7b-5d6e7f8a9b0c:award:once"


def refused(call, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    return caught.value


def positions(cluster) -> dict:
    return {service: cluster.health(service)["position"] for service in SERVICES}


@pytest.fixture
def unchanged(cluster):
    """Asserts after the test that no store position moved."""
    before = positions(cluster)
    yield
    assert positions(cluster) == before


def test_a_credit_code_with_a_final_newline_is_not_a_second_registration(cluster):
    code = credit_code()
    with cluster.rpc("contact-h1", "unit_contact") as rpc:
        first = rpc.registration.register_unit(command_id=command_id(), credit_code=code, **GOOD_UNIT)
        before = positions(cluster)
        for variant in (code + "\n", code + " ", " " + code, code.lower()):
            error = refused(rpc.registration.register_unit, command_id=command_id(), credit_code=variant, **GOOD_UNIT)
            assert error.code == "validation_error" and list(error.fields) == ["credit_code"], error
    assert positions(cluster) == before
    assert first["unit_id"]


@pytest.mark.parametrize("name", ["\x00", "北京\u202e公司", "\x1b[31m红色\x1b[0m", "   ", "\u3000", "\ud800公司"], ids=repr)
def test_a_unit_name_must_be_plain_text(cluster, unchanged, name):
    with cluster.rpc("contact-h2", "unit_contact") as rpc:
        error = refused(rpc.registration.register_unit, command_id=command_id(), credit_code=credit_code(),
                        **{**GOOD_UNIT, "name": name})
    assert error.code == "validation_error" and list(error.fields) == ["name"], error


def test_a_lone_surrogate_in_a_command_id_is_a_validation_error(cluster, unchanged):
    with cluster.rpc("contact-h3", "unit_contact") as rpc:
        error = refused(rpc.registration.register_unit, command_id="cmd-\ud800-0001", credit_code=credit_code(),
                        **GOOD_UNIT)
    assert error.code == "validation_error" and "command_id" in error.fields


def test_a_payment_report_dated_year_one_is_refused(cluster, unchanged):
    with cluster.rpc("office-1", "funding_officer") as rpc:
        error = refused(rpc.funding.report_payment, command_id=command_id(), idempotency_key=KEY, attempt=1,
                        outcome="paid", office_reference="BANK-1", effective_on="0001-01-01")
    assert error.code == "validation_error" and list(error.fields) == ["effective_on"], error


@pytest.mark.parametrize("service, method, role, payload, field", [
    ("application", "events_after", "auditor", {"position": 10**30}, "position"),
    ("registration", "events_after", "operator", {"position": 2**53}, "position"),
    ("application", "cases_by_status", "auditor", {"status": "draft", "offset": 10**30}, "offset"),
    ("funding", "disbursements_by_status", "funding_officer", {"status": "paid", "offset": 2**63}, "offset"),
    ("review", "parked_events", "operator", {"limit": -(2**63)}, "limit"),
])
def test_huge_numbers_are_validation_errors(cluster, unchanged, service, method, role, payload, field):
    with cluster.rpc("someone", role) as rpc:
        error = refused(getattr(getattr(rpc, service), method), **payload)
    assert error.code == "validation_error" and field in error.fields, error


def test_a_paper_delivery_signed_100000_times_is_refused(cluster, unchanged):
    delivery = samples.paper_delivery(signed_by=["applicant"] * 100_000)
    with cluster.rpc("officer-h", "officer") as rpc:
        error = refused(rpc.application.record_paper_delivery, command_id=command_id(), case_id=str(uuid.uuid4()),
                        delivery=delivery)
    assert error.code == "validation_error" and "signed_by" in error.fields["delivery"], error


# -- raw AMQP -------------------------------------------------------------------------------------
class RawCaller:
    """Publishes hand-made RPC requests to the `nameko-rpc` exchange and waits for the reply."""

    def __init__(self, amqp_uri: str):
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.exchange = Exchange("nameko-rpc", type="topic", durable=True)
        self.reply_key = str(uuid.uuid4())
        self.queue = Queue(f"hostile-reply-{self.reply_key}", exchange=self.exchange, routing_key=self.reply_key,
                           exclusive=True, auto_delete=True)
        self.queue(self.channel).declare()
        self.replies: list = []
        self.consumer = Consumer(self.channel, [self.queue], callbacks=[self._got], accept=["json"])
        self.consumer.consume()

    def _got(self, body, message):
        self.replies.append(body)
        message.ack()

    def call(self, routing_key: str, body: bytes, content_type: str, timeout: float = 15, reply_to=None,
             headers=None) -> dict | None:
        self.replies.clear()
        Producer(self.channel, exchange=self.exchange).publish(
            body, routing_key=routing_key, content_type=content_type, content_encoding="binary",
            reply_to=reply_to or self.reply_key, correlation_id=str(uuid.uuid4()), headers=headers or {})
        try:
            self.connection.drain_events(timeout=timeout)
        except TimeoutError:
            return None
        return self.replies[0] if self.replies else None

    def close(self):
        self.connection.release()


@pytest.fixture
def raw(cluster):
    caller = RawCaller(cluster.vhost.amqp_uri)
    yield caller
    caller.close()


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


MALFORMED = {
    "not JSON": (b"this is not json", "application/json"),
    "invalid UTF-8": (b'{"args": [], "kwargs": {"x": "\xff\xfe"}}', "application/json"),
    "pickle": (pickle.dumps({"args": [], "kwargs": {}}), "application/x-python-serialize"),
    "nested 100000 deep": (deep(100_000), "application/json"),
    "nested 500 deep": (b'{"args": [], "kwargs": {"x": ' + deep(500) + b"}}", "application/json"),
    "a JSON array": (b"[1, 2, 3]", "application/json"),
    "a JSON scalar": (b"42", "application/json"),
    "JSON null": (b"null", "application/json"),
    "kwargs an array": (b'{"args": [], "kwargs": [1]}', "application/json"),
    "no args": (b'{"kwargs": {}}', "application/json"),
    "raw bytes": (b'{"args": [], "kwargs": {}}', "application/data"),
    "a 5000-digit number": (b'{"args": [], "kwargs": {"position": ' + b"9" * 5000 + b"}}", "application/json"),
    "a lone surrogate key": (b'{"args": [], "kwargs": {"\\ud800": 1}}', "application/json"),
    "self as a keyword": (b'{"args": [], "kwargs": {"self": 1}}', "application/json"),
}


@pytest.mark.parametrize("what", list(MALFORMED))
def test_a_malformed_rpc_request_gets_a_structured_validation_error(cluster, raw, unchanged, what):
    body, content_type = MALFORMED[what]
    reply = raw.call("registration.health", body, content_type)
    assert reply is not None, "no reply: the caller would wait for its timeout"
    error = reply["error"]
    assert reply["result"] is None and error["exc_path"] == "shared.errors.ServiceError", reply
    assert error["exc_type"] == "ServiceError" and error["exc_args"][0] == "validation_error", reply
    assert "Error" not in json.dumps(error["exc_args"]), reply    # no TypeError, RecursionError, …
    assert cluster.processes["registration"].poll() is None


def test_an_unknown_method_and_hostile_headers_are_validation_errors(cluster, raw, unchanged):
    body = json.dumps({"args": [], "kwargs": {}}).encode()
    unknown = raw.call("registration.no_such_method", body, "application/json")
    assert unknown["error"]["exc_args"][0] == "validation_error" and "_method" in unknown["error"]["exc_args"][2]
    for headers in ({"nameko.call_id_stack": "not-a-list"}, {"nameko.authorization": "x" * 20_000},
                    {"nameko.correlation_id": "evil\nline"}):
        reply = raw.call("registration.health", body, "application/json", headers=headers)
        assert reply["error"]["exc_args"][0] == "validation_error", (headers, reply)


def test_a_reply_address_that_is_not_a_reply_queue_gets_nothing_and_breaks_nothing(cluster, raw, unchanged):
    """A service never publishes where a caller points it (e.g. into another service's RPC queue)."""
    body = json.dumps({"args": [], "kwargs": {}}).encode()
    assert raw.call("registration.health", body, "application/json", reply_to="application.health", timeout=3) is None
    for service in SERVICES:
        assert cluster.health(service)["position"] >= 0
    assert all(process.poll() is None for process in cluster.processes.values())


def test_every_service_survives_every_malformed_request(cluster, raw):
    for service in SERVICES:
        for body, content_type in MALFORMED.values():
            reply = raw.call(f"{service}.health", body, content_type)
            assert reply is not None and reply["error"]["exc_args"][0] == "validation_error", (service, reply)
    assert all(process.poll() is None for process in cluster.processes.values())
    assert [cluster.health(service) for service in SERVICES]


# -- the inbox ------------------------------------------------------------------------------------
def test_a_malformed_inbox_message_is_parked_as_invalid_and_the_consumer_lives_on(cluster):
    """Straight into application's inbox queue, with full broker rights: not JSON, pickle, an array, a
    lone surrogate, deep nesting, an envelope-shaped but invalid object. The two undecodable ones are
    parked as invalid at once; the four that decode carry no signature, so they are refused as unsigned
    before anything else reads them (and parked as such). The service keeps serving."""
    bodies = [(b"not json at all", "application/json"),
              (pickle.dumps({"event_id": "e-pickle"}), "application/x-python-serialize"),
              (b"[1, 2]", "application/json"),
              (b'{"event_id": "e-\\ud800", "type": "x"}', "application/json"),
              (b'{"event_id": "e-deep", "payload": ' + deep(400) + b"}", "application/json"),
              (b'{"event_id": "e-named", "type": "x"}', "application/json")]
    with Connection(cluster.vhost.amqp_uri) as connection:
        producer = Producer(connection.channel())
        for body, content_type in bodies:
            producer.publish(body, exchange="", routing_key="application.inbox", content_type=content_type,
                             content_encoding="binary")

    def all_parked():
        log = cluster.log("application")
        return log.count("undecodable event parked") == 2 and log.count("security: event refused") == 4

    try:
        eventually(all_parked, timeout=30)
    except TimeoutError:
        log = cluster.log("application")
        raise AssertionError([line for line in log.splitlines() if "parked" in line or "refused" in line
                              or "rror" in line][-12:]) from None
    with cluster.rpc("operator-h", "operator") as rpc:
        items = eventually(lambda: rpc.application.parked_events(limit=100)["items"] or None)
    errors = [item["error"] for item in items]
    assert any("validation_error" in error for error in errors), errors          # the undecodable ones
    assert any(error.startswith("unsigned") for error in errors), errors          # the unsigned ones
    assert all("Error:" not in error and "Traceback" not in error for error in errors), errors
    assert cluster.processes["application"].poll() is None
    assert cluster.health("application")
