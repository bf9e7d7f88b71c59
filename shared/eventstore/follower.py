"""A loop that follows something forward: the relay follows the notification log to
RabbitMQ, the projection runner follows it into the read models.

It runs `step()` until there is nothing to do, then sleeps until woken (after a commit)
or until `poll_seconds` pass — the poll only matters for writes made by another process.
When woken it first lets the service's busy workers finish (waiting at most
`max_defer_seconds`, once): a request should not wait behind background work in the same
process, and work that waited is done in a bigger batch. Within a batch it yields after
each slice of SLICE_SECONDS (`pause_point`) and never waits for workers again: yielding
per item, or waiting, would hand a busy service's workers a turn each time and starve it. Errors are logged and retried: a follower never dies.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shared.logs import get_logger

MAX_DEFER_SECONDS = 0.02
SLICE_SECONDS = 0.002   # the longest a follower holds the hub before letting requests in


class Follower:
    def __init__(self, name: str, step: Callable[[], int], poll_seconds: float = 1.0,
                 busy: Callable[[], bool] | None = None, max_defer_seconds: float = MAX_DEFER_SECONDS,
                 leader: Callable[[], bool] | None = None):
        self.name = name
        self.leader = leader   # only the lease holder follows (see lease.py); None: always
        self._step = step
        self.poll_seconds = poll_seconds
        self.busy = busy
        self.max_defer_seconds = max_defer_seconds
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._finished = threading.Event()
        self._started = False
        self._slice_started = 0.0
        self.log = get_logger(f"follower.{name}")

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Ask the loop to stop and wait for its current step to finish."""
        self._stopped.set()
        self._wake.set()
        if self._started:
            self._finished.wait(timeout)

    def run(self) -> None:
        self._started = True
        try:
            while not self._stopped.is_set():
                self._defer_while_busy()
                try:
                    while (self.leader is None or self.leader()) and self._step() and not self._stopped.is_set():
                        pass
                except Exception:
                    self.log.exception("follower step failed; retrying", follower=self.name)
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            self._finished.set()

    def pause_point(self) -> None:
        """Called between items: once this follower has held the hub for a slice,
        greenlets that became runnable (a request that arrived) get their turn."""
        now = time.monotonic()
        if now - self._slice_started >= SLICE_SECONDS:
            time.sleep(0)
            self._slice_started = time.monotonic()

    def _defer_while_busy(self) -> None:
        if self.busy is None:
            return
        deadline = time.monotonic() + self.max_defer_seconds
        while self.busy() and time.monotonic() < deadline and not self._stopped.is_set():
            time.sleep(0.001)
