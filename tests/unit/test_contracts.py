import re
import uuid
from datetime import datetime, timezone

import pytest
from marshmallow import fields

from services import samples
from shared.contracts import application, platform, registration, review
from shared.contracts.base import LONG, SHORT, StrictSchema, WriteSchema, load, text
from shared.contracts.envelope import SERVICES, event_id_for, load_envelope
from shared.contracts.events import CURRENT_VERSION, PAYLOADS, current, payload_schema
from shared.errors import Refused


class Sample(StrictSchema):
    name = text(required=True)
    count = fields.Integer(strict=True, required=True)


def refused(schema, payload) -> Refused:
    with pytest.raises(Refused) as caught:
        load(schema, payload)
    assert caught.value.code == "validation_error"
    return caught.value


def test_valid_payload_loads():
    assert load(Sample(), {"name": "x", "count": 2}) == {"name": "x", "count": 2}


def test_unknown_fields_are_refused_by_name():
    assert "surprise" in refused(Sample(), {"name": "x", "count": 2, "surprise": 1}).fields


def test_missing_field_is_named():
    assert set(refused(Sample(), {"name": "x"}).fields) == {"count"}


def test_wrong_type_is_named():
    assert set(refused(Sample(), {"name": "x", "count": "2"}).fields) == {"count"}  # strict: no coercion


def test_oversized_string_is_named():
    assert set(refused(Sample(), {"name": "x" * (SHORT + 1), "count": 1}).fields) == {"name"}
    assert load(Sample(), {"name": "x" * SHORT, "count": 1})["name"] == "x" * SHORT


def test_empty_string_is_refused():
    assert set(refused(Sample(), {"name": "", "count": 1}).fields) == {"name"}


@pytest.mark.parametrize("payload", [None, [], "text", 3])
def test_a_payload_that_is_not_an_object_is_refused(payload):
    assert "_schema" in refused(Sample(), payload).fields


def test_write_schema_requires_a_command_id():
    class Write(WriteSchema):
        pass

    assert set(refused(Write(), {}).fields) == {"command_id"}
    assert set(refused(Write(), {"command_id": "short"}).fields) == {"command_id"}   # under 8 characters
    assert load(Write(), {"command_id": "cmd-0001"}) == {"command_id": "cmd-0001", "expected_version": None,
                                                      "after": None}
    assert set(refused(Write(), {"command_id": "cmd-0001", "expected_version": 0}).fields) == {"expected_version"}


def test_register_unit_contract_checks_the_credit_code_and_the_nested_contact():
    payload = {"command_id": "cmd-0001", "name": "昌平公司", "credit_code": "91110114MA01ABCD12",
               "unit_type": "enterprise", "industry": "medicine_health", "registered_in_changping": True,
               "contact": {"name": "李雷", "phone": "138", "id_number": "1101"},
               "materials": [samples.document("business_licence")]}
    assert load(registration.RegisterUnit(), payload)["contact"]["phone"] == "138"
    assert set(refused(registration.RegisterUnit(), {**payload, "credit_code": "lowercase-code"}).fields) \
        == {"credit_code"}
    error = refused(registration.RegisterUnit(), {**payload, "contact": {**payload["contact"], "email": "x"}})
    assert "email" in error.fields["contact"]


def test_decide_award_refuses_negative_and_fractional_amounts():
    base = {"command_id": "cmd-0001", "case_id": str(uuid.uuid4()), "reason": "r"}
    assert load(review.DecideAward(), {**base, "award_fen": 0})["award_fen"] == 0
    assert set(refused(review.DecideAward(), {**base, "award_fen": -1}).fields) == {"award_fen"}
    assert set(refused(review.DecideAward(), {**base, "award_fen": 1.5}).fields) == {"award_fen"}


def test_reasons_may_be_long_but_not_unbounded():
    base = {"command_id": "cmd-0001", "case_id": str(uuid.uuid4())}
    assert load(review.ApproveAudit(), {**base, "reason": "r" * LONG})
    assert set(refused(review.ApproveAudit(), {**base, "reason": "r" * (LONG + 1)}).fields) == {"reason"}


def test_page_limits():
    base = {"status": "submitted"}
    assert load(application.CasesByStatus(), base) == {**base, "limit": 50, "offset": 0, "min_position": None}
    assert set(refused(application.CasesByStatus(), {**base, "limit": 201}).fields) == {"limit"}
    assert set(refused(application.CasesByStatus(), {"status": "lost"}).fields) == {"status"}


def test_history_as_of_must_carry_a_timezone():
    case_id = str(uuid.uuid4())
    assert set(refused(application.History(), {"case_id": case_id, "as_of": "2024-01-01T00:00:00"}).fields) \
        == {"as_of"}
    loaded = load(application.History(), {"case_id": case_id, "as_of": "2024-01-01T00:00:00+08:00"})
    assert loaded["as_of"].utcoffset() is not None


def test_events_after_bounds():
    assert load(platform.EventsAfter(), {"position": 0}) == {"position": 0, "limit": 200}
    assert set(refused(platform.EventsAfter(), {"position": -1}).fields) == {"position"}
    assert set(refused(platform.EventsAfter(), {"position": 0, "limit": 1001}).fields) == {"limit"}


# -- envelopes ------------------------------------------------------------------------------
def unit_registered_envelope(**overrides) -> dict:
    stream_id = uuid.uuid4()
    return {
        "event_id": str(event_id_for("registration", stream_id, 1)),
        "type": "registration.unit.Registered", "schema_version": 1, "source": "registration",
        "position": 1, "stream_id": str(stream_id), "sequence": 1, "case_id": None,
        "occurred_at": "2024-10-01T09:00:00+08:00", "recorded_at": "2024-10-01T01:00:00+00:00",
        "actor": {"actor_id": "contact-1", "role": "unit_contact", "unit_id": None},
        "correlation_id": "corr-1", "causation_id": None, "command_id": "cmd-0001",
        "payload": {"name": "昌平公司", "credit_code": "91110114MA01ABCD12", "unit_type": "enterprise",
                    "industry": "medicine_health", "registered_in_changping": True},
        **overrides,
    }


def envelope_refusal(body) -> Refused:
    with pytest.raises(Refused) as caught:
        load_envelope(body)
    assert caught.value.code == "validation_error"
    return caught.value


def test_a_valid_envelope_loads_with_typed_fields():
    envelope = load_envelope(unit_registered_envelope())
    assert isinstance(envelope["event_id"], uuid.UUID)
    assert envelope["occurred_at"] == datetime(2024, 10, 1, 1, 0, tzinfo=timezone.utc)
    assert envelope["payload"]["registered_in_changping"] is True


def test_envelope_fields_are_validated():
    assert set(envelope_refusal(unit_registered_envelope(sequence=0)).fields) == {"sequence"}
    assert set(envelope_refusal(unit_registered_envelope(source="elsewhere")).fields) == {"source"}
    assert set(envelope_refusal(unit_registered_envelope(occurred_at="2024-10-01T09:00:00")).fields) \
        == {"occurred_at"}
    assert "extra" in envelope_refusal(unit_registered_envelope(extra=1)).fields


def test_a_consumer_ignores_a_payload_field_it_does_not_know_of_a_known_version():
    """docs/compatibility.md: a producer may know more than this consumer; the envelope stays strict."""
    body = unit_registered_envelope()
    body["payload"] = {**body["payload"], "registered_capital_fen": 100}
    assert "registered_capital_fen" not in load_envelope(body)["payload"]
    body["payload"]["unit_type"] = "castle"     # a known field is still held to its schema
    assert set(envelope_refusal(body).fields) == {"unit_type"}


def test_envelope_payload_is_validated_against_its_type_and_version():
    body = unit_registered_envelope()
    body["payload"] = {**body["payload"], "contact": {"phone": "138"}}
    assert "contact" in envelope_refusal(body).fields
    body = unit_registered_envelope()
    del body["payload"]["credit_code"]
    assert "credit_code" in envelope_refusal(body).fields


def test_unknown_event_type_or_version_is_refused():
    assert "type" in envelope_refusal(unit_registered_envelope(type="registration.unit.Vanished")).fields
    assert "type" in envelope_refusal(unit_registered_envelope(schema_version=99)).fields


def test_the_same_event_always_gets_the_same_id():
    stream = uuid.uuid4()
    assert event_id_for("review", stream, 3) == event_id_for("review", str(stream), 3)
    assert len({event_id_for("review", stream, 3), event_id_for("review", stream, 4),
                event_id_for("funding", stream, 3)}) == 3


# -- the event catalogue ---------------------------------------------------------------------
TYPE_NAME = re.compile(r"^(?P<service>[a-z]+)\.[a-z_]+\.[A-Z][A-Za-z]+$")


@pytest.mark.parametrize("event_type, version", sorted(PAYLOADS))
def test_every_catalogued_event_has_a_schema_and_a_well_formed_type(event_type, version):
    match = TYPE_NAME.match(event_type)
    assert match and match["service"] in SERVICES, event_type
    schema = payload_schema(event_type, version)
    assert isinstance(schema, PAYLOADS[(event_type, version)])
    assert schema.fields, "a payload schema with no fields publishes nothing"


def test_versions_of_each_type_are_contiguous_from_one_and_current_is_the_latest():
    for event_type, latest in CURRENT_VERSION.items():
        versions = sorted(v for t, v in PAYLOADS if t == event_type)
        assert versions == list(range(1, latest + 1)), event_type
        assert current(event_type)[0] == latest


def test_current_names_the_missing_contract():
    with pytest.raises(KeyError, match="registration.unit.Vanished"):
        current("registration.unit.Vanished")
