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

Rotating a service's key (`--dir` defaults to $KEYS_DIR, else `keys`):

    python -m shared.keys rotate funding --reason "yearly"        # new key, registered at once
    # restart funding: it logs "signing with key <new kid>" and the first position it signs
    python -m shared.keys retire <old kid> --after-position <that position - 1> --reason "rotated"
    python -m shared.keys revoke <kid> --reason "leaked with host X"   # compromised: verifies nothing

Running services re-read the registry when the file changes (`LiveRegistry`). Each act is
appended to `<dir>/registry.log` with its time and reason; the registry keeps its format.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PURPOSES = ("event-signing", "token-issuer", "checkpoint")
REGISTRY_FILE = "registry.json"
ACTS_FILE = "registry.log"          # every rotation, retirement and revocation, one JSON line each
RELOAD_CHECK_SECONDS = 2.0


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


class LiveRegistry:
    """The registry file, re-read when it changes: a running service learns of a rotated,
    retired or revoked key within RELOAD_CHECK_SECONDS (at once when it meets an unknown key id)
    without a restart. A registry that became unreadable is reported and the last good one kept."""

    def __init__(self, directory: str):
        self.directory = directory
        self.path = os.path.join(directory, REGISTRY_FILE)
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._registry = Registry.load(directory)
        self._checked = time.monotonic()
        self.problem: str | None = None

    def _file_stamp(self):
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def current(self, *, recheck: bool = False) -> Registry:
        now = time.monotonic()
        if recheck or now - self._checked >= RELOAD_CHECK_SECONDS:
            self._checked = now
            stamp = self._file_stamp()
            if stamp is not None and stamp != self._stamp:
                with self._lock:
                    try:
                        self._registry, self._stamp, self.problem = Registry.load(self.directory), stamp, None
                    except KeyProblem as problem:
                        self.problem = str(problem)   # keep verifying with the last good registry
        return self._registry

    def entry(self, kid: str) -> KeyEntry | None:
        found = self.current().entry(kid)
        return found if found is not None else self.current(recheck=True).entry(kid)


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
    from shared.privacy.master import generate_if_missing   # the privacy keys live beside the signing keys
    generate_if_missing(directory)
    return made


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _record_act(directory: str, act: dict) -> None:
    """Append one key-management act to the registry's log (who may check it: everyone with the registry)."""
    with open(os.path.join(directory, ACTS_FILE), "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"at": _now(), **act}, sort_keys=True, ensure_ascii=False) + "\n")


def _write_private_key(path: str, key: Ed25519PrivateKey) -> None:
    """`key` written to `path` (0600), replacing whatever was there in one step."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    temporary = path + ".new"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def rotate(directory: str, owner: str, purpose: str = "event-signing", reason: str = "scheduled rotation") -> str:
    """A new key for `owner`, registered at once (consumers learn it before it signs anything);
    the old private key file is replaced. The old public key stays valid until `retire` names the
    last position it signed (a restarted service logs the first position it signs with the new key).
    Returns the new key's id."""
    registry = Registry.load(directory)
    path = private_key_path(directory, owner, purpose)
    old_kid = load_private_key(directory, owner, purpose)[0] if os.path.exists(path) else None
    old = registry.entry(old_kid) if old_kid else None
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    registry.entries[kid] = KeyEntry(kid=kid, purpose=purpose, owner=owner,
                                     public_key=b64url(raw_public(key.public_key())), valid_from=_now(),
                                     roles=old.roles if old else ())
    registry.save(directory)            # first: a service that restarts now finds its new key registered
    _write_private_key(path, key)
    _record_act(directory, {"act": "rotate", "owner": owner, "purpose": purpose, "old_kid": old_kid, "kid": kid,
                            "reason": reason})
    return kid


def retire(directory: str, kid: str, after_position: int, reason: str) -> KeyEntry:
    """A key no longer in use: it still verifies what it signed, up to store position
    `after_position`, and nothing after."""
    registry = Registry.load(directory)
    entry = registry.entry(kid)
    if entry is None:
        raise KeyProblem(f"no key {kid} in the registry of {directory}")
    path = private_key_path(directory, entry.owner, entry.purpose)
    if os.path.exists(path) and load_private_key(directory, entry.owner, entry.purpose)[0] == kid:
        raise KeyProblem(f"key {kid} is {entry.owner}'s current key: rotate it first")
    if after_position < 0:
        raise KeyProblem("the last position a key signed cannot be negative")
    registry.entries[kid] = replace(entry, retired_after_position=after_position)
    registry.save(directory)
    _record_act(directory, {"act": "retire", "kid": kid, "owner": entry.owner, "purpose": entry.purpose,
                            "after_position": after_position, "reason": reason})
    return registry.entries[kid]


def revoke(directory: str, kid: str, reason: str) -> KeyEntry:
    """A compromised key: from now on it verifies nothing, whatever the event claims."""
    if not reason.strip():
        raise KeyProblem("a revocation needs its reason")
    registry = Registry.load(directory)
    entry = registry.entry(kid)
    if entry is None:
        raise KeyProblem(f"no key {kid} in the registry of {directory}")
    registry.entries[kid] = replace(entry, revoked_at=_now(), revocation_reason=reason)
    registry.save(directory)
    _record_act(directory, {"act": "revoke", "kid": kid, "owner": entry.owner, "purpose": entry.purpose,
                            "reason": reason})
    return registry.entries[kid]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Manage the keys: generate missing development keys, rotate, "
                                                 "retire and revoke; every act but generate is logged in "
                                                 f"<dir>/{ACTS_FILE}.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="make the keys that are missing, keep the others")
    gen.add_argument("--services", nargs="*", default=["registration", "application", "review", "funding"])
    gen.add_argument("--issuers", nargs="*", default=None,
                     help="issuer:role,role,... (token issuers; default: shared.identity.ISSUERS)")
    rot = sub.add_parser("rotate", help="a new key for an owner; the old one stays valid until retired")
    rot.add_argument("owner")
    rot.add_argument("--purpose", default="event-signing", choices=PURPOSES)
    rot.add_argument("--reason", default="scheduled rotation")
    ret = sub.add_parser("retire", help="an old key verifies what it signed up to a position, nothing after")
    ret.add_argument("kid")
    ret.add_argument("--after-position", type=int, required=True,
                     help="the last store position the key signed (the owner logs the first it signs with the new one)")
    ret.add_argument("--reason", required=True)
    rev = sub.add_parser("revoke", help="a compromised key: it verifies nothing any more")
    rev.add_argument("kid")
    rev.add_argument("--reason", required=True)
    for command in (gen, rot, ret, rev):
        command.add_argument("--dir", default=os.environ.get("KEYS_DIR") or "keys")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            owners = {service: ("event-signing", ()) for service in args.services}
            if args.issuers is None:
                from shared.identity import issuer_owners   # identity imports this module
                owners.update(issuer_owners())
            for spec in args.issuers or ():
                issuer, _, roles = spec.partition(":")
                owners[issuer] = ("token-issuer", tuple(r for r in roles.split(",") if r))
            made = generate(args.dir, owners)
            print(f"keys in {args.dir}: {len(made)} made, the others kept")
        elif args.command == "rotate":
            print(f"{args.owner}: new {args.purpose} key {rotate(args.dir, args.owner, args.purpose, args.reason)}; "
                  "restart it, then retire the old key")
        elif args.command == "retire":
            entry = retire(args.dir, args.kid, args.after_position, args.reason)
            print(f"key {entry.kid} of {entry.owner} retired after position {entry.retired_after_position}")
        else:
            entry = revoke(args.dir, args.kid, args.reason)
            print(f"key {entry.kid} of {entry.owner} revoked at {entry.revoked_at}")
    except KeyProblem as problem:
        print(f"error: {problem}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
