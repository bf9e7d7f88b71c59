"""A case's funding as commands load it (once, through the unit of work), and who may act on
or read which case: a unit contact their own unit's (for a placement: the company's), an expert
their own placements."""
from __future__ import annotations

from uuid import UUID

from shared.errors import forbidden, not_found, rule_violation
from shared.eventstore.application import check_version

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


def own_case(uow, case_id, expected_version) -> CaseFunding:
    """A programme A case the actor may act on (a unit contact: their own unit's), at the version named."""
    funding = funding_of(uow, case_id)
    if not isinstance(funding, CaseFunding):
        raise rule_violation("funding.programme", "this command is for programme A cases; this is a placement")
    check_unit_access(uow.actor, str(funding.unit_id) if funding.unit_id else None)
    check_version(funding, expected_version)
    return funding


def placement(uow, case_id, expected_version) -> PlacementFunding:
    """A programme B placement's funding, at the version named."""
    funding = funding_of(uow, case_id)
    if not isinstance(funding, PlacementFunding):
        raise rule_violation("funding.programme", "this command is for programme B placements")
    check_version(funding, expected_version)
    return funding


def check_unit_access(identity, unit_id: str | None) -> None:
    """A unit contact acts on and reads only their own unit's cases (for a placement: the company)."""
    if identity is not None and identity.role == "unit_contact" and (not unit_id or identity.unit_id != unit_id):
        raise forbidden("a unit contact may act only on their own unit's cases", rule="roles.own_unit")


def check_read_access(identity, doc: dict) -> None:
    """Unit contacts read their own unit's cases; an expert reads only their own placements (the
    token's actor id is the expert id)."""
    check_unit_access(identity, doc.get("unit_id"))
    if identity is not None and identity.role == "expert" and identity.actor_id != doc.get("expert_id"):
        raise forbidden("an expert may read only their own placements", rule="roles.own_placement")
