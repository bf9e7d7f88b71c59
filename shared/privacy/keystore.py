"""The keystore: each person's data key, the keyed index from ID numbers to person ids, and which
person a record's personal fields belong to. Mutable, and outside the event store: SQLite file
`<data_dir>/<service>-keys.sqlite`, or PostgreSQL schema `<service>_keys`, so its backups can
expire on their own schedule (docs/privacy.md).

    data_keys(person_id PK, kid UNIQUE, master_kid, wrapped, created_at)
    person_index(digest PK, person_id)         digest = HMAC-SHA256(index key, "<kind>|<normalised ID number>")
    record_subjects(record_id PK, person_id)   a case's talent, made on its first personal write

A data key is 32 random bytes, stored wrapped: AES-256-GCM under the current master key, with the
associated data `changping-data-key/1|<service>|<person id>|<kid>|<master kid>` (a wrapped key cannot
be moved to another person). Rotating the master key re-wraps every data key and rewrites no event.
Erasing a person deletes their data key, their index entries and their record subjects.
"""
from __future__ import annotations

import hmac
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import sha256
from uuid import uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.keys import b64url, b64url_decode
from shared.privacy.master import MasterKeys
from shared.privacy.sealing import Unreadable

KEY_CACHE_SECONDS = 10.0   # how long another instance may still open a key erased elsewhere

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}data_keys (person_id TEXT PRIMARY KEY, kid TEXT NOT NULL UNIQUE, "
    "master_kid TEXT NOT NULL, wrapped TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}person_index (digest TEXT PRIMARY KEY, person_id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}record_subjects (record_id TEXT PRIMARY KEY, person_id TEXT NOT NULL)",
)


def normalise_id_number(id_number: str) -> str:
    """ID numbers compare without case or white space (`…123x` is `…123X`)."""
    return "".join(str(id_number).split()).upper()


@dataclass
class _Cached:
    kid: str
    person_id: str
    key: AESGCM
    until: float


class Keystore:
    """One service's keystore on SQLite (`sqlite_path`) or PostgreSQL (`connect`, `schema`)."""

    def __init__(self, service: str, master: MasterKeys, index_key: bytes, *, sqlite_path: str | None = None,
                 connect=None, schema: str | None = None):
        self.service, self.master, self._index_key = service, master, index_key
        self._lock = threading.RLock()
        self._by_kid: dict[str, _Cached] = {}
        self._by_person: dict[str, _Cached] = {}
        self._subjects: dict[str, str] = {}      # record -> person, as recorded (erasure forgets them)
        if sqlite_path is not None:
            self._connect = lambda: _sqlite_connection(sqlite_path)
            self._param, self._prefix, self._upsert_ignore = "?", "", "INSERT OR IGNORE INTO"
        else:
            self._connect = connect
            self._param, self._prefix, self._upsert_ignore = "%s", f"{schema}.", "INSERT INTO"
            self._schema = schema
        self._conn = None
        self._ensure()

    # -- plumbing -----------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("{p}", self._prefix).replace("?", self._param)

    def _atomic(self, *statements) -> None:
        """The (sql, params) statements in one transaction: one commit (one fsync) for all."""
        with self._lock:
            for attempt in (0, 1):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    self._conn.execute("BEGIN IMMEDIATE" if self._param == "?" else "BEGIN")
                    try:
                        for sql, params in statements:
                            self._conn.execute(self._sql(sql), params)
                    except BaseException:
                        self._conn.execute("ROLLBACK")
                        raise
                    self._conn.execute("COMMIT")
                    return
                except Exception as problem:
                    if attempt or not _connection_lost(problem):
                        raise
                    self._conn = None

    def _execute(self, sql: str, params=()):
        with self._lock:
            for attempt in (0, 1):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    cursor = self._conn.execute(self._sql(sql), params)
                    return cursor.fetchall() if cursor.description else []
                except Exception as problem:
                    if attempt or not _connection_lost(problem):
                        raise
                    self._conn = None

    def _ensure(self) -> None:
        if self._param == "%s":
            self._execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
        for statement in TABLES:
            self._execute(statement)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _ignore_conflict(self) -> str:
        return "" if self._param == "?" else " ON CONFLICT DO NOTHING"

    # -- data keys ----------------------------------------------------------------------------
    def key_for(self, person_id: str) -> tuple[str, AESGCM]:
        """The person's data key (kid, key), made on first use. Two writers racing to make it
        agree on the first one stored."""
        cached = self._by_person.get(person_id)
        if cached is not None and cached.until > time.monotonic():
            return cached.kid, cached.key
        rows = self._execute("SELECT kid, master_kid, wrapped FROM {p}data_keys WHERE person_id = ?", (person_id,))
        if not rows:
            self._atomic(self._new_key(person_id))
            rows = self._execute("SELECT kid, master_kid, wrapped FROM {p}data_keys WHERE person_id = ?",
                                 (person_id,))
        kid, master_kid, wrapped = rows[0]
        return self._remember(person_id, kid, self._unwrap(person_id, kid, master_kid, wrapped))

    def _new_key(self, person_id: str) -> tuple[str, tuple]:
        """The statement storing a new data key for the person (ignored if one is there already)."""
        return self._fresh_key(person_id)[0]

    def _fresh_key(self, person_id: str) -> tuple[tuple[str, tuple], str, AESGCM]:
        kid, raw = str(uuid4()), AESGCM.generate_key(bit_length=256)
        master_kid, wrapped = self._wrap(person_id, kid, raw)
        statement = (f"{self._upsert_ignore} {{p}}data_keys (person_id, kid, master_kid, wrapped, created_at) "
                     f"VALUES (?, ?, ?, ?, ?){self._ignore_conflict()}", (person_id, kid, master_kid, wrapped, _now()))
        return statement, kid, AESGCM(raw)

    def record_key(self, record_id: str, person_id: str | None = None) -> tuple[str, str, AESGCM]:
        """(person, kid, key) for a record's personal fields: the person recorded for the record (or
        `person_id`, or a new random person), with their data key, made in one transaction if new."""
        record_id = str(record_id)
        person = self._subjects.get(record_id)
        if person is None or (person_id is not None and person != str(person_id)):
            candidate = str(person_id or uuid4())
            if person_id is not None:
                holding = (f"{self._upsert_or_replace()} {{p}}record_subjects (record_id, person_id) VALUES (?, ?)"
                           f"{self._replace_conflict()}", (record_id, candidate))
            else:
                holding = (f"{self._upsert_ignore} {{p}}record_subjects (record_id, person_id) VALUES (?, ?)"
                           f"{self._ignore_conflict()}", (record_id, candidate))
            cached = self._by_person.get(candidate)
            made = None
            if cached is not None and cached.until > time.monotonic():
                self._atomic(holding)
            elif person_id is not None:
                self._atomic(holding, self._new_key(candidate))
            else:   # a new random person: their key is new too, and known here without reading it back
                made = self._fresh_key(candidate)
                self._atomic(holding, made[0])
            person = self._execute("SELECT person_id FROM {p}record_subjects WHERE record_id = ?", (record_id,))[0][0]
            if person != candidate:   # another writer recorded the record's person first
                made = None
                self._atomic(self._new_key(person))
            self._subjects[record_id] = person
            if made is not None:
                self._remember(person, made[1], made[2])
        kid, key = self.key_for(person)
        return person, kid, key

    def _upsert_or_replace(self) -> str:
        return "INSERT OR REPLACE INTO" if self._param == "?" else "INSERT INTO"

    def _replace_conflict(self) -> str:
        return "" if self._param == "?" else " ON CONFLICT (record_id) DO UPDATE SET person_id = EXCLUDED.person_id"

    def key_by_kid(self, kid: str) -> AESGCM | None:
        """The data key with that id, or None once its person was erased."""
        cached = self._by_kid.get(kid)
        if cached is not None and cached.until > time.monotonic():
            return cached.key
        rows = self._execute("SELECT person_id, master_kid, wrapped FROM {p}data_keys WHERE kid = ?", (kid,))
        if not rows:
            self._by_kid.pop(kid, None)
            return None
        person_id, master_kid, wrapped = rows[0]
        return self._remember(person_id, kid, self._unwrap(person_id, kid, master_kid, wrapped))[1]

    def _remember(self, person_id: str, kid: str, key: AESGCM) -> tuple[str, AESGCM]:
        entry = _Cached(kid, person_id, key, time.monotonic() + KEY_CACHE_SECONDS)
        self._by_kid[kid] = self._by_person[person_id] = entry
        return kid, key

    def _aad(self, person_id: str, kid: str, master_kid: str) -> bytes:
        return f"changping-data-key/1|{self.service}|{person_id}|{kid}|{master_kid}".encode()

    def _wrap(self, person_id: str, kid: str, raw: bytes) -> tuple[str, str]:
        master_kid, master = self.master.current()
        nonce = os.urandom(12)
        return master_kid, b64url(nonce + AESGCM(master).encrypt(nonce, raw, self._aad(person_id, kid, master_kid)))

    def _unwrap(self, person_id: str, kid: str, master_kid: str, wrapped: str) -> AESGCM:
        master = self.master.get(master_kid)
        if master is None:
            raise Unreadable(f"data key {kid} is wrapped by master key {master_kid}, which is not configured")
        blob = b64url_decode(wrapped)
        try:
            raw = AESGCM(master).decrypt(blob[:12], blob[12:], self._aad(person_id, kid, master_kid))
        except Exception:
            raise Unreadable(f"data key {kid} does not unwrap under master key {master_kid}") from None
        return AESGCM(raw)

    def rewrap(self) -> tuple[int, int]:
        """Re-wrap every data key not under the current master key; (re-wrapped, total)."""
        current, _ = self.master.current()
        rows = self._execute("SELECT person_id, kid, master_kid, wrapped FROM {p}data_keys")
        done = 0
        for person_id, kid, master_kid, wrapped in rows:
            if master_kid == current:
                continue
            master = self.master.get(master_kid)
            if master is None:
                raise Unreadable(f"data key {kid} is wrapped by master key {master_kid}, which is not configured")
            blob = b64url_decode(wrapped)
            raw = AESGCM(master).decrypt(blob[:12], blob[12:], self._aad(person_id, kid, master_kid))
            new_master_kid, new_wrapped = self._wrap(person_id, kid, raw)
            self._execute("UPDATE {p}data_keys SET master_kid = ?, wrapped = ? WHERE kid = ? AND master_kid = ?",
                          (new_master_kid, new_wrapped, kid, master_kid))
            done += 1
        return done, len(rows)

    def master_kids_in_use(self) -> set[str]:
        return {row[0] for row in self._execute("SELECT DISTINCT master_kid FROM {p}data_keys")}

    # -- the keyed index ----------------------------------------------------------------------
    def digest(self, kind: str, id_number: str) -> str:
        return hmac.new(self._index_key, f"{kind}|{normalise_id_number(id_number)}".encode(), sha256).hexdigest()

    def find_person(self, kind: str, id_number: str) -> str | None:
        rows = self._execute("SELECT person_id FROM {p}person_index WHERE digest = ?", (self.digest(kind, id_number),))
        return rows[0][0] if rows else None

    def person_for(self, kind: str, id_number: str, new_id=None) -> str:
        """The person this ID number names, made (a random id, or `new_id`) if none is indexed."""
        digest = self.digest(kind, id_number)
        found = self._execute("SELECT person_id FROM {p}person_index WHERE digest = ?", (digest,))
        if found:
            return found[0][0]
        self._execute(f"{self._upsert_ignore} {{p}}person_index (digest, person_id) VALUES (?, ?)"
                      f"{self._ignore_conflict()}", (digest, str(new_id or uuid4())))
        return self._execute("SELECT person_id FROM {p}person_index WHERE digest = ?", (digest,))[0][0]

    def index(self, kind: str, id_number: str, person_id: str) -> bool:
        """Record that this ID number names `person_id` (the migration's mapping); False if it
        already names someone."""
        return self.person_for(kind, id_number, new_id=person_id) == str(person_id)

    # -- record subjects ----------------------------------------------------------------------
    def subject_of(self, record_id: str) -> str:
        """The person a record's personal fields belong to, made on the record's first personal write."""
        return self.record_key(record_id)[0]

    def find_subject(self, record_id: str) -> str | None:
        rows = self._execute("SELECT person_id FROM {p}record_subjects WHERE record_id = ?", (str(record_id),))
        return rows[0][0] if rows else None

    def hold(self, record_id: str, person_id: str) -> None:
        """Record that the record's personal fields (from now on) belong to `person_id`."""
        self.record_key(record_id, person_id)

    # -- erasure ------------------------------------------------------------------------------
    def erase(self, person_id: str) -> dict:
        """Destroy the person's data key and every way back to them; what was deleted. Idempotent."""
        person_id = str(person_id)
        counts = {}
        for table in ("data_keys", "person_index", "record_subjects"):
            before = self._execute(f"SELECT COUNT(*) FROM {{p}}{table} WHERE person_id = ?", (person_id,))[0][0]
            self._execute(f"DELETE FROM {{p}}{table} WHERE person_id = ?", (person_id,))
            counts[table] = before
        with self._lock:
            for record in [r for r, p in self._subjects.items() if p == person_id]:
                del self._subjects[record]
            cached = self._by_person.pop(person_id, None)
            if cached is not None:
                self._by_kid.pop(cached.kid, None)
            for kid in [k for k, c in self._by_kid.items() if c.person_id == person_id]:
                del self._by_kid[kid]
        return counts

    def has_key(self, person_id: str) -> bool:
        return bool(self._execute("SELECT 1 FROM {p}data_keys WHERE person_id = ?", (str(person_id),)))


def _sqlite_connection(path: str):
    """WAL with synchronous=FULL, as the event store: a data key is durable before the event it
    seals is written (the mapper runs before the store's transaction), and a commit is one fsync."""
    connection = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    return connection


def _connection_lost(problem: Exception) -> bool:
    name = type(problem).__name__
    return name in ("OperationalError", "InterfaceError") and "closed" in str(problem).lower()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
