"""Keys: each service's private signing key, and the registry of public keys everyone holds.

Keys are configuration, never part of the repository. `KEYS.dir` (deploy/config.yaml, `KEYS_DIR`)
holds, for a running system:

    <dir>/registry.json            public: every key's id, purpose, owner, validity (everyone reads it)
    <dir>/<owner>.<purpose>.pem    private: one per service or issuer (only its owner reads it)

A key's id (`kid`) is a hash of its public key, so a registry entry cannot name another key's id.
Purposes: `event-signing` (a service signs the integration events it records), `token-issuer` (a
portal signs caller tokens; the entry lists the roles it may grant), `checkpoint` (reserved for
signed store checkpoints). An entry may be retired (it still verifies what it signed, up to the
store position `retired_after_position`, and nothing after) or revoked (a separate, recorded act:
it verifies nothing from `revoked_at` on).

`python -m shared.keys generate --dir keys --services registration application review funding
--issuers unit-portal:unit_contact officer-portal:officer,reviewer,...` (issuers by default: the
unit, expert and officer portals of shared/identity.py's ISSUERS) makes development keys
that are missing and leaves existing ones alone (deploy/up.sh and deploy/test.sh call it).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PURPOSES = ("event-signing", "token-issuer", "checkpoint")
REGISTRY_FILE = "registry.json"


class KeyProblem(ValueError):
    """A key is missing, malformed or not allowed for what it was used for."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """The key's id: the first 16 bytes of SHA-256 of the raw public key, base64url."""
    return b64url(hashlib.sha256(raw_public(public)).digest()[:16])


@dataclass(frozen=True)
class KeyEntry:
    kid: str
    purpose: str
    owner: str                                 # the service (event-signing, checkpoint) or issuer (token-issuer)
    public_key: str                            # raw Ed25519 public key, base64url
    valid_from: str                            # ISO date-time (UTC)
    roles: tuple[str, ...] = ()                # token-issuer: the roles it may grant
    retired_after_position: int | None = None  # event-signing: the last store position it signed
    revoked_at: str | None = None              # compromised: verifies nothing signed from then on
    revocation_reason: str | None = None

    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(b64url_decode(self.public_key))


@dataclass
class Registry:
    entries: dict[str, KeyEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: str) -> Registry:
        path = os.path.join(directory, REGISTRY_FILE)
        try:
            with open(path, encoding="utf-8") as handle:
                raw = json.load(handle)
        except FileNotFoundError:
            raise KeyProblem(f"no key registry at {path}: run `python -m shared.keys generate` (development) "
                            "or install the deployment's registry") from None
        except ValueError as exc:
            raise KeyProblem(f"the key registry at {path} is not valid JSON: {exc}") from None
        registry = cls()
        for item in raw.get("keys", []):
            entry = KeyEntry(**{**item, "roles": tuple(item.get("roles") or ())})
            if entry.purpose not in PURPOSES:
                raise KeyProblem(f"key {entry.kid}: unknown purpose {entry.purpose!r}")
            if key_id(entry.public()) != entry.kid:
                raise KeyProblem(f"key {entry.kid}: its id is not the hash of its public key")
            registry.entries[entry.kid] = entry
        return registry

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, REGISTRY_FILE)
        body = {"keys": [{**asdict(e), "roles": list(e.roles)} for e in self.entries.values()]}
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)

    def entry(self, kid: str) -> KeyEntry | None:
        return self.entries.get(kid)

    def of(self, owner: str, purpose: str) -> list[KeyEntry]:
        return [e for e in self.entries.values() if e.owner == owner and e.purpose == purpose]


def private_key_path(directory: str, owner: str, purpose: str) -> str:
    return os.path.join(directory, f"{owner}.{purpose}.pem")


def load_private_key(directory: str, owner: str, purpose: str) -> tuple[str, Ed25519PrivateKey]:
    """(kid, private key) of `owner` for `purpose`; refuses clearly when missing or malformed."""
    path = private_key_path(directory, owner, purpose)
    try:
        with open(path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except FileNotFoundError:
        raise KeyProblem(f"{owner}: no {purpose} key at {path}") from None
    except (ValueError, TypeError) as exc:
        raise KeyProblem(f"{owner}: the {purpose} key at {path} is malformed: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{owner}: the {purpose} key at {path} is not an Ed25519 key")
    return key_id(key.public_key()), key


def generate(directory: str, owners: dict[str, tuple[str, tuple[str, ...]]]) -> list[str]:
    """Make the missing keys: `owners` maps owner -> (purpose, roles). Returns the kids made."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        registry = Registry.load(directory)
    except KeyProblem:
        registry = Registry()
    made = []
    for owner, (purpose, roles) in owners.items():
        path = private_key_path(directory, owner, purpose)
        if os.path.exists(path):
            continue
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        kid = key_id(key.public_key())
        registry.entries[kid] = KeyEntry(kid=kid, purpose=purpose, owner=owner,
                                         public_key=b64url(raw_public(key.public_key())),
                                         valid_from=datetime.now(timezone.utc).isoformat(), roles=tuple(roles))
        made.append(kid)
    registry.save(directory)
    return made


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate missing development keys and their registry entries.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--dir", default="keys")
    gen.add_argument("--services", nargs="*", default=["registration", "application", "review", "funding"])
    gen.add_argument("--issuers", nargs="*", default=None,
                     help="issuer:role,role,... (token issuers; default: shared.identity.ISSUERS)")
    args = parser.parse_args(argv)
    owners = {service: ("event-signing", ()) for service in args.services}
    if args.issuers is None:
        from shared.identity import issuer_owners   # identity imports this module
        owners.update(issuer_owners())
    for spec in args.issuers or ():
        issuer, _, roles = spec.partition(":")
        owners[issuer] = ("token-issuer", tuple(r for r in roles.split(",") if r))
    made = generate(args.dir, owners)
    print(f"keys in {args.dir}: {len(made)} made, the others kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
