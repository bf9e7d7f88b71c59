"""The access log: who read whose data, through which query, and when.

Every query that returns a person's data declares what it reads (`@query(..., reads=case)`, see
`shared/platform/endpoints.py`); the endpoint layer records one row per subject read (a case, a unit,
an expert, a cooperation) once the query has answered. The rows are not case facts: they never enter
the event store, are never relayed nor signed, and live in the service's read-model database, in a
table of their own (`access_log`, SQLite or the PostgreSQL views schema), which no projection rebuild
touches.

Recording stays off the query path: `record` appends to an in-memory buffer, and a green thread
writes the buffer in one transaction every `ACCESS_LOG.flush_seconds` (1 s), or as soon as it holds
`ACCESS_LOG.batch_size` rows, and once more when the service stops. What a crash can lose: the rows
of the last flush interval (at most one second of reads) in that process (on SQLite, whose read-model
file is synchronous=NORMAL, a power cut can also lose the flushes since its last WAL sync); a write that fails keeps
its rows for the next flush (up to MAX_BUFFERED, beyond which the oldest are dropped and the loss is
logged). Retention: rows older than `ACCESS_LOG.retention_days` (default 1825, five years: a
programme A term of three years and two years for its audit) are deleted by the same thread, at
start and hourly, judged by the wall-clock time they were recorded.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared import logs

log = logs.get_logger("access_log")

MAX_BUFFERED = 100_000        # rows kept across failing flushes before the oldest are dropped
PRUNE_EVERY_SECONDS = 3600
COLUMNS = ("recorded_at", "business_at", "service", "entrypoint", "actor_id", "role", "unit_id", "subject_kind",
           "subject_id", "case_id", "correlation_id")


# -- what a query declares it reads ---------------------------------------------------------------
KIND_OF_FIELD = {"case_id": "case", "unit_id": "unit", "expert_id": "expert", "cooperation_id": "cooperation",
                 "stream_id": "stream"}


def reads_field(name: str):
    """The subject is the request's `name` field: `reads=reads_field("case_id")`."""
    kind = KIND_OF_FIELD[name]
    return lambda data, result: [(kind, data.get(name), data.get(name) if kind == "case" else None)]


def reads_items(name: str, key: str = "items"):
    """Each item a page returns, by its `name` field: `reads=reads_items("case_id")`."""
    kind = KIND_OF_FIELD[name]
    return lambda data, result: [(kind, item.get(name), item.get(name) if kind == "case" else None)
                                 for item in (result or {}).get(key) or () if isinstance(item, dict)]


def reads_record(kind_field: str):
    """A record read by its own id whose answer names its case (a cooperation's placement)."""
    kind = KIND_OF_FIELD[kind_field]
    return lambda data, result: [(kind, data.get(kind_field), (result or {}).get("case_id"))]


# -- the table ------------------------------------------------------------------------------------
class AccessTable:
    """The `access_log` table in the service's read-model database (views.py's datastore)."""

    def __init__(self, views):
        self.datastore, self.dialect = views.datastore, views.dialect
        postgres = self.dialect.param == "%s"
        key = "id BIGSERIAL PRIMARY KEY" if postgres else "id INTEGER PRIMARY KEY AUTOINCREMENT"
        columns = ", ".join(f"{c} TEXT" + (" NOT NULL" if c in ("recorded_at", "service", "actor_id") else "")
                            for c in COLUMNS)
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.q(f"CREATE TABLE IF NOT EXISTS {{p}}access_log ({key}, {columns})"))
            for name, on in (("case", "case_id, id"), ("subject", "subject_id, id"), ("actor", "actor_id, id"),
                             ("recorded", "recorded_at")):
                c.execute(self.q(f"CREATE INDEX IF NOT EXISTS access_log_{name} ON {{p}}access_log ({on})"))

    def q(self, sql: str) -> str:
        return self.dialect.q(sql)

    def insert(self, rows: list[tuple]) -> None:
        marks = ", ".join("?" for _ in COLUMNS)
        with self.datastore.transaction(commit=True) as c:
            c.executemany(self.q(f"INSERT INTO {{p}}access_log ({', '.join(COLUMNS)}) VALUES ({marks})"), rows)

    def prune(self, before: str) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.q("SELECT COUNT(*) AS n FROM {p}access_log WHERE recorded_at < ?"), (before,))
            count = int(c.fetchone()["n"])
            c.execute(self.q("DELETE FROM {p}access_log WHERE recorded_at < ?"), (before,))
            return count

    def page(self, where: dict, limit: int, offset: int) -> dict:
        """Rows whose columns equal `where`, oldest first: items, total, limit, offset."""
        clauses = " AND ".join(f"{column} = ?" for column in where) or "1 = 1"
        params = list(where.values())
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.q(f"SELECT COUNT(*) AS total FROM {{p}}access_log WHERE {clauses}"), params)
            total = int(c.fetchone()["total"])
            c.execute(self.q(f"SELECT id, {', '.join(COLUMNS)} FROM {{p}}access_log WHERE {clauses} "
                             "ORDER BY id LIMIT ? OFFSET ?"), [*params, limit, offset])
            rows = [{k: row[k] for k in ("id", *COLUMNS)} for row in c.fetchall()]
        return {"items": rows, "total": total, "limit": limit, "offset": offset}


# -- the buffer and its writer --------------------------------------------------------------------
@dataclass(frozen=True)
class AccessSettings:
    flush_seconds: float = 1.0
    batch_size: int = 500
    retention_days: int = 1825


class AccessLog:
    def __init__(self, table: AccessTable, settings: AccessSettings = AccessSettings(), wall=time.time):
        self.table, self.settings, self.wall = table, settings, wall
        self._buffer: list[tuple] = []
        self._wake = threading.Event()
        self._running = False
        self._last_prune = 0.0
        self.dropped = 0

    def record(self, row: tuple) -> None:
        """Keep a row for the next flush: no I/O here. COLUMNS' order, except that the two times may
        come as they were read (wall seconds, a business datetime) and are formatted when written."""
        self._buffer.append(row)
        if len(self._buffer) >= self.settings.batch_size:
            self._wake.set()

    def now(self) -> str:
        return _utc(self.wall())

    def flush(self) -> int:
        """Write what is buffered in one transaction; on failure keep it for the next flush."""
        rows, self._buffer = self._buffer, []
        if not rows:
            return 0
        try:
            self.table.insert([_formatted(row) for row in rows])
        except Exception:
            log.exception("access log not written; kept for the next flush", rows=len(rows))
            self._buffer = rows + self._buffer
            if (excess := len(self._buffer) - MAX_BUFFERED) > 0:
                del self._buffer[:excess]
                self.dropped += excess
                log.error("access log rows dropped: the table has not been writable", dropped=excess)
            return 0
        return len(rows)

    def prune(self) -> int:
        removed = self.table.prune(_utc(self.wall() - timedelta(days=self.settings.retention_days).total_seconds()))
        self._last_prune = self.wall()
        if removed:
            log.info("access log pruned", removed=removed, retention_days=self.settings.retention_days)
        return removed

    def run(self) -> None:
        """The writer: a managed green thread of the service, until `stop`."""
        self._running = True
        while self._running:
            self._wake.wait(self.settings.flush_seconds)
            self._wake.clear()
            self.flush()
            if self.wall() - self._last_prune >= PRUNE_EVERY_SECONDS:
                try:
                    self.prune()
                except Exception:
                    log.exception("access log not pruned; the next hour retries")
                    self._last_prune = self.wall()

    def stop(self) -> None:
        """Stop the writer and write what is left (the service is stopping)."""
        self._running = False
        self._wake.set()
        self.flush()


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _formatted(row: tuple) -> tuple:
    recorded, business, *rest = row
    return (_utc(recorded) if isinstance(recorded, float | int) else recorded,
            business.isoformat() if isinstance(business, datetime) else business, *rest)


def record_read(store, request, identity, data: dict, result, reads) -> None:
    """One row per subject the answer holds. Called by the endpoint layer after a query that
    declared `reads` has answered; `bench.unlogged` replaces it to measure what it costs."""
    access = store.access_log
    recorded, business = access.wall(), store.app.clock.now()   # formatted when written, off the query path
    for kind, subject_id, case_id in dict.fromkeys(reads(data, result)):   # each subject once, in order
        if subject_id is None:
            continue
        access.record((recorded, business, store.service, request.entrypoint, identity.actor_id, identity.role,
                       identity.unit_id, kind, str(subject_id), None if case_id is None else str(case_id),
                       request.correlation_id))
