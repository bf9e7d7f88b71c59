"""Who may call each of the registration service's endpoints, and on which records (shared/access.py).
The entrypoints take their roles from this table; the handlers and queries check the relationship
here, on the unit or expert they load."""
from __future__ import annotations

from shared.access import ANY, OWN_PLACEMENT, OWN_UNIT, PLATFORM_ROWS, PUBLISHED, Facts, Table

TABLE = Table("registration", {
    # personal data: erasure by key (docs/privacy.md)
    "erase_person": {"operator": ANY},
    # units
    "register_unit": {"unit_contact": OWN_UNIT, "officer": ANY},
    "audit_unit": {"officer": ANY},
    "update_details": {"unit_contact": OWN_UNIT},
    "get_unit": {"unit_contact": OWN_UNIT, "officer": ANY, "auditor": ANY},
    # programme B's expert pool
    "recommend_expert": {"unit_contact": OWN_UNIT, "officer": ANY},
    "record_expert_waiver": {"officer": ANY},
    "publish_expert": {"officer": ANY},
    "withdraw_expert": {"officer": ANY},
    "experts": {"unit_contact": ANY, "expert": ANY, "officer": ANY, "auditor": ANY},   # the published pool
    "get_expert": {"unit_contact": (PUBLISHED, OWN_UNIT), "expert": (PUBLISHED, OWN_PLACEMENT),
                   "officer": ANY, "auditor": ANY},
    "expert_recommendations": {"officer": ANY, "auditor": ANY},
    **PLATFORM_ROWS,
})

# What only officers and auditors see of an expert (get_expert adds the ID number and contact for them).
OFFICE_ONLY = ("waiver", "waived", "recommended_by", "published_by", "withdrawn_by", "policy_edition")


def unit_facts(unit_id, *, registering: bool = False) -> Facts:
    return Facts(unit_id=str(unit_id), registering=registering)


def expert_facts(doc: dict) -> Facts:
    """A pool expert or candidate: published or not, the unit that recommended them, and the expert."""
    return Facts(unit_id=doc.get("recommending_unit_id"), expert_id=doc.get("expert_id"),
                 published=doc.get("status") == "published")


check = TABLE.check
