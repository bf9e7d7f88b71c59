"""A case's funding as commands load it (once, through the unit of work), checked against who may
act on it (services/funding/access.py)."""
from __future__ import annotations

from uuid import UUID

from shared.errors import not_found, rule_violation
from shared.eventstore.application import check_version

from services.funding import access
from services.funding.domain import CaseFunding
from services.funding.ledger import case_id_of_key
from services.funding.placement import PlacementFunding

FUNDED = (CaseFunding, PlacementFunding)


def funding_of(uow, case_id) -> CaseFunding | PlacementFunding:
    """A case's funding, either programme (the office's commands and the timer work on both)."""
    return uow.get(FUNDED, case_id, "case funding")


def funding_of_key(uow, key: str) -> CaseFunding | PlacementFunding:
    """The funding a disbursement's idempotency key `<case_id>:<obligation>:<period>` belongs to."""
    try:
        case_id = UUID(case_id_of_key(key))
    except ValueError:
        raise not_found("disbursement", key) from None
    return funding_of(uow, case_id)


def own_case(uow, case_id, expected_version, endpoint: str) -> CaseFunding:
    """A programme A case's funding, if the caller may call `endpoint` on it (services/funding/access.py),
    at the version named."""
    funding = funding_of(uow, case_id)
    access.check(endpoint, uow.actor, access.funding_facts(funding))
    if not isinstance(funding, CaseFunding):
        raise rule_violation("funding.programme", "this command is for programme A cases; this is a placement")
    check_version(funding, expected_version)
    return funding


def placement(uow, case_id, expected_version, endpoint: str) -> PlacementFunding:
    """A programme B placement's funding, if the caller may call `endpoint` on it, at the version named."""
    funding = funding_of(uow, case_id)
    access.check(endpoint, uow.actor, access.funding_facts(funding))
    if not isinstance(funding, PlacementFunding):
        raise rule_violation("funding.programme", "this command is for programme B placements")
    check_version(funding, expected_version)
    return funding
