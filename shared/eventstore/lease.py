"""Who may run a store's followers (the relay and the projections).

SQLite: one process per store file, full stop. The process holds an exclusive lock on
`<data_dir>/<service>.lock` for its lifetime; a second one is refused at start-up, and the
rebuild tool uses the same lock to know whether the service is running.

PostgreSQL: any number of instances serve calls and consume events, but only the holder
of a session advisory lock runs the followers. If the holder dies, its session ends, the
lock is freed, and another instance takes over at its next poll.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
import zlib

from shared.logs import get_logger

log = get_logger("lease")

RECHECK_SECONDS = 5.0


class StoreInUse(RuntimeError):
    pass


class FileLease:
    """Held for the life of the process, or not at all."""

    def __init__(self, path: str):
        self.path = path
        self._file = None

    def acquire(self) -> bool:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def acquire_or_refuse(self) -> FileLease:
        if not self.acquire():
            raise StoreInUse(f"another process holds {self.path}: a SQLite store takes one process")
        return self

    def is_leader(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class AdvisoryLease:
    """A PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, connect, name: str):
        self._connect = connect
        self.key = zlib.crc32(name.encode())   # fits PostgreSQL's bigint key
        self._conn = None
        self._checked_at = 0.0
        self._held = False
        # The relay, the projection runner and health() ask from different green threads.
        # Unguarded, two of them could each open a connection while the first connects; the
        # one dropped would hold the lock until garbage-collected, then free it to another
        # instance while this one still believed itself the leader.
        self._asking = threading.Lock()

    def is_leader(self) -> bool:
        """Cheap most of the time: re-asks the server at most every RECHECK_SECONDS."""
        if self._held and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return True
        with self._asking:
            return self._ask()

    def _ask(self) -> bool:
        now = time.monotonic()
        if self._held and now - self._checked_at < RECHECK_SECONDS:
            return True   # another green thread asked while we waited
        self._checked_at = now
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            # re-entrant for the session that holds it, so asking again is how we check
            held = bool(self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0])
        except Exception:
            log.warning("lost the connection holding the followers' lease", exc_info=True)
            held = False
            self.release()
        if held != self._held:
            log.info("this instance now runs the followers" if held else "another instance runs the followers")
        self._held = held
        return held

    acquire = is_leader

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()   # ends the session, which frees the lock
            except Exception:
                pass
            self._conn = None
        self._held = False
