"""Who runs a store's followers: one process per SQLite file; one lease holder on PostgreSQL."""
import time
import uuid

import psycopg
import pytest

from shared.eventstore.lease import AdvisoryLease, FileLease, StoreInUse
from tests.support.postgres import SERVER


def test_a_second_holder_of_a_sqlite_store_is_refused(tmp_path):
    first = FileLease(str(tmp_path / "x.lock")).acquire_or_refuse()
    with pytest.raises(StoreInUse):
        FileLease(str(tmp_path / "x.lock")).acquire_or_refuse()
    first.release()
    FileLease(str(tmp_path / "x.lock")).acquire_or_refuse().release()


def connect():
    return psycopg.connect(dbname="postgres", autocommit=True, **SERVER)


def until_true(check, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_one_advisory_lease_holder_at_a_time_and_a_successor_when_it_goes(tmp_path):
    name = f"test:{uuid.uuid4()}"   # no other session can hold it
    first, second = AdvisoryLease(connect, name), AdvisoryLease(connect, name)
    try:
        assert first.is_leader() is True
        assert second.is_leader() is False
        first.release()                    # as when the leader's process dies: its session ends ...
        assert until_true(second.is_leader)  # ... and the server frees its locks a moment later
        assert first.is_leader() is False
    finally:
        first.release()
        second.release()


def test_green_threads_asking_at_once_share_one_session(tmp_path):
    """The relay, the projections and health() ask concurrently; a second session opened
    while the first connects would later free the lock behind this instance's back."""
    import threading

    opened = []

    def slow_connect():
        time.sleep(0.05)   # the window in which another thread would also connect
        conn = connect()
        opened.append(conn)
        return conn

    lease = AdvisoryLease(slow_connect, f"test:{uuid.uuid4()}")
    answers = []
    askers = [threading.Thread(target=lambda: answers.append(lease.is_leader())) for _ in range(4)]
    try:
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
        assert answers == [True] * 4
        assert len(opened) == 1
    finally:
        lease.release()
        for conn in opened:
            conn.close()
