"""docs/funding.md shows the funding office how to verify an event's signature in plain Python:
that very block, run against events the funding service recorded and signed."""
import json
import re
import uuid
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from shared.keys import generate
from shared.messaging.inbox import Inbox
from shared.messaging.translate import EventSigning, envelopes_after
from shared.signing import EventSigner
from shared.keys import Registry

from services.funding.app import FundingApplication
from tests.unit.test_funding_application import DECIDED_AT, decided_v2, opened

DOC = Path(__file__).resolve().parents[2] / "docs" / "funding.md"


def doc_example() -> dict:
    """The python block of the doc's signature section, run on its own (no project imports)."""
    section = DOC.read_text(encoding="utf-8").split("### Verify every event's signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "shared" not in code and "services" not in code and len(code.splitlines()) <= 25
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)   # noqa: S102 - our own documentation
    return namespace


@pytest.fixture
def signed_funding_events(make_app, clock, tmp_path):
    keys = str(tmp_path / "keys")
    generate(keys, {"funding": ("event-signing", ()), "review": ("event-signing", ())})
    clock.set(DECIDED_AT)
    app = make_app(FundingApplication)
    app.sign_event = EventSigning("funding", EventSigner.load(keys, "funding", Registry.load(keys)))
    inbox = Inbox("funding", app, app.inbound_handlers())
    case_id = uuid.uuid4()
    inbox.accept(opened(case_id))
    inbox.accept(decided_v2(case_id))
    envelopes, _ = envelopes_after("funding", app, 0, 1000)
    registry = json.loads((tmp_path / "keys" / "registry.json").read_text())
    return [json.loads(json.dumps(e, ensure_ascii=False)) for e in envelopes], registry


def test_the_documented_check_accepts_what_funding_signed(signed_funding_events):
    verify = doc_example()["verify_funding_event"]
    messages, registry = signed_funding_events
    assert {m["type"].rsplit(".", 1)[1] for m in messages} >= {"Opened", "EntitlementsGranted", "DisbursementScheduled"}
    for message in messages:
        verify(message, registry)


def test_the_documented_check_refuses_a_changed_amount_or_another_services_key(signed_funding_events):
    verify = doc_example()["verify_funding_event"]
    messages, registry = signed_funding_events
    [scheduled] = [m for m in messages if m["type"].endswith("DisbursementScheduled")]
    raised = {**scheduled, "payload": {**scheduled["payload"], "amount_fen": scheduled["payload"]["amount_fen"] * 10}}
    with pytest.raises(InvalidSignature):
        verify(raised, registry)
    review = [k for k in registry["keys"] if k["owner"] == "review"]
    header = scheduled["signature"].split(".")[0]
    with pytest.raises(ValueError):
        verify(scheduled, {"keys": [{**review[0], "kid": json.loads(doc_example()["unb64"](header))["kid"]}]})
    with pytest.raises(ValueError):
        verify({**scheduled, "position": 10}, {"keys": [{**k, "retired_after_position": 9} for k in registry["keys"]]})
