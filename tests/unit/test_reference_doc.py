"""docs/reference.md is what the contracts say: regenerate it when an endpoint or event changes
(`python -m services.reference > docs/reference.md`)."""
import json
from pathlib import Path

import pytest

from services.reference import example_of, render
from services.registry import endpoints
from shared import policy
from shared.contracts.base import check_reply
from shared.contracts.events import PAYLOADS
from shared.errors import ERROR_CODES
from shared.identity import ROLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference.md"
TEXT = render()


def section(name: str) -> str:
    start = TEXT.index(f"### `{name}`")
    end = TEXT.find("\n### ", start + 1)
    return TEXT[start:end]


def test_the_committed_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == TEXT, "run: python -m services.reference > docs/reference.md"


def test_every_endpoint_and_every_event_is_in_it():
    assert "registration.health" in {e.name for e in endpoints()}
    for endpoint in endpoints():
        assert f"### `{endpoint.name}`" in TEXT
    for event_type, version in PAYLOADS:
        assert f"### `{event_type}` v{version}" in TEXT


@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: e.name)
def test_every_endpoint_shows_its_reply_fields_and_errors(endpoint):
    text = section(endpoint.name)
    assert f"**Reply** `{endpoint.reply.__name__}`" in text
    for name, field in endpoint.reply().fields.items():
        assert f"| `{field.data_key or name}` |" in text, f"{endpoint.name}: reply field {name} not documented"
    assert "**Errors**: `validation_error`" in text
    if not endpoint.write and "min_position" in endpoint.request.fields:
        assert "| `min_position` | integer; ≥ 0 | no |" in text


@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: e.name)
def test_every_endpoint_has_an_example_reply_that_validates(endpoint):
    example = example_of(endpoint.reply())
    assert check_reply(endpoint.reply(), example) == {}
    assert json.dumps(example, ensure_ascii=False) in section(endpoint.name)


def test_every_query_takes_min_position():
    """(health answers at once; events_after reads the store itself, from the `position` it is given)"""
    assert [e.name for e in endpoints() if not e.write and e.method not in ("health", "events_after")
            and "min_position" not in e.request.fields] == []


def test_every_write_names_its_refusals():
    """A portal team must learn from the reference which rules a write can break."""
    bare = [e.name for e in endpoints() if e.write and e.method != "replay_parked" and "Refuses" not in e.doc]
    assert bare == []


def test_every_error_code_has_an_example_and_every_role_its_claims():
    for code in ERROR_CODES:
        assert f"- `{code}`: `{{\"code\": \"{code}\"" in TEXT
    for role in ROLES:
        assert f"| `{role}` |" in TEXT


def test_the_policy_values_are_the_ones_the_rules_read():
    a, b = policy.current("A"), policy.current("B")
    for level in a["criteria"]["1"]["max_rank"]:
        assert f"`{level}` (rank ≤" in TEXT
    for category in a["categories"]["order"]:
        assert f"`{category}` (" in TEXT
    for material in a["unit"]["registration_materials"] + a["unit"]["application_materials"] + a["talent"]["materials"]:
        assert f"| `{material['code']}` |" in TEXT
    assert f"`binding` | `{a['paper_delivery']['binding']}`" in TEXT
    assert f"`cover_colour` | `{a['paper_delivery']['cover_colour']}`" in TEXT
    assert str(a["call"]["age_reference_date"]) in TEXT
    for kind in b["expert"]["institution_kinds"]:
        assert f"`{kind['code']}`" in TEXT
