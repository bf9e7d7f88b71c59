"""Plain helpers shared by the unit tests: actors, event metadata, unit details and
hand-built envelopes (fixtures are in conftest.py)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from services import samples
from services.review.domain import CaseReview
from shared.clock import BEIJING
from shared.contracts.envelope import event_id_for, load_envelope
from shared.eventstore.meta import EventMeta
from shared.identity import Identity

START = datetime(2024, 10, 1, 9, 0, tzinfo=BEIJING)

CONTACT = {"name": "李雷", "phone": "13800138000", "id_number": "110101199001011234"}


def unit_details(credit_code: str = "91110114MA01ABCD12", **overrides) -> dict:
    return {"name": samples.UNIT_NAME, "credit_code": credit_code, "unit_type": "enterprise",
            "industry": "medicine_health", "registered_in_changping": True, "contact": dict(CONTACT),
            "materials": [samples.document(code) for code in samples.UNIT_MATERIALS], **overrides}


def meta_for(actor_id: str = "officer-1", role: str = "officer", *, unit_id: str | None = None,
             at: datetime = START, command_id: str | None = None) -> EventMeta:
    return EventMeta(actor=Identity(actor_id, role, unit_id), occurred_at=at, command_id=command_id)


def handled(app, command, actor_id: str = "officer-1", role: str = "officer", **meta) -> dict:
    """The result of a command handled by an Application as that actor (see `meta_for`), at the
    Application's business time unless `at` says otherwise (as the entrypoints do)."""
    meta.setdefault("at", app.clock.now())
    return app.handle(command, meta_for(actor_id, role, **meta)).result


def wire(envelope: dict) -> dict:
    """What a consumer gets: the envelope through JSON, then validated."""
    return load_envelope(json.loads(json.dumps(envelope)))


def envelope(type_: str, payload: dict, *, stream_id=None, sequence: int = 1, case_id=None,
             source: str | None = None, position: int | None = None) -> dict:
    """A valid envelope built by hand, following shared/contracts/envelope.py."""
    stream_id = stream_id or uuid.uuid4()
    source = source or type_.split(".")[0]
    body = {
        "event_id": str(event_id_for(source, stream_id, sequence)),
        "type": type_,
        "schema_version": 1,
        "source": source,
        "position": position or sequence,
        "stream_id": str(stream_id),
        "sequence": sequence,
        "case_id": str(case_id) if case_id else None,
        "occurred_at": START.isoformat(),
        "recorded_at": START.isoformat(),
        "actor": {"actor_id": "system:test", "role": "system", "unit_id": None},
        "correlation_id": f"corr-{uuid.uuid4()}",
        "causation_id": None,
        "command_id": None,
        "payload": payload,
    }
    return wire(body)


# -- a case's review, up to each step (review's own events; what application reports is hand-fed)
SOURCE = {"service": "application", "event_id": uuid.uuid4(), "type": "application.case.Submitted",
          "position": 5, "sequence": 5, "occurred_at": START}
ELIGIBILITY = {"edition": "changju-2024", "eligible": True, "age_reference_date": "2024-10-20",
               "recent_years_reference_date": "2024-10-20", "recent_years_earliest": "2021-10-20",
               "age_waived": False, "award_money_allowed": True, "satisfied_claims": [0], "rules": []}


def submission(**overrides) -> dict:
    return {"submission": 1, "category": "outstanding", "national_or_beijing_talent": False,
            "earlier_changju_category": None, "earlier_award_fen": 0, "eligibility": ELIGIBILITY, **overrides}


def submitted(programme="A", **facts) -> CaseReview:
    review = CaseReview(id=uuid.uuid4(), programme=programme, unit_id=uuid.uuid4())
    review.receive_submission(submission(**facts), SOURCE)
    return review


def audited(auditor="officer-1", programme="A", **facts) -> CaseReview:
    review = submitted(programme, **facts)
    review.approve_audit(auditor, "材料齐全")
    return review


def ready(auditor="officer-1", programme="A", **facts) -> CaseReview:
    """Audited, paper copies in order, scored by one reviewer."""
    review = audited(auditor, programme, **facts)
    review.check_paper(True, SOURCE)
    review.score("reviewer-1", 90, "成果突出")
    return review
