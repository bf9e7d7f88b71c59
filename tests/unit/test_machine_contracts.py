"""docs/asyncapi.yaml and docs/schemas/ are what the contracts say (regenerate them with
`python -m services.asyncapi --out docs/`), and the JSON Schemas refuse what the services refuse.
That @asyncapi/parser accepts the document, and that real messages validate against the schemas:
tests/integration/test_node_client.py."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from marshmallow import ValidationError, fields, validate

from services import asyncapi, samples
from services.registry import endpoints, service_class
from shared.contracts import base
from shared.contracts.events import PAYLOADS
from shared.contracts.json_schema import JsonSchemas, Unconvertible
from shared.contracts.registry import SERVICES
from shared.errors import ERROR_CODES, Refused
from tests.support.hostile import hostile_numbers, hostile_strings, object_for

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return asyncapi.outputs()


def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_committed_contracts_are_current(generated):
    committed = {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8") for p in DOCS.glob("schemas/**/*.json")}
    committed["asyncapi.yaml"] = (DOCS / "asyncapi.yaml").read_text(encoding="utf-8")
    stale = sorted(path for path in generated.keys() | committed.keys() if generated.get(path) != committed.get(path))
    assert stale == [], "run: python -m services.asyncapi --out docs/"


def test_every_endpoint_and_event_has_its_schemas_and_channels(generated):
    document = yaml.load(generated["asyncapi.yaml"], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert {e.service for e in endpoints()} == set(SERVICES)
    for endpoint in endpoints():
        key = endpoint.name
        assert f"schemas/rpc/{key}.request.json" in generated and f"schemas/rpc/{key}.reply.json" in generated
        channel = document["channels"][f"rpc.{key}"]
        assert channel["address"] == key
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "nameko-rpc"
        assert document["operations"][key]["reply"]["channel"] == {"$ref": "#/channels/rpc.reply"}
    for event_type, version in PAYLOADS:
        assert f"schemas/events/{event_type}.v{version}.json" in generated
        channel = document["channels"][event_type]
        assert channel["address"] == event_type
        assert channel["bindings"]["amqp"]["exchange"]["name"] == event_type.split(".")[0] + ".events"
        assert f"v{version}" in channel["messages"]


def test_every_file_is_a_valid_2020_12_schema(generated):
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    definitions: dict[str, dict] = {}   # the files share most definitions: each distinct one is checked once
    for path, text in generated.items():
        if path.endswith(".json"):
            schema = json.loads(text)
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path
            for definition in schema.pop("$defs", {}).values():
                definitions.setdefault(json.dumps(definition, sort_keys=True), definition)
            assert [error.message for error in meta.iter_errors(schema)] == [], path
    for definition in definitions.values():
        assert [error.message for error in meta.iter_errors(definition)] == [], definition.get("title")


def test_the_sample_payloads_validate_and_a_broken_one_does_not(generated):
    schema = json.loads(generated["schemas/rpc/registration.register_unit.request.json"])
    payload = {"command_id": "c0ffee00-1234", **samples.unit_registration("91110114MA01ABCDE1")}
    assert list(validator(schema).iter_errors(payload)) == []
    for broken in ({"credit_code": "91110114MA01ABCDE1\n"}, {"credit_code": "91110114ma01abcde1"},
                   {"name": "示范\x1b[31m"}, {"unit_type": "bank"}, {"surprise": 1}, {"materials": "x"}):
        assert list(validator(schema).iter_errors({**payload, **broken})), broken


def test_an_event_schema_pins_type_version_and_source(generated):
    schema = json.loads(generated["schemas/events/review.case_review.AwardDecided.v2.json"])
    properties = schema["properties"]
    assert properties["type"] == {"const": "review.case_review.AwardDecided"}
    assert properties["schema_version"] == {"const": 2}
    assert properties["source"] == {"const": "review"}
    assert schema["allOf"] == [{"$ref": "#/$defs/envelope"}]
    assert {"signature", "position", "payload"} <= set(schema["$defs"]["envelope"]["required"])
    assert schema["$defs"]["envelope"]["additionalProperties"] is False
    assert properties["payload"]["additionalProperties"] is False


def test_every_error_code_has_an_example_that_its_schema_accepts(generated):
    error = json.loads(generated["schemas/rpc/error.json"])
    codes = [example["exc_args"][0] for example in error["examples"]]
    assert codes == list(ERROR_CODES)
    for example in error["examples"]:
        assert list(validator(error).iter_errors(example)) == [], example


# -- the converter ---------------------------------------------------------------------------------
class Probe(base.StrictSchema):
    line = base.text(20, required=True)
    note = base.reason()
    code = base.identifier(r"[0-9A-Z]{18}", "credit code", 32)
    amount = base.integer(min=0, max=1000)
    big = base.integer()
    kind = fields.String(validate=validate.OneOf(("a", "b")), allow_none=True)
    tags = base.many(base.text(8), max_length=3)


PROBE = Probe()
PROBE_SCHEMA = JsonSchemas().document(PROBE)


def marshmallow_accepts(payload) -> bool:
    try:
        PROBE.load(payload)
        return True
    except ValidationError:
        return False


def json_schema_accepts(payload) -> bool:
    return validator(PROBE_SCHEMA).is_valid(payload)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["line", "note", "code", "tags"]), hostile_strings())
def test_json_schema_and_the_service_agree_on_hostile_strings(name, value):
    payload = {"line": "ok", name: [value] if name == "tags" else value}
    assert json_schema_accepts(payload) == marshmallow_accepts(payload), (name, value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["amount", "big"]), hostile_numbers())
def test_json_schema_and_the_service_agree_on_hostile_numbers(name, value):
    if isinstance(value, float) and value.is_integer():
        return   # JSON Schema counts 2.0 as an integer; the services refuse any float
    payload = {"line": "ok", name: value}
    assert json_schema_accepts(payload) == marshmallow_accepts(payload), (name, value)


def _integral_float(value) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(map(_integral_float, value.values()))
    return isinstance(value, list) and any(map(_integral_float, value))


@cache
def _request_validators() -> dict:
    return {e.name: validator(JsonSchemas().document(e.request)) for e in endpoints()}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_every_request_schema_accepts_what_its_service_accepts_and_nothing_else(data):
    endpoint = data.draw(st.sampled_from(endpoints()))
    payload = data.draw(object_for(endpoint.request))
    if _integral_float(payload):
        return   # JSON Schema counts 2.0 as an integer; the services refuse any float
    try:
        base.load(endpoint.request, payload)
        accepted = True
    except Refused:
        accepted = False
    assert _request_validators()[endpoint.name].is_valid(payload) == accepted, (endpoint.name, payload)


def test_the_bounds_survive_the_translation():
    properties = PROBE_SCHEMA["properties"]
    assert properties["big"] == {"type": "integer", "minimum": -(2**53 - 1), "maximum": 2**53 - 1}
    assert properties["amount"]["minimum"] == 0 and properties["amount"]["maximum"] == 1000
    assert properties["line"] == {"type": "string", "minLength": 1, "maxLength": 20,
                                  "allOf": [{"$ref": "#/$defs/text.line"}]}
    assert properties["note"]["allOf"] == [{"$ref": "#/$defs/text.multiline"}]
    assert set(PROBE_SCHEMA["$defs"]) == {"text.line", "text.multiline"}
    assert properties["kind"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert properties["tags"]["maxItems"] == 3 and properties["tags"]["items"]["maxLength"] == 8
    assert PROBE_SCHEMA["additionalProperties"] is False and PROBE_SCHEMA["required"] == ["line"]


def test_an_unknown_field_type_or_validator_fails_loudly():
    class Floaty(base.StrictSchema):
        ratio = fields.Float()

    class Oddly(base.StrictSchema):
        word = fields.String(validate=validate.ContainsOnly(("x",)))

    class Lenient(base.StrictSchema):
        count = fields.Integer()

    for schema, what in ((Floaty(), "Float"), (Oddly(), "ContainsOnly"), (Lenient(), "non-strict")):
        with pytest.raises(Unconvertible, match=what):
            JsonSchemas().of(schema)


def test_a_nested_schema_becomes_one_named_definition():
    converter = JsonSchemas()
    schema = converter.of(service_class("application").file_case.contract.schema)
    assert schema["properties"]["documents"]["items"] == {"$ref": "#/$defs/application.DocumentRef"}
    assert {name for name in converter.definitions if not name.startswith("text.")} == {
        "application.Talent", "application.CriterionClaim", "application.DocumentRef", "base.After"}
    assert "talent with claims" in schema["description"]


def test_the_node_client_takes_every_exchange_queue_and_header_name_from_the_document():
    """clients/node must learn the wire names from docs/asyncapi.yaml at run time (its integration test
    runs it); none may be written into its code."""
    sources = {path.name: path.read_text(encoding="utf-8")
               for path in (DOCS.parent / "clients" / "node").glob("*.js")}
    assert {"contract.js", "rpc.js", "demo.js", "events.js", "token.js"} <= set(sources)
    for name in ("nameko-rpc", ".events", "rpc.reply-", "x-expires", "nameko.authorization", "nameko.correlation_id"):
        assert [file for file, text in sources.items() if name in text] == [], name
