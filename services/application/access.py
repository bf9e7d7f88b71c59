"""Who may call each of the application service's endpoints, and on which records (shared/access.py).
The entrypoints take their roles from this table; the handlers and queries check the relationship
here, on the record they load."""
from __future__ import annotations

from shared.access import ANY, IN_REVIEW, OWN_PLACEMENT, OWN_UNIT, PLATFORM_ROWS, Facts, Table

STAFF_READERS = {"officer": ANY, "decision_maker": ANY, "funding_officer": ANY, "auditor": ANY}

TABLE = Table("application", {
    # personal data: erasure by key (docs/privacy.md)
    "erase_person": {"operator": ANY},
    # programme A: the unit's case
    "file_case": {"unit_contact": OWN_UNIT},
    "declare_talent": {"unit_contact": OWN_UNIT},
    "attach_documents": {"unit_contact": OWN_UNIT},
    "submit": {"unit_contact": OWN_UNIT},
    "record_age_waiver": {"officer": ANY},
    "record_paper_delivery": {"officer": ANY},
    "status": {"unit_contact": OWN_UNIT, "reviewer": IN_REVIEW, **STAFF_READERS},
    "checklist": {"unit_contact": OWN_UNIT, "officer": ANY, "auditor": ANY},
    "history": {"unit_contact": OWN_UNIT, "expert": OWN_PLACEMENT, "officer": ANY, "auditor": ANY},
    "cases_by_status": dict(STAFF_READERS),
    "unit_cases": {"unit_contact": OWN_UNIT, "officer": ANY, "auditor": ANY},
    # programme B: matchmaking and the placement
    "propose_cooperation": {"unit_contact": OWN_UNIT},
    "confirm_cooperation": {"unit_contact": OWN_UNIT, "expert": OWN_PLACEMENT},
    "cooperation": {"unit_contact": OWN_UNIT, "expert": OWN_PLACEMENT, "officer": ANY, "auditor": ANY},
    "file_project": {"unit_contact": OWN_UNIT},
    "record_agreement": {"officer": ANY},
    "appoint": {"officer": ANY},
    "extend_term": {"decision_maker": ANY},
    "terminate_early": {"officer": ANY},
    "record_evaluation": {"reviewer": IN_REVIEW},
    "placement": {"unit_contact": OWN_UNIT, "expert": OWN_PLACEMENT, "reviewer": IN_REVIEW, **STAFF_READERS},
    "placements_by_status": dict(STAFF_READERS),
    **PLATFORM_ROWS,
})

# A programme A case is with the reviewers once its audit passed (the statuses before are the unit's
# and the auditing officer's).
BEFORE_REVIEW = ("draft", "submitted", "returned")


def case_facts(doc_or_case) -> Facts:
    """A programme A case (its status document or its aggregate): its unit; no expert."""
    if isinstance(doc_or_case, dict):
        unit_id, status = doc_or_case.get("unit_id"), doc_or_case.get("status")
    else:
        unit_id, status = doc_or_case.unit_id, doc_or_case.status
    return Facts(unit_id=unit_id and str(unit_id), in_review=status not in BEFORE_REVIEW)


def placement_facts(doc_or_placement) -> Facts:
    """A placement (filed: under review from then on): the company and the expert."""
    if isinstance(doc_or_placement, dict):
        unit_id, expert_id = doc_or_placement.get("unit_id"), doc_or_placement.get("expert_id")
    else:
        unit_id, expert_id = doc_or_placement.unit_id, doc_or_placement.expert_id
    return Facts(unit_id=unit_id and str(unit_id), expert_id=expert_id and str(expert_id), in_review=True)


def cooperation_facts(cooperation) -> Facts:
    return Facts(unit_id=str(cooperation.unit_id), expert_id=str(cooperation.expert_id))


def unit_facts(unit_id) -> Facts:
    return Facts(unit_id=str(unit_id))


check = TABLE.check
