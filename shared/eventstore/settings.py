"""Where a service keeps its event store, and how durable that is.

Embedded default: one SQLite file per service under the data folder, in WAL mode with
`synchronous=FULL`. In WAL mode FULL syncs the log on every commit, so an acknowledged
command survives a power cut, not only a process crash (NORMAL would only guarantee the
latter). The read models' file uses NORMAL: it is never torn (WAL), each follower's
position is committed with what it wrote, and whatever a power cut takes is rebuilt from
the event store on the next start. Production: PostgreSQL, one schema per service.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteFactory

from shared.config import PostgresSettings, Settings

SQLITE_SYNCHRONOUS = "FULL"
VIEWS_SYNCHRONOUS = "NORMAL"
SQLITE_LOCK_TIMEOUT_SECONDS = 5


class DurableSQLitePool(SQLiteConnectionPool):
    synchronous = SQLITE_SYNCHRONOUS

    def _create_connection(self):
        connection = super()._create_connection()
        connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return connection


class ViewsSQLitePool(DurableSQLitePool):
    synchronous = VIEWS_SYNCHRONOUS


class DurableSQLiteFactory(SQLiteFactory):
    """eventsourcing's SQLite factory with an explicit `synchronous` setting."""
    pool_class = DurableSQLitePool

    def __init__(self, env):
        super().__init__(env)
        pool = self.datastore.pool
        self.datastore.pool = self.pool_class(db_name=pool.db_name, lock_timeout=pool.lock_timeout)


class ViewsSQLiteFactory(DurableSQLiteFactory):
    pool_class = ViewsSQLitePool


@dataclass(frozen=True)
class StoreSettings:
    service: str
    kind: str = "sqlite"
    data_dir: str = "data"
    postgres: PostgresSettings = field(default_factory=PostgresSettings)

    @classmethod
    def of(cls, settings: Settings, service: str) -> StoreSettings:
        return cls(service=service, kind=settings.store_kind, data_dir=settings.data_dir, postgres=settings.postgres)

    # -- eventsourcing environments -------------------------------------------------
    def event_store_env(self) -> dict:
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": f"{__name__}:DurableSQLiteFactory",
                "SQLITE_DBNAME": self.sqlite_path(self.service),
                "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
            }
        return self._postgres_env(schema=self.service)

    def view_store_env(self) -> dict:
        """Projections live beside the events but apart from them, so they can be dropped and rebuilt."""
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": f"{__name__}:ViewsSQLiteFactory",
                "SQLITE_DBNAME": self.sqlite_path(f"{self.service}-views"),
                "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
            }
        return self._postgres_env(schema=f"{self.service}_views")

    def sqlite_path(self, name: str) -> str:
        return os.path.join(self.data_dir, f"{name}.sqlite")

    def _postgres_env(self, schema: str) -> dict:
        pg = self.postgres
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "5",
            "POSTGRES_CONNECT_TIMEOUT": "10",
        }

    # -- preparing the storage ------------------------------------------------------
    def prepare(self) -> None:
        """Make the folder, or the database and schemas, that the stores will use."""
        if self.kind == "sqlite":
            os.makedirs(self.data_dir, exist_ok=True)
            return
        import psycopg
        from psycopg import sql

        dbname = self.postgres.dbname
        with psycopg.connect(**self.postgres.connect_kwargs(dbname="postgres")) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                    pass  # another service created it a moment before us
        with psycopg.connect(**self.postgres.connect_kwargs()) as conn:
            for schema in (self.service, f"{self.service}_views"):
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))

    def lease(self):
        """The lease that decides who runs this store's followers (see lease.py)."""
        from shared.eventstore.lease import AdvisoryLease, FileLease

        if self.kind == "sqlite":
            return FileLease(os.path.join(self.data_dir, f"{self.service}.lock"))
        import psycopg

        return AdvisoryLease(lambda: psycopg.connect(**self.postgres.connect_kwargs()),
                             name=f"changping:{self.service}:followers")

    def describe(self) -> dict:
        if self.kind == "sqlite":
            return {"kind": "sqlite", "path": self.sqlite_path(self.service), "journal_mode": "WAL",
                    "synchronous": SQLITE_SYNCHRONOUS, "views_synchronous": VIEWS_SYNCHRONOUS}
        return {"kind": "postgres", "database": self.postgres.dbname, "schema": self.service,
                "synchronous_commit": "server default (on)"}


def sqlite_synchronous_of(path: str, pool_class=DurableSQLitePool) -> int:
    """For tests: what a fresh connection through our pool reports (2 == FULL, 1 == NORMAL)."""
    pool = pool_class(db_name=path)
    connection = pool.get_connection()
    try:
        return connection._sqlite_conn.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        pool.put_connection(connection)
        pool.close()


