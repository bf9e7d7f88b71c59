"""Signed integration events: what is signed, how, and how a consumer checks it.

A service signs each event of a published stream when it records it, in the same transaction
(`ServiceApplication.record`); the relay and `events_after` forward the signature beside the
envelope, as its `"signature"` field; every consumer verifies it before anything else.

What is signed: the envelope exactly as it travels, without `position` (the store assigns it
on insert, after signing) and without `signature` itself — event id, type, schema version,
source, stream id, sequence, case id, actor, occurred_at, recorded_at, correlation,
causation, command id and payload — as CANONICAL JSON bytes:

- UTF-8, no insignificant white space (separators `,` and `:`), characters as themselves
  (no `\\uXXXX` escapes except for `"`, `\\` and the control characters, which JSON requires);
- object members sorted by key (by UTF-16 code unit, as RFC 8785 does; every key we use is
  ASCII, so plain code-point order gives the same result);
- only objects, arrays, strings, booleans, null and integers within ±(2^53 − 1): no floats.

This is RFC 8785 (JCS) restricted to what our envelopes hold; in Python it is
`json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`, in
Node or Java any RFC 8785 library gives the same bytes.

How: a compact JWS (RFC 7515) with a detached payload (its appendix F):
`<protected header>..<signature>`, both base64url without padding. The signature is Ed25519
(`alg` EdDSA, RFC 8037) over the ASCII bytes `<protected header> "." base64url(canonical
bytes)`. The protected header, itself covered by the signature, is

    {"alg": "EdDSA", "kid": <key id>, "purpose": "event-signing",
     "schema_version": <the envelope's>, "typ": "changping-event+jws"}

A consumer accepts an event only if the header is exactly that shape, the key is in the
registry with purpose `event-signing`, belongs to the envelope's `source`, the event type's
first segment is that source, the key is not revoked (and, once retired, the event's position
is at most the last one it signed), and the signature verifies.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.keys import KeyProblem, LiveRegistry, Registry, b64url, b64url_decode, load_private_key

PURPOSE = "event-signing"
TYP = "changping-event+jws"
ALG = "EdDSA"
UNSIGNED_FIELDS = ("position", "signature")   # the envelope's fields the signature does not cover
MAX_SAFE_INTEGER = 2**53 - 1
MAX_SIGNATURE_LENGTH = 1024


class Rejected(Exception):
    """An event whose signature is missing (`unsigned`) or does not hold (`forged`)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


# -- the canonical form ------------------------------------------------------------------
def canonical(value) -> bytes:
    """The canonical JSON bytes of `value` (see the module's docstring); ValueError if it holds
    anything the canonical form does not allow (a float, a huge integer, a non-text key …)."""
    _check(value, 0)
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string is not valid Unicode (a lone surrogate)") from None


def _check(value, depth: int) -> None:
    if depth > 64:
        raise ValueError("nested too deep")
    if value is None or isinstance(value, (str, bool)):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is outside ±(2^53 − 1)")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"object key {key!r} is not text")
            if not key.isascii():
                raise ValueError(f"object key {key!r} is not ASCII")   # code-point order = UTF-16 order
            _check(item, depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check(item, depth + 1)
        return
    raise ValueError(f"{type(value).__name__} has no canonical form (only JSON text, integers, booleans, null)")


def signed_part(envelope: dict) -> dict:
    return {key: value for key, value in envelope.items() if key not in UNSIGNED_FIELDS}


# -- signing -----------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _header(kid: str, schema_version: int) -> str:
    return b64url(canonical({"alg": ALG, "kid": kid, "purpose": PURPOSE, "schema_version": schema_version,
                             "typ": TYP}))


@dataclass(frozen=True)
class EventSigner:
    """A service's event-signing key."""
    service: str
    kid: str
    key: Ed25519PrivateKey

    @classmethod
    def load(cls, directory: str, service: str, registry: Registry) -> EventSigner:
        """The service's key, checked against the registry; KeyProblem (the service refuses to
        start) if it is missing, malformed, unregistered, someone else's, retired or revoked."""
        kid, key = load_private_key(directory, service, PURPOSE)
        entry = registry.entry(kid)
        if entry is None:
            raise KeyProblem(f"{service}: its {PURPOSE} key {kid} is not in the key registry of {directory}")
        if entry.purpose != PURPOSE or entry.owner != service:
            raise KeyProblem(f"{service}: key {kid} is registered as {entry.owner}'s {entry.purpose} key")
        if entry.revoked_at:
            raise KeyProblem(f"{service}: key {kid} was revoked ({entry.revocation_reason}); rotate it")
        if entry.retired_after_position is not None:
            raise KeyProblem(f"{service}: key {kid} was retired; rotate it (python -m shared.keys rotate {service})")
        return cls(service, kid, key)

    def sign(self, envelope: dict) -> str:
        """The detached compact JWS over the envelope's signed part."""
        header = _header(self.kid, envelope["schema_version"])
        signing_input = f"{header}.{b64url(canonical(signed_part(envelope)))}".encode("ascii")
        return f"{header}..{b64url(self.key.sign(signing_input))}"


def signed_schema_version(signature) -> int | None:
    """The schema version a signature's header names (the relay dumps the payload with it)."""
    try:
        header = json.loads(b64url_decode(signature.split(".", 1)[0]))
        version = header["schema_version"]
        return version if isinstance(version, int) else None
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


# -- verifying ---------------------------------------------------------------------------
class EventVerifier:
    """Checks an event as it arrived (the raw body: envelope, position and signature) against
    the key registry. The registry is re-read when its file changes (a rotated key is known
    to consumers without a restart; a revocation takes effect within seconds)."""

    def __init__(self, registry: LiveRegistry | Registry):
        self._registry = registry

    @property
    def registry(self) -> Registry:
        return self._registry.current() if isinstance(self._registry, LiveRegistry) else self._registry

    def verify(self, body) -> str:
        """The key id that signed `body`; raises Rejected('unsigned' | 'forged', why) otherwise."""
        if not isinstance(body, dict):
            raise Rejected("unsigned", "the event is not a JSON object")
        signature = body.get("signature")
        if signature is None or signature == "":
            raise Rejected("unsigned", "the event carries no signature")
        if not isinstance(signature, str) or len(signature) > MAX_SIGNATURE_LENGTH or signature.count(".") != 2:
            raise Rejected("forged", "the signature is not a compact JWS")
        header_b64, attached, signature_b64 = signature.split(".")
        if attached:
            raise Rejected("forged", "the signature must have a detached payload")
        try:
            header = json.loads(b64url_decode(header_b64))
            raw_signature = b64url_decode(signature_b64)
        except (ValueError, TypeError):
            raise Rejected("forged", "the signature's header or value is not base64url JSON") from None
        if not isinstance(header, dict) or set(header) != {"alg", "kid", "purpose", "schema_version", "typ"}:
            raise Rejected("forged", "the signature's header is not an event signature's")
        if header["alg"] != ALG or header["typ"] != TYP or header["purpose"] != PURPOSE:
            raise Rejected("forged", f"the signature is not an {PURPOSE} {ALG} signature")
        kid, source, event_type = header["kid"], body.get("source"), body.get("type")
        entry = self._registry.entry(kid) if isinstance(kid, str) else None   # a live registry re-reads on a miss
        if entry is None:
            raise Rejected("forged", f"unknown key {kid!r}")
        if entry.purpose != PURPOSE:
            raise Rejected("forged", f"key {kid} is a {entry.purpose} key, not an {PURPOSE} key")
        if entry.owner != source:
            raise Rejected("forged", f"key {kid} belongs to {entry.owner}, the event claims to come from {source!r}")
        if not isinstance(event_type, str) or event_type.split(".", 1)[0] != source:
            raise Rejected("forged", f"{source} does not emit {event_type!r}")
        if header["schema_version"] != body.get("schema_version"):
            raise Rejected("forged", "the signature names another schema version than the envelope")
        if entry.revoked_at:
            raise Rejected("forged", f"key {kid} was revoked at {entry.revoked_at} ({entry.revocation_reason})")
        if entry.retired_after_position is not None:
            position = body.get("position")
            if not isinstance(position, int) or isinstance(position, bool) or position > entry.retired_after_position:
                raise Rejected("forged", f"key {kid} was retired after position {entry.retired_after_position}; "
                                         f"this event claims position {position!r}")
        try:
            payload = canonical(signed_part(body))
        except ValueError as problem:
            raise Rejected("forged", f"the event has no canonical form: {problem}") from None
        try:
            _public(entry.public_key).verify(raw_signature, f"{header_b64}.{b64url(payload)}".encode("ascii"))
        except InvalidSignature:
            raise Rejected("forged", f"the signature does not match the event (key {kid})") from None
        return kid


@lru_cache(maxsize=256)
def _public(public_key_b64: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    return Ed25519PublicKey.from_public_bytes(b64url_decode(public_key_b64))


def event_keys(directory: str, service: str) -> tuple[EventSigner, EventVerifier]:
    """What a service needs at start-up: its own signing key and the registry to verify others';
    KeyProblem names what is missing or wrong."""
    registry = LiveRegistry(directory)
    return EventSigner.load(directory, service, registry.current()), EventVerifier(registry)
