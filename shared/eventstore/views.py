"""The read-model store: JSON documents by (collection, key), plus the position each
follower (projection, relay) has reached, written in the same transaction. Rebuildable
from zero, so it lives apart from the events (its own SQLite file, or its own PostgreSQL
schema) and need not be as durable: see `settings.VIEWS_SYNCHRONOUS`.

It sits on eventsourcing's datastores (their connection pools and transactions); only
the SQL differs between SQLite and PostgreSQL, and that is all `_Dialect` holds.
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from eventlet import patcher, tpool
from eventsourcing.persistence import InfrastructureFactory

FIELD = re.compile(r"[a-z_][a-z0-9_]*")   # matched whole (fullmatch)


class PositionMoved(Exception):
    """A follower's position changed under it; its batch was not written."""


@dataclass(frozen=True)
class _Dialect:
    param: str
    json_field: str          # a document field as a typed SQL value; format string with {field}
    json_param: str          # a parameter comparable with json_field
    encode: object           # turns a Python value into that parameter
    upsert_doc: str
    create: tuple[str, ...]
    schema: str = ""

    def q(self, sql: str) -> str:
        """Qualify table names ({p}view_docs) and use the driver's parameter style."""
        prefix = f"{self.schema}." if self.schema else ""
        return sql.replace("{p}", prefix).replace("?", self.param)


def _sqlite() -> _Dialect:
    return _Dialect(
        param="?",
        json_field="json_extract(doc, '$.{field}')",   # SQLite returns JSON numbers as numbers
        json_param="?",
        encode=lambda value: value,
        upsert_doc="INSERT INTO {p}view_docs (collection, key, doc) VALUES (?, ?, ?) "
                   "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
        create=(
            "CREATE TABLE IF NOT EXISTS {p}view_docs (collection TEXT NOT NULL, key TEXT NOT NULL, "
            "doc TEXT NOT NULL, PRIMARY KEY (collection, key))",
            "CREATE TABLE IF NOT EXISTS {p}view_positions (name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
        ),
    )


def _postgres(schema: str) -> _Dialect:
    return _Dialect(
        param="%s",
        json_field="(doc->'{field}')",                 # jsonb compares and orders numbers as numbers
        json_param="?::jsonb",
        encode=lambda value: json.dumps(value),
        upsert_doc="INSERT INTO {p}view_docs (collection, key, doc) VALUES (?, ?, ?::jsonb) "
                   "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
        create=(
            "CREATE TABLE IF NOT EXISTS {p}view_docs (collection TEXT NOT NULL, key TEXT NOT NULL, "
            "doc JSONB NOT NULL, PRIMARY KEY (collection, key))",
            "CREATE TABLE IF NOT EXISTS {p}view_positions (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        ),
        schema=schema,
    )


class _SQLiteScanner:
    """Runs scans on SQLite off the eventlet hub: in eventlet's pool of OS threads, each
    with its own read-only connection (sqlite3 releases the GIL while a query runs), so a
    slow list query in one worker does not stop the service answering others. Point
    lookups by key stay on the hub: they take microseconds. (psycopg's pure-Python
    implementation already waits on the hub cooperatively.)"""

    def __init__(self, path: str):
        self.path = path
        self._local = patcher.original("threading").local()   # per OS thread, not per greenlet
        self._opened: list[sqlite3.Connection] = []

    def fetch(self, sql: str, params) -> list:
        return tpool.execute(self._fetch, sql, list(params))

    def _fetch(self, sql, params):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
            self._opened.append(connection)
        return connection.execute(sql, params).fetchall()

    def close(self) -> None:
        for connection in self._opened:
            connection.close()
        self._opened.clear()


class ViewStore:
    def __init__(self, env: dict):
        self.factory = InfrastructureFactory.construct(env=env)
        self.datastore = self.factory.datastore
        is_postgres = env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        self.dialect = _postgres(self.datastore.schema) if is_postgres else _sqlite()
        self._scanner = None if is_postgres else _SQLiteScanner(env["SQLITE_DBNAME"])
        # Rows are read by column name: sqlite3.Row and psycopg's dict rows both allow it.
        with self.datastore.transaction(commit=True) as c:
            for statement in self.dialect.create:
                c.execute(self.dialect.q(statement))

    def close(self) -> None:
        if self._scanner is not None:
            self._scanner.close()
        self.datastore.close()

    # -- writing (projection runners only) -----------------------------------------
    def apply(self, advance: dict[str, tuple[int, int]], docs: Iterable[tuple[str, str, dict]] = ()) -> None:
        """Write documents and move each follower from the position it read to the one it
        reached, in one transaction. If a position is no longer the one read (another
        runner, or a reset for a rebuild), nothing is written: `PositionMoved`."""
        d = self.dialect
        with self.datastore.transaction(commit=True) as c:
            for name, (read, reached) in advance.items():
                c.execute(d.q("INSERT INTO {p}view_positions (name, position) VALUES (?, 0) "
                              "ON CONFLICT (name) DO NOTHING"), (name,))
                c.execute(d.q("UPDATE {p}view_positions SET position = ? WHERE name = ? AND position = ? "
                              "RETURNING position"), (reached, name, read))
                if c.fetchone() is None:
                    raise PositionMoved(f"{name} is no longer at {read}")
            for collection, key, doc in docs:
                c.execute(d.q(d.upsert_doc), (collection, key, json.dumps(doc, ensure_ascii=False, default=str)))

    def reset(self, projection: str, collections: Iterable[str]) -> None:
        """Drop a projection's documents and send it back to position zero (it is then
        rebuilt by whichever runner next steps, and any batch in flight is refused)."""
        d = self.dialect
        with self.datastore.transaction(commit=True) as c:
            for collection in collections:
                c.execute(d.q("DELETE FROM {p}view_docs WHERE collection = ?"), (collection,))
            c.execute(d.q("INSERT INTO {p}view_positions (name, position) VALUES (?, 0) "
                          "ON CONFLICT (name) DO UPDATE SET position = 0"), (projection,))

    # -- reading --------------------------------------------------------------------
    def position(self, projection: str) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.dialect.q("SELECT position FROM {p}view_positions WHERE name = ?"), (projection,))
            row = c.fetchone()
        return int(row["position"]) if row else 0

    def get(self, collection: str, key: str) -> dict | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.dialect.q("SELECT doc FROM {p}view_docs WHERE collection = ? AND key = ?"),
                      (collection, key))
            row = c.fetchone()
        return _load(row["doc"]) if row else None

    def find(self, collection: str, where: dict | None = None, *, order_by: str | tuple[str, ...] | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """Documents whose top-level fields equal `where`, ordered by `order_by` (a field or several, then
        the key); returns (page, total)."""
        d = self.dialect
        clauses, params = ["collection = ?"], [collection]
        for field, value in (where or {}).items():
            clauses.append(f"{d.json_field.format(field=_field(field))} = {d.json_param}")
            params.append(d.encode(value))
        condition = " AND ".join(clauses)
        fields_ = (order_by,) if isinstance(order_by, str) else tuple(order_by or ())
        order = ", ".join([*(d.json_field.format(field=_field(f)) for f in fields_), "key"])
        count = d.q(f"SELECT COUNT(*) AS total FROM {{p}}view_docs WHERE {condition}")
        page = d.q(f"SELECT doc FROM {{p}}view_docs WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?")
        if self._scanner is not None:
            total = int(self._scanner.fetch(count, params)[0]["total"])
            rows = self._scanner.fetch(page, [*params, limit, offset])
        else:
            with self.datastore.transaction(commit=False) as c:
                c.execute(count, params)
                total = int(c.fetchone()["total"])
                c.execute(page, [*params, limit, offset])
                rows = c.fetchall()
        return [_load(row["doc"]) for row in rows], total


    def page(self, collection: str, where: dict, *, order_by: str | tuple[str, ...], limit: int, offset: int) -> dict:
        """One page of a paged query, as every list endpoint answers it: items, total, limit, offset."""
        items, total = self.find(collection, where, order_by=order_by, limit=limit, offset=offset)
        return {"items": items, "total": total, "limit": limit, "offset": offset}


def _field(name: str) -> str:
    if not FIELD.fullmatch(name):
        raise ValueError(f"not a document field name: {name!r}")
    return name


def _load(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)
