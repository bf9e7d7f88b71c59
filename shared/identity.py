"""Who is calling: a caller token, signed by the portal that vouches for the caller.

A caller token is a standard JWT signed with EdDSA (Ed25519, RFC 8037). Each portal backend (an
*issuer*) holds its own private key; the services hold only the issuers' public keys, from the key
registry (shared/keys.py, purpose `token-issuer`), whose entry says which roles that issuer may
grant. A service accepts a token only if

* its header is `{"alg": "EdDSA", "kid": <a registered, unrevoked token-issuer key>}` (no other
  algorithm: HS256 "signed" with the public key, or `none`, is refused before anything else);
* the signature verifies with that key, and `iss` names the key's owner;
* it carries `sub`, `role`, `iss`, `iat` and `exp`; it has not expired and lives at most
  `MAX_TTL_SECONDS` (`exp - iat`, and `exp` at most that far ahead of now);
* its role is one the issuer may grant, and never `system`: services act as system only internally
  (timers, event handlers), never because a caller said so;
* its `sub` (and `unit`, if any) is a well-formed id once normalised (shared/actors.py: NFKC,
  stripped, case-folded): the identity carries the canonical id, so `C1-OFFICER-10`, `c1-officer-10 `
  and `c1-officer-10` are one actor everywhere, in separation-of-duties rules above all.

Every refusal is `unauthenticated`: a token that breaks any of these does not establish who is
calling. `forbidden` is kept for a caller whose identity is established but whose role may not do
what it asks. The service records the identity on each event the call causes.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.actors import MalformedActorId, canonical_actor_id
from shared.errors import forbidden, unauthenticated
from shared.keys import KeyEntry, KeyProblem, Registry, b64url_decode, key_id, load_private_key

ROLES = (
    "unit_contact",      # a unit's registered contact: acts on that unit's records only
    "expert",            # a pool expert (programme B): confirms cooperation, sees their placements
    "officer",           # district officer: audits registrations and cases
    "reviewer",          # expert reviewer
    "decision_maker",    # working group: decides awards
    "funding_officer",   # funding office: releases and reports payments
    "auditor",           # reads histories, changes nothing
    "operator",          # runs the platform: parked events, rebuilds
    "system",            # a service acting on an event or a timer: never from a caller token
)
SYSTEM_ROLE = "system"

# The issuers a deployment has, and the roles each may grant. The key registry is the authority a
# service checks (its `roles` per token-issuer key); this table is what `python -m shared.keys
# generate` registers for development and what the tests and the demo use.
ISSUERS = {
    "unit-portal": ("unit_contact",),
    "expert-portal": ("expert",),
    "officer-portal": ("officer", "reviewer", "decision_maker", "funding_officer", "auditor", "operator"),
}

ALGORITHM = "EdDSA"
PURPOSE = "token-issuer"
DEFAULT_TTL_SECONDS = 15 * 60
MAX_TTL_SECONDS = 60 * 60
CLOCK_SKEW_SECONDS = 60          # a portal's clock may run this far ahead of a service's
REQUIRED_CLAIMS = ("sub", "role", "iss", "iat", "exp")
MAX_TOKEN_LENGTH = 4096          # a token is a few hundred characters


@dataclass(frozen=True)
class Identity:
    actor_id: str
    role: str
    unit_id: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def system_actor(service: str) -> Identity:
    return Identity(actor_id=f"system:{service}", role=SYSTEM_ROLE)


# -- the portal's side: minting ------------------------------------------------------------------
def issue_token(private_key: Ed25519PrivateKey, issuer: str, actor_id: str, role: str,
                unit_id: str | None = None, *, ttl_seconds: int = DEFAULT_TTL_SECONDS,
                now: float | None = None) -> str:
    """A caller token signed with `issuer`'s private key (the `kid` header is its key id).
    Refuses what no service would accept: the system role, an unknown role, a lifetime over an hour."""
    if role not in ROLES or role == SYSTEM_ROLE:
        raise ValueError(f"no caller token carries role {role!r}")
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"a caller token lives at most {MAX_TTL_SECONDS} seconds, not {ttl_seconds}")
    issued = int(now if now is not None else time.time())
    claims = {"sub": actor_id, "role": role, "iss": issuer, "iat": issued, "exp": issued + ttl_seconds}
    if unit_id:
        claims["unit"] = unit_id
    return jwt.encode(claims, private_key, algorithm=ALGORITHM,
                      headers={"kid": key_id(private_key.public_key()), "typ": "JWT"})


@dataclass(frozen=True)
class TokenIssuer:
    """One portal backend's signing side: its name (the `iss` claim) and private key."""
    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def load(cls, directory: str, name: str) -> TokenIssuer:
        return cls(name, load_private_key(directory, name, PURPOSE)[1])

    @property
    def kid(self) -> str:
        return key_id(self.private_key.public_key())

    def token(self, actor_id: str, role: str, unit_id: str | None = None, **kwargs) -> str:
        return issue_token(self.private_key, self.name, actor_id, role, unit_id, **kwargs)


def issuer_of(role: str) -> str:
    """The default issuer (ISSUERS) that grants `role`."""
    for name, roles in ISSUERS.items():
        if role in roles:
            return name
    raise ValueError(f"no issuer grants role {role!r}")


def issuer_owners() -> dict[str, tuple[str, tuple[str, ...]]]:
    """ISSUERS in the shape `shared.keys.generate` takes."""
    return {name: (PURPOSE, roles) for name, roles in ISSUERS.items()}


class Portals:
    """Every default issuer's private key from one keys folder, each role minted by the issuer that
    may grant it: for the tests, the demo and the benchmarks (a real portal holds only its own key)."""

    def __init__(self, directory: str):
        self.issuers = {name: TokenIssuer.load(directory, name) for name in ISSUERS}

    def token(self, actor_id: str, role: str, unit_id: str | None = None, **kwargs) -> str:
        return self.issuers[issuer_of(role)].token(actor_id, role, unit_id, **kwargs)


# -- the service's side: verifying ---------------------------------------------------------------
class TrustedIssuers:
    """The token-issuer keys a service accepts, by key id: from the key registry."""

    def __init__(self, entries: Iterable[KeyEntry]):
        self.entries = {e.kid: e for e in entries if e.purpose == PURPOSE}

    @classmethod
    def load(cls, directory: str) -> TrustedIssuers:
        """From `<directory>/registry.json`; refuses (KeyProblem) when it lists no usable issuer key,
        since then no caller could ever be authenticated."""
        trusted = cls(Registry.load(directory).entries.values())
        if not any(e.revoked_at is None for e in trusted.entries.values()):
            raise KeyProblem(f"the key registry in {directory} has no unrevoked {PURPOSE} key: no caller "
                             "token could be verified (run `python -m shared.keys generate` for development)")
        return trusted

    def entry(self, kid) -> KeyEntry | None:
        return self.entries.get(kid) if isinstance(kid, str) else None


def verify_token(token, issuers: TrustedIssuers, *, now: float | None = None) -> Identity:
    if not token:
        raise unauthenticated("a caller token is required (context data 'authorization')")
    if not isinstance(token, str) or not token.isascii() or len(token) > MAX_TOKEN_LENGTH:
        raise unauthenticated(f"the caller token must be a compact JWT: ASCII, at most {MAX_TOKEN_LENGTH} characters")
    try:
        header = _header(token)
    except jwt.InvalidTokenError as exc:
        raise unauthenticated(f"the caller token is malformed: {exc}") from None
    if header.get("alg") != ALGORITHM:
        raise unauthenticated(f"caller tokens are signed with {ALGORITHM}, not {header.get('alg')!r}")
    entry = issuers.entry(header.get("kid"))
    if entry is None:
        raise unauthenticated("the caller token's key (header kid) is not a registered token issuer")
    if entry.revoked_at is not None:
        raise unauthenticated(f"the caller token's issuer key {entry.kid} ({entry.owner}) has been revoked")
    try:
        claims = _verified_claims(token, entry.public_key, entry.owner)
    except jwt.InvalidIssuerError:
        raise unauthenticated(f"the caller token's iss is not {entry.owner!r}, the owner of its key") from None
    except jwt.MissingRequiredClaimError as exc:
        raise unauthenticated(f"the caller token lacks a claim: {exc}") from None
    except jwt.InvalidTokenError as exc:
        raise unauthenticated(f"the caller token is invalid: {exc}") from None
    return _identity(claims, entry, time.time() if now is None else now)


def _identity(claims: dict, entry: KeyEntry, now: float) -> Identity:
    """The checks that depend on the time or on the issuer's grant: made on every call."""
    issued, expires = claims["iat"], claims["exp"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (issued, expires)):
        raise unauthenticated("the caller token's iat and exp must be numbers (seconds since the epoch)")
    if expires <= now:
        raise unauthenticated("the caller token has expired")
    if expires - issued > MAX_TTL_SECONDS or expires > now + MAX_TTL_SECONDS + CLOCK_SKEW_SECONDS:
        raise unauthenticated(f"the caller token lives longer than {MAX_TTL_SECONDS} seconds: issue a shorter one")
    if issued > now + CLOCK_SKEW_SECONDS:
        raise unauthenticated("the caller token is issued in the future")
    role, subject, unit = claims["role"], claims["sub"], claims.get("unit")
    if not isinstance(role, str) or role not in ROLES:
        raise unauthenticated(f"the caller token names an unknown role {role!r}")
    if role == SYSTEM_ROLE:
        raise unauthenticated("no caller token carries the system role: services act as system only internally")
    if role not in entry.roles:
        raise unauthenticated(f"issuer {entry.owner!r} may not grant role {role!r} "
                              f"(it may grant: {', '.join(entry.roles) or 'nothing'})")
    try:
        subject = canonical_actor_id(subject)
    except MalformedActorId as problem:
        raise unauthenticated(f"the caller token's sub is malformed: {problem}") from None
    if unit is not None and unit != "":
        try:
            unit = canonical_actor_id(unit)
        except MalformedActorId as problem:
            raise unauthenticated(f"the caller token's unit is malformed: {problem}") from None
    return Identity(actor_id=subject, role=role, unit_id=unit or None)


@lru_cache(maxsize=4096)
def _header(token: str) -> dict:
    """The token's header, parsed once per token (malformed ones raise, so they are never cached)."""
    return jwt.get_unverified_header(token)


@lru_cache(maxsize=4096)
def _verified_claims(token: str, public_key: str, owner: str) -> dict:
    """A portal reuses its token for many calls: check the signature once per token and key (the
    expiry, lifetime and grant are checked on every call, by `_identity`). Refused tokens raise, so
    they are never cached. Only EdDSA is accepted, whatever the header says."""
    return jwt.decode(token, _public_key(public_key), algorithms=[ALGORITHM], issuer=owner,
                      options={"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False})


@lru_cache(maxsize=64)
def _public_key(raw: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64url_decode(raw))


def require_role(identity: Identity, allowed: tuple[str, ...] | frozenset[str]) -> None:
    if identity.role not in allowed:
        raise forbidden(f"role {identity.role!r} may not do this; allowed: {', '.join(sorted(allowed))}",
                        rule="roles")
