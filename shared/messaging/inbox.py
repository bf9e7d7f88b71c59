"""The inbox: inbound integration events applied exactly once in effect, in stream order.

For each event it checks the stream's tracking row (`<source>/<stream id>` -> the last
sequence applied): an earlier or equal sequence is a duplicate and changes nothing; a
later one than the next waits (it is retried until the gap is filled); the next one is
handed to the service's handler with a unit of work acting as the service, and whatever
the handler changes is recorded in one transaction with the new tracking row. A stream's events are serialised in-process by a
striped lock; across processes the tracking row's uniqueness settles any race.
"""
from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from enum import Enum

from eventsourcing.persistence import RecordConflictError, Tracking

from shared.errors import conflict
from shared.eventstore.meta import EventMeta
from shared.eventstore.unit_of_work import UnitOfWork
from shared.identity import system_actor

Handler = Callable[[dict, UnitOfWork], None]
STRIPES = 64
CONFLICT_RETRIES = 3


class Outcome(str, Enum):
    APPLIED = "applied"
    IGNORED = "ignored"        # no handler for this type: sequence advanced, nothing recorded
    DUPLICATE = "duplicate"
    WAITING = "waiting"        # an earlier event of the stream has not been applied yet


def tracking_name(envelope: dict) -> str:
    return f"{envelope['source']}/{envelope['stream_id']}"


class Inbox:
    def __init__(self, service: str, app, handlers: dict[str, Handler]):
        self.service, self.app, self.handlers = service, app, handlers
        self._locks = [threading.Lock() for _ in range(STRIPES)]

    def applied_sequence(self, envelope: dict) -> int:
        return self.app.recorder.max_tracking_id(tracking_name(envelope)) or 0

    def accept(self, envelope: dict) -> Outcome:
        name = tracking_name(envelope)
        with self._locks[zlib.crc32(name.encode()) % STRIPES]:
            done = self.applied_sequence(envelope)
            if envelope["sequence"] <= done:
                return Outcome.DUPLICATE
            if envelope["sequence"] > done + 1:
                return Outcome.WAITING
            return self._apply(envelope, Tracking(name, envelope["sequence"]))

    def _apply(self, envelope: dict, tracking: Tracking) -> Outcome:
        handler = self.handlers.get(envelope["type"])
        meta = EventMeta(actor=system_actor(self.service), occurred_at=self.app.clock.now(),
                         correlation_id=envelope["correlation_id"], causation_id=str(envelope["event_id"]))
        for _ in range(CONFLICT_RETRIES):
            uow = UnitOfWork(self.app, meta)
            if handler:
                handler(envelope, uow)
            try:
                uow.commit(tracking)
                return Outcome.APPLIED if handler else Outcome.IGNORED
            except RecordConflictError:
                if self.applied_sequence(envelope) >= envelope["sequence"]:
                    return Outcome.DUPLICATE   # another process applied it first
                # else an aggregate changed under us (an RPC on the same case): decide again
        raise conflict(f"could not apply {envelope['type']} after {CONFLICT_RETRIES} attempts")


def source_ref(envelope: dict) -> dict:
    """What a stream entry records about the inbound event that caused it."""
    return {key: envelope[key] for key in ("event_id", "type", "position", "sequence", "occurred_at")} | {
        "service": envelope["source"]}
