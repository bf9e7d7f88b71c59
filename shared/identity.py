"""Who is calling: a signed token issued by the portal backend.

The portal signs `{sub, role, unit}` with the shared key (HS256, with expiry); every
service verifies it and records the identity on each event the call causes. Timers and
event handlers act as a named system actor, never as a person.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import lru_cache

import jwt

from shared.errors import forbidden, unauthenticated

ROLES = (
    "unit_contact",      # a unit's registered contact: acts on that unit's records only
    "expert",            # a pool expert (programme B): confirms cooperation, sees their placements
    "officer",           # district officer: audits registrations and cases
    "reviewer",          # expert reviewer
    "decision_maker",    # working group: decides awards
    "funding_officer",   # funding office: releases and reports payments
    "auditor",           # reads histories, changes nothing
    "operator",          # runs the platform: parked events, rebuilds
    "system",            # a service acting on an event or a timer
)

ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 15 * 60


@dataclass(frozen=True)
class Identity:
    actor_id: str
    role: str
    unit_id: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def system_actor(service: str) -> Identity:
    return Identity(actor_id=f"system:{service}", role="system")


def issue_token(key: str, actor_id: str, role: str, unit_id: str | None = None, *,
                issuer: str = "changping-portal", ttl_seconds: int = DEFAULT_TTL_SECONDS,
                now: float | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    issued = int(now if now is not None else time.time())
    claims = {"sub": actor_id, "role": role, "iss": issuer, "iat": issued, "exp": issued + ttl_seconds}
    if unit_id:
        claims["unit"] = unit_id
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_token(token: str | None, key: str, *, issuer: str = "changping-portal") -> Identity:
    if not token:
        raise unauthenticated("a caller token is required (context data 'authorization')")
    try:
        claims = _verified_claims(token, key, issuer)
    except jwt.ExpiredSignatureError:
        raise unauthenticated("the caller token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise unauthenticated(f"the caller token is invalid: {exc}") from None
    if claims["exp"] <= time.time():   # a cached token expires like any other
        raise unauthenticated("the caller token has expired")
    if claims["role"] not in ROLES:
        raise unauthenticated(f"the caller token names an unknown role {claims['role']!r}")
    return Identity(actor_id=str(claims["sub"]), role=claims["role"], unit_id=claims.get("unit"))


@lru_cache(maxsize=4096)
def _verified_claims(token: str, key: str, issuer: str) -> dict:
    """A portal reuses its token for many calls: check the signature once per token
    (and key), the expiry on every call. Refused tokens raise, so they are never cached."""
    return jwt.decode(token, key, algorithms=[ALGORITHM], issuer=issuer,
                      options={"require": ["sub", "role", "exp", "iss"]})


def require_role(identity: Identity, allowed: tuple[str, ...] | frozenset[str]) -> None:
    if identity.role not in allowed:
        raise forbidden(f"role {identity.role!r} may not do this; allowed: {', '.join(sorted(allowed))}",
                        rule="roles")
