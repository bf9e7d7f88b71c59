"""A slow PostgreSQL query must not freeze the eventlet hub: other green threads (other
RPC workers of the same service) keep running while it waits. psycopg's pure-Python
implementation waits through eventlet's patched select; its C implementation would not."""
import os
import time

import eventlet
import pytest

from shared.config import PostgresSettings
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from tests.support.postgres import throwaway_database


def ticks_during(blocking_call, seconds: float) -> int:
    ticks = 0

    def ticker():
        nonlocal ticks
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            eventlet.sleep(0.01)
            ticks += 1
    worker = eventlet.spawn(blocking_call)
    eventlet.spawn(ticker).wait()
    worker.wait()
    return ticks


@pytest.mark.skipif(os.environ.get("PSYCOPG_IMPL", "python") != "python", reason="measures the python implementation")
def test_a_one_second_postgres_query_leaves_the_hub_free():
    with throwaway_database() as dbname:
        settings = StoreSettings(service="hub", kind="postgres", postgres=PostgresSettings(dbname=dbname))
        settings.prepare()
        views = ViewStore(settings.view_store_env())
        try:
            def slow_query():
                with views.datastore.transaction(commit=False) as cursor:
                    cursor.execute("SELECT pg_sleep(1)")
            ticks = ticks_during(slow_query, 1.0)
        finally:
            views.close()
    # ~100 ticks of 10 ms fit in one second; a blocked hub manages a handful
    assert ticks > 50, ticks
