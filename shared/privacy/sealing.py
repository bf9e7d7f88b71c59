"""How one personal value is stored: AES-256-GCM under its person's data key.

The stored form of a personal field (final: the store's tamper-evidence seal will hash these bytes)
replaces the value in the event's state with

    {"$personal": 1, "kid": "<data key id>", "nonce": "<12 bytes, base64url>", "ct": "<ciphertext+tag, base64url>"}

- the plaintext is the value as the store's transcoder writes it (JSON, dates as `date_iso`), wrapped
  as {"v": value}, so a value comes back with its type;
- the nonce is 96 random bits, fresh for every encryption (never a counter: several instances write);
- the associated data is the UTF-8 of `changping-personal/1|<service>|<stream id>|<version>|<field>|<kid>`:
  the ciphertext cannot be moved to another service, stream, version, field or key without failing
  to decrypt.

A value sealed for a read model uses the same form, with `<stream id>|<version>` replaced by the
read model's collection and document key (`view_context`).
"""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.keys import b64url, b64url_decode

MARK = "$personal"
FORMAT = 1
NONCE_BYTES = 12
AAD_PREFIX = "changping-personal/1"


class Unreadable(ValueError):
    """A sealed value that does not open under its key (moved, altered, or the wrong key)."""


def is_sealed(value) -> bool:
    return isinstance(value, dict) and value.get(MARK) == FORMAT and "kid" in value


def associated_data(service: str, stream: str, version, field: str, kid: str) -> bytes:
    return f"{AAD_PREFIX}|{service}|{stream}|{version}|{field}|{kid}".encode()


def seal(key: AESGCM, kid: str, plaintext: bytes, aad: bytes) -> dict:
    nonce = os.urandom(NONCE_BYTES)
    return {MARK: FORMAT, "kid": kid, "nonce": b64url(nonce), "ct": b64url(key.encrypt(nonce, plaintext, aad))}


def open_sealed(key: AESGCM, sealed: dict, aad: bytes) -> bytes:
    try:
        return key.decrypt(b64url_decode(sealed["nonce"]), b64url_decode(sealed["ct"]), aad)
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise Unreadable(f"a personal value under key {sealed.get('kid')} does not open here") from None
