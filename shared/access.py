"""Who may call what: each endpoint's roles, and for each role the relationship to the record that
the caller must have. Data, read by the services (services/<service>/access.py holds each one's
table, the entrypoints take their roles from it and the handlers and queries check the
relationship with it), by docs/reference.md (services/reference.py renders the tables) and by the
test that walks every endpoint with a token of every role (tests/integration/test_access_walk.py).

A role missing from an endpoint's row is refused `forbidden` (rule `roles`) before the payload is
read. A role in the row is given one relationship, or several of which any suffices; a caller
without it is refused `forbidden` with rule `roles.<relationship>` once the record is loaded.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.actors import same_actor
from shared.errors import forbidden

ANY = "any"                         # any record: district staff, auditors, operators
OWN_UNIT = "own_unit"               # the record's unit (a programme B placement's: the company) is the token's unit
OWN_PLACEMENT = "own_placement"     # the expert the record names (placement, cooperation, profile) is the caller
IN_REVIEW = "in_review"             # the case has been handed to reviewers (programme A: its audit passed)
PUBLISHED = "published"             # the expert is in the published pool

ANYONE = "anyone"                   # not a role: the endpoint takes no token (health)

RELATIONSHIPS = {
    ANY: "any record",
    OWN_UNIT: "their own unit's records (a unit contact whose token names the record's unit; for a "
              "placement, the company)",
    OWN_PLACEMENT: "the expert themselves (the placement's, cooperation's or profile's expert is the caller)",
    IN_REVIEW: "cases handed to reviewers (programme A: after the audit passed; a placement from its filing)",
    PUBLISHED: "experts published in the pool",
}


@dataclass(frozen=True)
class Facts:
    """What a relationship is decided on, taken from the record the call names."""
    unit_id: str | None = None
    expert_id: str | None = None
    in_review: bool = False
    published: bool = False
    registering: bool = False    # a new unit: a contact whose token names no unit yet may register it


def holds(relationship: str, identity, facts: Facts) -> bool:
    if relationship == ANY:
        return True
    if relationship == OWN_UNIT:
        if identity.unit_id is None:
            return facts.registering
        return facts.unit_id is not None and identity.unit_id == str(facts.unit_id).lower()
    if relationship == OWN_PLACEMENT:
        return same_actor(identity.actor_id, None if facts.expert_id is None else str(facts.expert_id))
    if relationship == IN_REVIEW:
        return facts.in_review
    if relationship == PUBLISHED:
        return facts.published
    raise ValueError(f"unknown relationship {relationship!r}")


# What every service has (shared/platform/base.py takes its roles from here).
PLATFORM_ROWS = {
    "health": {ANYONE: ANY},
    "events_after": {"auditor": ANY, "operator": ANY},
    "parked_events": {"operator": ANY},
    "replay_parked": {"operator": ANY},
}


class Table:
    """One service's rows: endpoint → {role: relationship or tuple of relationships}."""

    def __init__(self, service: str, rows: Mapping[str, Mapping[str, str | tuple[str, ...]]]):
        self.service = service
        self.rows = {endpoint: {role: (cell,) if isinstance(cell, str) else tuple(cell)
                                for role, cell in row.items()} for endpoint, row in rows.items()}
        for endpoint, row in self.rows.items():
            for role, cell in row.items():
                unknown = [r for r in cell if r not in RELATIONSHIPS]
                if unknown or not cell:
                    raise ValueError(f"{service}.{endpoint}: role {role} has no known relationship: {cell}")

    def roles(self, endpoint: str) -> tuple[str, ...]:
        """The roles the entrypoint admits (its decorator takes them from here)."""
        return tuple(role for role in self.rows[endpoint] if role != ANYONE)

    def public(self, endpoint: str) -> bool:
        return ANYONE in self.rows[endpoint]

    def relationships(self, endpoint: str, role: str) -> tuple[str, ...]:
        return self.rows[endpoint].get(role, ())

    def check(self, endpoint: str, identity, facts: Facts = Facts()) -> None:
        """Refuses a caller without the relationship their role needs on this endpoint. Services
        acting on their own (role `system`: timers, inbound events) are not callers."""
        if identity is None or identity.role == "system":
            return
        cell = self.rows[endpoint].get(identity.role)
        if cell is None:
            raise forbidden(f"role {identity.role!r} may not call {self.service}.{endpoint}", rule="roles")
        if not any(holds(relationship, identity, facts) for relationship in cell):
            raise forbidden(f"role {identity.role!r} may call {self.service}.{endpoint} on "
                            f"{' or '.join(RELATIONSHIPS[r] for r in cell)} only", rule=f"roles.{cell[0]}")

    def may(self, endpoint: str, identity, facts: Facts = Facts()) -> bool:
        try:
            self.check(endpoint, identity, facts)
        except Exception:
            return False
        return True
