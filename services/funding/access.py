"""Who may call each of the funding service's endpoints, and on which records (shared/access.py).
The entrypoints take their roles from this table; the handlers and queries check the relationship
here, on the case's funding they load."""
from __future__ import annotations

from shared.access import ANY, OWN_PLACEMENT, OWN_UNIT, PLATFORM_ROWS, Facts, Table

CASE_READERS = {"funding_officer": ANY, "officer": ANY, "auditor": ANY, "unit_contact": OWN_UNIT,
                "expert": OWN_PLACEMENT}

TABLE = Table("funding", {
    # the office's budgets and planning (docs/funding.md)
    "record_budget": {"funding_officer": ANY},
    "budget": {"funding_officer": ANY, "auditor": ANY},
    "budget_csv": {"funding_officer": ANY, "auditor": ANY},
    "what_if": {"funding_officer": ANY, "auditor": ANY},
    # programme A
    "choose_housing": {"officer": ANY, "unit_contact": OWN_UNIT},
    "claim_service_money": {"officer": ANY, "unit_contact": OWN_UNIT},
    "end_early": {"officer": ANY},
    # the funding office, either programme
    "report_payment": {"funding_officer": ANY},
    "retry_disbursement": {"funding_officer": ANY},
    # programme B: the working group's money decisions
    "award_prize": {"decision_maker": ANY},
    "grant_breakthrough_subsidy": {"decision_maker": ANY},
    # reading
    "entitlements": dict(CASE_READERS),
    "disbursements": dict(CASE_READERS),
    "disbursements_by_status": {"funding_officer": ANY, "officer": ANY, "auditor": ANY},
    **PLATFORM_ROWS,
})


def funding_facts(doc_or_funding) -> Facts:
    """A case's funding (its document or its aggregate): the unit (a placement's company) and, for a
    placement, the expert."""
    if isinstance(doc_or_funding, dict):
        unit_id, expert_id = doc_or_funding.get("unit_id"), doc_or_funding.get("expert_id")
    else:
        unit_id, expert_id = doc_or_funding.unit_id, getattr(doc_or_funding, "expert_id", None)
    return Facts(unit_id=unit_id and str(unit_id), expert_id=expert_id and str(expert_id))


check = TABLE.check
