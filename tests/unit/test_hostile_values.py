"""The bounds every contract holds values to (shared/contracts/base.py), and the checks on what
arrives on the wire before an entrypoint (shared/platform/wire.py) or the inbox parks it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from marshmallow import fields, validate

from services.registry import endpoints
from shared.contracts import funding, platform, registration
from shared.contracts.base import (BUSINESS_DATES, MAX_DEPTH, MAX_SAFE_INTEGER, FullMatch, PlainText, StrictSchema,
                                   check_json, integer, iso_date, load, reason, text)
from shared.contracts.envelope import ENVELOPE
from shared.contracts.events import PAYLOADS
from shared.errors import Refused
from shared.platform.parking import parkable
from shared.platform.wire import can_reply, describe, headers_problem, request_problem
from tests.support.hostile import hostile_strings

CREDIT_CODE = "91110114MA26965343"


def refusal(schema, payload) -> dict:
    with pytest.raises(Refused) as caught:
        load(schema, payload)
    assert caught.value.code == "validation_error"
    return caught.value.fields


class Sample(StrictSchema):
    name = text(64, required=True)
    note = reason(load_default=None)
    count = integer(min=0, load_default=0)
    day = iso_date(load_default=None)
    anything = fields.Dict(load_default=dict)


# -- strings ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["\x00", "a\x00b", "\u202eevil", "x\u2066y", "\x1b[31mred\x1b[0m", "   ", "\u3000",
                                  "\u200b", "tab\there", "line\nbreak", "del\x7f", "c1\x85", "lone\ud800"],
                         ids=repr)
def test_a_single_line_text_refuses_control_bidi_blank_and_non_utf8(name):
    assert "name" in refusal(Sample(), {"name": name})


def test_plain_text_loads_with_chinese_emoji_and_inner_spaces():
    assert load(Sample(), {"name": "北京 昌平 🚀 (示范)"})["name"] == "北京 昌平 🚀 (示范)"


def test_a_reason_may_break_lines_and_hold_tabs_but_nothing_else():
    assert load(Sample(), {"name": "x", "note": "第一行\n\t第二行\n"})["note"]
    for bad in ("\x00", "\x1b[0m", "\u202e", "\n\t ", "\ud83d"):
        assert "note" in refusal(Sample(), {"name": "x", "note": "ok " + bad if bad.strip() else bad})


def test_a_lone_surrogate_is_named_where_it_is_even_inside_a_free_form_object():
    errors = refusal(Sample(), {"name": "x", "anything": {"deep": ["ok", "\udc00"]}})
    assert errors == {"anything": {"deep": {1: ["not valid UTF-8 (a lone surrogate)"]}}}


def test_a_field_name_that_is_not_utf8_is_refused_printably():
    errors = refusal(Sample(), {"name": "x", "\ud800": 1})
    assert list(errors) == ["\\ud800"]


# -- identifiers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [CREDIT_CODE + "\n", CREDIT_CODE + " ", " " + CREDIT_CODE, CREDIT_CODE.lower(),
                                  "\n" + CREDIT_CODE, CREDIT_CODE[:-1] + "\u0660"], ids=repr)
def test_a_credit_code_matches_whole_so_no_variant_registers_twice(code):
    schema = registration.RegisterUnit()
    assert "credit_code" in refusal(schema, {"credit_code": code})
    assert "credit_code" not in refusal(schema, {"credit_code": CREDIT_CODE})


def test_an_idempotency_key_and_an_id_number_match_whole():
    key = "0f6a8c4e-2b1d-4c3e-9a7b-5d6e7f8a9b0c:award:once"
    base = {"command_id": "cmd-00000001", "attempt": 1, "outcome": "paid", "office_reference": "r"}
    assert load(funding.ReportPayment(), {**base, "idempotency_key": key})
    assert "idempotency_key" in refusal(funding.ReportPayment(), {**base, "idempotency_key": key + "\n"})
    assert "id_number" in refusal(registration.RecommendExpert(), {"id_number": "11010119900101123X\n"})


@pytest.mark.parametrize("command_id", ["cmd 0000001", "cmd-0000001\n", "命令-00000001", "\ud800" * 8, "short"])
def test_a_command_id_is_visible_ascii(command_id):
    assert "command_id" in refusal(platform.ReplayParked(), {"command_id": command_id})


def test_full_match_never_echoes_the_value():
    with pytest.raises(Exception) as caught:
        FullMatch(r"[0-9]{3}", error="three digits")("12\n")
    assert str(caught.value) == "three digits"


# -- numbers and dates -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER + 1, 10**30, 2**63, -(2**53), float("nan"), 1e400, 1.0, "1",
                                   True])
def test_an_integer_is_whole_and_within_2_to_the_53(value):
    assert "count" in refusal(Sample(), {"name": "x", "count": value})


def test_the_largest_safe_integer_passes_where_the_field_allows_it():
    assert load(Sample(), {"name": "x", "count": MAX_SAFE_INTEGER})["count"] == MAX_SAFE_INTEGER


@pytest.mark.parametrize("offset", [10**30, 2**63])
def test_paging_and_catch_up_refuse_huge_numbers(offset):
    assert "offset" in refusal(funding.DisbursementsByStatus(), {"status": "paid", "offset": offset})
    assert "position" in refusal(platform.EventsAfter(), {"position": offset})


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_business_date_is_plausible(day):
    payload = {"command_id": "cmd-00000001", "idempotency_key": "0f6a8c4e-2b1d-4c3e-9a7b-5d6e7f8a9b0c:award:once",
               "attempt": 1, "outcome": "paid", "office_reference": "r", "effective_on": day}
    assert "effective_on" in refusal(funding.ReportPayment(), payload)
    assert load(funding.ReportPayment(), {**payload, "effective_on": str(BUSINESS_DATES[0])})


def test_a_birth_date_may_be_historic_but_not_ancient():
    from shared.contracts.application import Talent
    talent = {"name": "x", "has_contract": True, "months_worked_per_year": 12, "field_fits_changping": True,
              "commits_years": 5}
    assert load(Talent(), {**talent, "birth_date": "1950-01-01"})
    assert "birth_date" in refusal(Talent(), {**talent, "birth_date": "1899-12-31"})


def test_a_paper_delivery_names_each_signatory_at_most_once():
    from shared.contracts.application import PaperDelivery
    errors = refusal(PaperDelivery(), {"signed_by": ["applicant"] * 100_000})
    assert "signed_by" in errors


# -- free-form content ------------------------------------------------------------------------------
def test_nesting_is_bounded_without_exhausting_the_stack():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    errors = check_json({"anything": deep})
    assert "nested deeper" in str(errors)
    ok: list = []
    for _ in range(MAX_DEPTH - 2):
        ok = [ok]
    assert check_json({"anything": ok}) == {}


@settings(max_examples=200, deadline=None)
@given(hostile_strings())
def test_no_hostile_string_escapes_as_anything_but_a_validation_error(value):
    try:
        loaded = load(Sample(), {"name": value, "note": value})
    except Refused as refusal_:
        assert refusal_.code == "validation_error"
    else:   # what loads is printable plain text
        assert loaded["name"].encode("utf-8") and loaded["name"].strip()
        assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in loaded["name"])


# -- every contract is bounded ----------------------------------------------------------------------
def every_schema():
    seen = {}

    def visit(schema):
        if type(schema).__name__ + type(schema).__module__ in seen:
            return
        seen[type(schema).__name__ + type(schema).__module__] = schema
        for field in schema.fields.values():
            for inner in inner_fields(field):
                if isinstance(inner, fields.Nested):
                    visit(inner.schema)

    for endpoint in endpoints():
        visit(endpoint.request)
    for schema in PAYLOADS.values():
        visit(schema())
    visit(ENVELOPE)
    return list(seen.values())


def inner_fields(field):
    yield field
    if isinstance(field, fields.List):
        yield from inner_fields(field.inner)
    if isinstance(field, fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                yield from inner_fields(part)


def all_fields():
    for schema in every_schema():
        for name, field in schema.fields.items():
            for inner in inner_fields(field):
                yield f"{type(schema).__name__}.{name}", inner


def rules(field, kind):
    return [v for v in field.validators if isinstance(v, kind)]


def test_every_integer_in_every_contract_lies_within_2_to_the_53():
    for where, field in all_fields():
        if isinstance(field, fields.Integer):
            ranges = rules(field, validate.Range)
            assert field.strict and ranges, where
            assert all(r.min is not None and r.max is not None and -MAX_SAFE_INTEGER <= r.min <= r.max
                       <= MAX_SAFE_INTEGER for r in ranges), where


def test_every_date_in_every_contract_has_plausible_bounds():
    for where, field in all_fields():
        if isinstance(field, fields.Date | fields.DateTime):
            assert any(r.min is not None and r.max is not None for r in rules(field, validate.Range)), where


def test_every_string_and_list_in_every_contract_is_bounded():
    for where, field in all_fields():
        if isinstance(field, fields.String) and not isinstance(field, fields.UUID):
            lengths = [r for r in rules(field, validate.Length) if r.max is not None]
            assert lengths or rules(field, validate.OneOf), where
            assert rules(field, PlainText) or rules(field, validate.OneOf) or rules(field, FullMatch), where
        if isinstance(field, fields.List):
            assert [r for r in rules(field, validate.Length) if r.max is not None], where


def test_no_contract_uses_a_partial_regex_match():
    for where, field in all_fields():
        for rule in rules(field, validate.Regexp):
            assert isinstance(rule, FullMatch), where


# -- the wire and the inbox -------------------------------------------------------------------------
def message(body_type="application/json", reply_to="0f6a8c4e-2b1d-4c3e-9a7b-5d6e7f8a9b0c", headers=None):
    properties = {"reply_to": reply_to} if reply_to else {}
    return SimpleNamespace(content_type=body_type, properties=properties, headers=headers or {},
                           delivery_info={"routing_key": "registration.health"})


@pytest.mark.parametrize("body", [[1, 2], "text", 7, None, {"args": []}, {"args": [], "kwargs": []},
                                  {"args": {}, "kwargs": {}}, {"args": [], "kwargs": {}, "more": 1},
                                  {"args": [], "kwargs": {"self": 1}}],
                         ids=repr)
def test_a_request_of_the_wrong_shape_is_named(body):
    assert request_problem(body, message())


def test_a_well_formed_request_passes():
    assert request_problem({"args": [], "kwargs": {"case_id": "x"}}, message(
        headers={"nameko.authorization": "t.t.t", "nameko.call_id_stack": ["a.b.1"], "nameko.correlation_id": "c"})) \
        is None


@pytest.mark.parametrize("headers", [{"nameko.authorization": {"nested": 1}}, {"nameko.authorization": "x" * 10_000},
                                     {"nameko.call_id_stack": "not-a-list"}, {"nameko.correlation_id": "a\nb"},
                                     {f"h{i}": "x" for i in range(40)}, {"nameko.correlation_id": "\ud800"}])
def test_hostile_context_headers_are_named(headers):
    assert headers_problem(headers)


def test_only_json_bodies_and_uuid_reply_addresses_are_served():
    assert request_problem({"args": [], "kwargs": {}}, message(body_type="application/x-python-serialize"))
    assert request_problem({"args": [], "kwargs": {}}, message(body_type=None))
    assert can_reply(message())
    assert not can_reply(message(reply_to=None)) and not can_reply(message(reply_to="application.health"))


def test_decode_failures_are_described_without_python_type_names():
    for error in (RecursionError("maximum recursion depth"), ValueError("Expecting value: line 1")):
        assert "Error" not in describe(error)


@pytest.mark.parametrize("body", [[1], "x", None, {"event_id": {"a": 1}}, {"event_id": "e", "bad": "\ud800"},
                                  {"deep": [[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}])
def test_an_invalid_inbox_body_is_kept_only_as_printable_text(body):
    kept = parkable(body)
    assert set(kept) == {"invalid_body"} and kept["invalid_body"].encode("utf-8")


def test_an_envelope_shaped_invalid_body_is_kept_whole():
    body = {"event_id": "e-1", "type": "x", "case_id": None}
    assert parkable(body) == body
