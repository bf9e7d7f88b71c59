"""Integration events carry ids and facts, never names, ID numbers, phones or birth dates: every
registered event schema by field name, and every event both stories publish (in process, through
the real entrypoints and stores of tests/golden/harness.py) by name and by pattern. The integration
walk (tests/integration/test_access_walk.py) scans what running services publish and log.

The probe found the talent's name leaving application inside `application.case.PaperDeliveryRecorded`
(the spine text). v2 drops it; stored v1 events are never rewritten but leave as v2, signed anew."""
from __future__ import annotations

from datetime import date

import pytest
from marshmallow import fields

from shared.contracts.events import CURRENT_VERSION, PAYLOADS, WITHHELD_VERSIONS, payload_schema
from shared.signing import signed_schema_version
from tests.support.personal_data import PERSONAL_FIELDS, UNIT_EVENTS, in_envelopes, in_text, in_value

PAPER = "application.case.PaperDeliveryRecorded"


def field_names(schema, prefix: str = "") -> list[str]:
    names = []
    for name, field in schema.fields.items():
        names.append(prefix + name)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            names += field_names(inner.schema, f"{prefix}{name}.")
    return names


@pytest.mark.parametrize("event_type,version", sorted(PAYLOADS))
def test_no_registered_event_schema_has_a_personal_field(event_type, version):
    if (event_type, version) in WITHHELD_VERSIONS:
        assert CURRENT_VERSION[event_type] > version, "a withheld version is never the current one"
        return
    personal = [name for name in field_names(PAYLOADS[(event_type, version)]())
                if name.split(".")[-1] in PERSONAL_FIELDS
                and not (name == "name" and event_type.startswith(UNIT_EVENTS))]
    assert personal == []


def test_the_scanner_finds_what_it_must():
    assert in_text("spine 北京某公司 王晓明") and in_text("11010519491231002X") and in_text("tel 13812345678")
    assert in_value({"talent": {"birth_date": "1972-03-15"}})
    assert not in_text("2024-10-01 case 5d0c4f5e-0000-4000-8000-000000000001 fen 200000000 pos 12345678901234")


def delivery_event(spine: str, findings: list) -> dict:
    return {"delivery": {"copies": 5, "binding": "perfect", "spine_text": spine}, "received_on": date(2024, 10, 10),
            "compliant": not findings, "findings": findings}


def test_paper_delivery_v2_carries_the_facts_without_the_spine_text():
    event = delivery_event("北京昌平示范制药有限公司 王晓明",
                           [{"rule": "spine_text", "problem": "the spine text '…王晓明' lacks the unit name"}])
    v1 = payload_schema(PAPER, 1).dump(event)
    assert in_value(v1)                        # what the probe saw
    v2 = payload_schema(PAPER, 2).dump(event)
    assert v2 == {"delivery": {"copies": 5, "binding": "perfect"}, "received_on": "2024-10-10",
                  "compliant": False, "findings": ["spine_text"]}
    assert in_value(v2) == [] and payload_schema(PAPER, 2).load(v2)["findings"] == ["spine_text"]


def test_both_stories_publish_no_personal_data_and_stored_v1_events_leave_as_v2(monkeypatch):
    """One in-process run of both stories, with paper deliveries recorded (and signed) as v1 was,
    as a store written before v2 holds them: everything every store hands out, verified as a
    consumer verifies it, is scanned."""
    from tests.golden import harness
    monkeypatch.setitem(CURRENT_VERSION, PAPER, 1)
    cluster = harness.InProcessCluster(harness.tempfile.mkdtemp(prefix="personal-data-"))
    try:
        with harness.redirect_stdout(harness.io.StringIO()):
            harness.run_both_stories(cluster)
        monkeypatch.setitem(CURRENT_VERSION, PAPER, 2)
        published = {name: harness.published_after(store, 0)[0] for name, store in cluster.stores.items()}
        stored_paper = [e for e in harness.stored_events(cluster.stores["application"])
                        if e["topic"].endswith("PaperDeliveryRecorded")]
    finally:
        cluster.close()
        harness.shutil.rmtree(cluster.data_dir, ignore_errors=True)
    every = [envelope for found in published.values() for envelope in found]
    papers = [e for e in every if e["type"] == PAPER]
    assert stored_paper and len(papers) == len(stored_paper)
    assert {signed_schema_version(e["state"]["signature"]) for e in stored_paper} == {1}   # as an old store holds them
    assert {e["schema_version"] for e in papers} == {2}          # signed as v1, handed out as v2 (verified)
    assert len({e["type"] for e in every}) > 40
    assert in_envelopes(every) == []
