"""The base of each service's eventsourcing Application.

What it adds to the library's Application:
- a process recorder, so inbound events are recorded atomically with their tracking;
- the business `clock`;
- `execute`, which runs a command as an actor, makes it repeatable by command id,
  retries a lost optimistic-concurrency race, and returns the new store position
  (what read-your-writes queries wait for);
- commit listeners, so the relay and projections wake as soon as something is recorded.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import RecordConflictError, Tracking, Transcoding

from shared.clock import Clock, SystemClock
from shared.errors import ServiceError, conflict
from shared.eventstore.meta import EventMeta, acting
from shared.eventstore.receipts import CommandReceipt, receipt_id

CONFLICT_RETRIES = 3

Action = Callable[[], tuple[dict, Iterable[Any]]]


@dataclass(frozen=True)
class Written:
    result: dict
    position: int
    replayed: bool = False  # True when a retried command id returned the first result

    def response(self) -> dict:
        return {**self.result, "position": self.position, "replayed": self.replayed}


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def check_version(aggregate, expected_version: int | None) -> None:
    """An edit that names the version it saw is refused if the record has moved on."""
    if expected_version is not None and aggregate.version != expected_version:
        raise conflict(f"the record is at version {aggregate.version}, not {expected_version}; reload and retry",
                       rule="expected_version")


class ServiceApplication(Application):
    def __init__(self, env: dict | None = None, clock: Clock | None = None):
        super().__init__(env=env)
        self.clock = clock or SystemClock()
        self._commit_listeners: list[Callable[[], None]] = []

    def construct_recorder(self):
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())   # business dates (due dates, term ends) are dates, not datetimes

    # -- positions and notifications ----------------------------------------------
    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def on_commit(self, listener: Callable[[], None]) -> None:
        self._commit_listeners.append(listener)

    def record(self, *objs, tracking: Tracking | None = None) -> int:
        """Save aggregates (and optionally tracking) in one transaction; return the position."""
        # As eventsourcing's own process_event does: the tracking rides on the ProcessingEvent.
        processing_event = ProcessingEvent(tracking=tracking)
        processing_event.collect_events(*objs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        for listener in self._commit_listeners:
            listener()
        ids = [r.notification.id for r in recordings if r.notification.id is not None]
        return max(ids) if ids else self.position()

    # -- loading ------------------------------------------------------------------
    def get_or_none(self, aggregate_id):
        """The aggregate, or None. Ids may come as text (read models, envelopes): the store keys on UUIDs."""
        if isinstance(aggregate_id, str):
            aggregate_id = UUID(aggregate_id)
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    # -- commands -----------------------------------------------------------------
    def execute(self, meta: EventMeta, action: Action, *, fingerprint: str | None = None) -> Written:
        """Run `action` as `meta.actor` and record what it returns.

        `action()` loads what it needs from the repository, calls domain methods and
        returns `(result, aggregates_to_save)`. It may run more than once: a concurrent
        writer that won the race makes us reload and decide again.
        """
        rid = receipt_id(meta.actor.actor_id, meta.command_id) if meta.command_id else None
        for attempt in range(CONFLICT_RETRIES):
            if rid is not None and (earlier := self.get_or_none(rid)) is not None:
                return self._replay(earlier, fingerprint)
            with acting(meta):
                result, aggregates = action()
                aggregates = list(aggregates)
                if rid is not None:
                    aggregates.append(CommandReceipt(command_id=meta.command_id, fingerprint=fingerprint or "",
                                                     result=result, id=rid))
            try:
                return Written(result=result, position=self.record(*aggregates))
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise conflict("the record changed while this command ran; retry it") from None
        raise AssertionError("unreachable")

    def _replay(self, receipt: CommandReceipt, fingerprint: str | None) -> Written:
        if fingerprint is not None and receipt.fingerprint != fingerprint:
            raise ServiceError("command_id_reused",
                               f"command id {receipt.command_id!r} was already used for a different command")
        return Written(result=receipt.result, position=self.position(), replayed=True)
