"""Throwaway PostgreSQL databases for tests (local server, trust auth)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import psycopg
from psycopg import sql

SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


@contextmanager
def throwaway_database():
    name = f"changping_test_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **SERVER) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
