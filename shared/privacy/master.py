"""The privacy keys from configuration: the master keys that wrap the data keys, and the index key
of the keyed ID-number index. Never committed; development and test keys are generated.

They live in one file, `PRIVACY.keys_file` (default `<KEYS_DIR>/privacy-keys.json`, mode 0600):

    {"master": {"current": "<kid>", "keys": {"<kid>": "<32 bytes, base64url>", ...}},
     "index_key": "<32 bytes, base64url>"}

Rotation (`python -m services.keystore rotate`) adds a master key and makes it current, re-wraps
every service's data keys under it, and drops the old master keys once nothing uses them.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from uuid import uuid4

from shared.keys import KeyProblem, b64url, b64url_decode

KEYS_FILE = "privacy-keys.json"


@dataclass
class MasterKeys:
    current_kid: str
    keys: dict[str, bytes] = field(default_factory=dict)

    def current(self) -> tuple[str, bytes]:
        return self.current_kid, self.keys[self.current_kid]

    def get(self, kid: str) -> bytes | None:
        return self.keys.get(kid)


@dataclass
class PrivacyKeys:
    master: MasterKeys
    index_key: bytes

    @classmethod
    def load(cls, path: str) -> PrivacyKeys:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            keys = {kid: b64url_decode(value) for kid, value in data["master"]["keys"].items()}
            master = MasterKeys(data["master"]["current"], keys)
            index_key = b64url_decode(data["index_key"])
        except FileNotFoundError:
            raise KeyProblem(f"the privacy keys file {path} is missing (python -m shared.keys generate makes "
                             "development keys)") from None
        except (ValueError, KeyError, TypeError) as problem:
            raise KeyProblem(f"the privacy keys file {path} is malformed: {problem}") from None
        if master.current_kid not in keys or any(len(k) != 32 for k in keys.values()) or len(index_key) != 32:
            raise KeyProblem(f"the privacy keys file {path} must name its current master key and hold 32-byte keys")
        return cls(master, index_key)

    def save(self, path: str) -> None:
        data = {"master": {"current": self.master.current_kid,
                           "keys": {kid: b64url(key) for kid, key in self.master.keys.items()}},
                "index_key": b64url(self.index_key)}
        temporary = path + ".new"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    @classmethod
    def generate(cls) -> PrivacyKeys:
        kid = f"master-{uuid4().hex[:12]}"
        return cls(MasterKeys(kid, {kid: os.urandom(32)}), os.urandom(32))

    def add_master(self) -> str:
        """A new master key, made current (the old ones stay until nothing is wrapped by them)."""
        kid = f"master-{uuid4().hex[:12]}"
        self.master.keys[kid] = os.urandom(32)
        self.master.current_kid = kid
        return kid

    def drop_masters_except(self, keep: set[str]) -> list[str]:
        dropped = [kid for kid in self.master.keys if kid not in keep and kid != self.master.current_kid]
        for kid in dropped:
            del self.master.keys[kid]
        return dropped


def keys_file(keys_dir: str, configured: str | None = None) -> str:
    return configured or os.path.join(keys_dir, KEYS_FILE)


def generate_if_missing(keys_dir: str) -> bool:
    """Development and test keys: made once, kept after."""
    path = keys_file(keys_dir)
    if os.path.exists(path):
        return False
    os.makedirs(keys_dir, mode=0o700, exist_ok=True)
    PrivacyKeys.generate().save(path)
    return True


class LiveMasterKeys:
    """The master keys of a running service, re-read when the keys file changes (checked at most
    every RELOAD_SECONDS), so a rotation reaches running services without a restart: they wrap new
    data keys under the new master key and unwrap re-wrapped ones."""
    RELOAD_SECONDS = 2.0

    def __init__(self, path: str):
        import threading
        self.path, self._lock = path, threading.Lock()
        self._keys, self._stamp, self._checked = PrivacyKeys.load(path), self._file_stamp(), 0.0

    def _file_stamp(self):
        try:
            stat = os.stat(self.path)
            return stat.st_mtime_ns, stat.st_size
        except OSError:
            return None

    def _fresh(self, force: bool = False) -> PrivacyKeys:
        import time
        now = time.monotonic()
        if force or now - self._checked >= self.RELOAD_SECONDS:
            with self._lock:
                self._checked = now
                stamp = self._file_stamp()
                if stamp is not None and stamp != self._stamp:
                    self._keys, self._stamp = PrivacyKeys.load(self.path), stamp
        return self._keys

    @property
    def index_key(self) -> bytes:
        return self._keys.index_key   # never rotated in place: a new index key means re-indexing

    def current(self) -> tuple[str, bytes]:
        return self._fresh().master.current()

    def get(self, kid: str) -> bytes | None:
        key = self._fresh().master.get(kid)
        return key if key is not None else self._fresh(force=True).master.get(kid)
