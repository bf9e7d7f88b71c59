"""Keys for the tests: generated once per test process in a temporary folder (never committed,
never the developer's ./keys), removed when the process ends.

    keys_dir()   the folder: registry.json, one event-signing key per service, one key per token issuer
    PORTALS      mints a caller token for any role, signed by the issuer that may grant it
    TRUSTED      the issuers' public keys, as a service holds them
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache

from shared.identity import Portals, TrustedIssuers, issuer_owners
from shared.keys import generate

SERVICES = ("registration", "application", "review", "funding")


@lru_cache(maxsize=None)
def keys_dir() -> str:
    directory = tempfile.mkdtemp(prefix="changping-test-keys-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    generate(directory, {**{service: ("event-signing", ()) for service in SERVICES}, **issuer_owners()})
    return directory


@lru_cache(maxsize=None)
def portals() -> Portals:
    return Portals(keys_dir())


@lru_cache(maxsize=None)
def trusted() -> TrustedIssuers:
    return TrustedIssuers.load(keys_dir())


def token(actor_id: str, role: str, unit_id: str | None = None, **kwargs) -> str:
    """A caller token from the issuer that may grant `role` (as the portal would issue it)."""
    return portals().token(actor_id, role, unit_id, **kwargs)
