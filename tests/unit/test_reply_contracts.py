"""Every endpoint answers under a reply schema (validated against every reply the integration tests and
the golden master receive: tests/support/contracts.py), and every schema is bounded like a request."""
import pytest
from marshmallow import fields, validate

from services.registry import endpoints
from shared.contracts.base import MAX_SAFE_INTEGER, Reply, WriteReply, check_reply
from shared.contracts.registry import REPLIES
from tests.support.contracts import ReplyOutsideContract, checked

ENDPOINTS = endpoints()


def test_the_walk_finds_every_service_and_the_platform_endpoints():
    names = {e.name for e in ENDPOINTS}
    assert len(ENDPOINTS) >= 70
    assert {"registration.register_unit", "application.status", "review.score", "funding.report_payment",
            "funding.health", "review.events_after"} <= names


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_endpoint_has_a_reply_schema(endpoint):
    assert endpoint.reply is not None, f"add {endpoint.name} to shared/contracts/registry.py REPLIES"
    assert issubclass(endpoint.reply, Reply)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.write and e.method != "replay_parked"],
                         ids=lambda e: e.name)
def test_every_write_answers_its_position(endpoint):
    assert issubclass(endpoint.reply, WriteReply)


def test_no_reply_schema_for_an_endpoint_that_does_not_exist():
    assert set(REPLIES) == {e.name for e in ENDPOINTS}


def _all_fields(schema, seen=None):
    seen = set() if seen is None else seen
    if type(schema) in seen:
        return
    seen.add(type(schema))
    for name, field in schema.fields.items():
        yield from _walk(f"{type(schema).__name__}.{name}", field, seen)


def _walk(path, field, seen):
    yield path, field
    if isinstance(field, fields.List):
        yield from _walk(path + "[]", field.inner, seen)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        yield from _walk(path + "{}", field.value_field, seen)
    elif isinstance(field, fields.Nested):
        yield from _all_fields(field.schema, seen)


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_every_integer_and_list_in_a_reply_is_bounded(name):
    for path, field in _all_fields(REPLIES[name]()):
        if isinstance(field, fields.Integer):
            ranges = [v for v in field.validators if isinstance(v, validate.Range)]
            assert ranges and -MAX_SAFE_INTEGER <= ranges[0].min and ranges[0].max <= MAX_SAFE_INTEGER, path
        if isinstance(field, fields.List):
            assert any(isinstance(v, validate.Length) and v.max for v in field.validators), path


def test_an_undeclared_field_fails_the_reply():
    reply = {"unit_id": "6b0e8e0a-8f7d-4f0b-9d5e-4a3f4b7f3c11", "version": 1, "position": 2, "replayed": False}
    assert checked("registration.register_unit", reply) is reply
    with pytest.raises(ReplyOutsideContract, match="surprise"):
        checked("registration.register_unit", {**reply, "surprise": 1})


def test_a_value_outside_its_range_or_enumeration_fails_the_reply():
    reply = {"unit_id": "6b0e8e0a-8f7d-4f0b-9d5e-4a3f4b7f3c11", "version": 1, "position": 2, "replayed": False,
             "status": "approved"}
    assert not check_reply(REPLIES["registration.audit_unit"](), reply)
    assert "status" in check_reply(REPLIES["registration.audit_unit"](), {**reply, "status": "maybe"})
    assert "position" in check_reply(REPLIES["registration.audit_unit"](), {**reply, "position": 2**53})


def test_an_endpoint_without_a_schema_fails():
    with pytest.raises(ReplyOutsideContract, match="no reply schema"):
        checked("registration.no_such_endpoint", {})
