"""The base of each service's eventsourcing Application.

What it adds to the library's Application:
- a process recorder, so inbound events are recorded atomically with their tracking;
- the business `clock`;
- `handle`, the one path of a command: the handler registered for the command's class
  runs in a unit of work as the given actor; the command is repeatable by command id, a
  lost optimistic-concurrency race is retried, and the new store position (what
  read-your-writes queries wait for) is returned;
- commit listeners, so the relay and projections wake as soon as something is recorded;
- `record` signs every new event of a published stream before it is stored (shared/signing.py).

A handler is a method of the Application, registered for its command class:

    @handles(Submit)
    def submit(self, command: Submit, uow: UnitOfWork) -> dict:
        case = uow.get(Case, command.case_id, "case")
        ...                                   # roles, ownership, separation of duties, the domain
        return {"case_id": str(case.id), "version": case.version}
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError, Tracking, Transcoding

from shared.clock import Clock, SystemClock
from shared.config import Settings
from shared.errors import CommandIdReused, conflict
from shared.eventstore.meta import EventMeta
from shared.eventstore.receipts import CommandReceipt, receipt_id
from shared.eventstore.unit_of_work import UnitOfWork

CONFLICT_RETRIES = 3

Handler = Callable[[Any, Any, UnitOfWork], dict]      # (application, command, unit of work) -> result


def handles(command_class: type):
    """Registers an Application method as the handler of one command class."""
    def register(method):
        method.handles = command_class
        return method
    return register


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
    # Signs each new event of a published stream before it is recorded (translate.EventSigning;
    # build_store sets it from the service's key). None (an Application built bare, in unit
    # tests) records events unsigned, and consumers would refuse them.
    sign_event: Callable[[Any], str | None] | None = None

    def __init__(self, env: dict | None = None, clock: Clock | None = None, settings: Settings | None = None):
        super().__init__(env=env)
        self.clock = clock or SystemClock()
        self.settings = settings or Settings()   # the service's configuration, for handlers that need it
        self._commit_listeners: list[Callable[[], None]] = []

    def construct_recorder(self):
        return self.factory.process_recorder()

    # Personal fields are sealed by the mapper under each person's data key (shared/privacy); the
    # vault is attached by build_store (shared.privacy.attach). None: an Application built bare.
    vault = None

    def construct_mapper(self):
        from shared.privacy.vault import PersonalDataMapper
        return PersonalDataMapper(transcoder=self.construct_transcoder(), cipher=self.factory.cipher(),
                                  compressor=self.factory.compressor(), service=self.name)

    def register_transcodings(self, transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())   # business dates (due dates, term ends) are dates, not datetimes

    # -- positions and notifications ----------------------------------------------
    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def on_commit(self, listener: Callable[[], None]) -> None:
        self._commit_listeners.append(listener)

    def record(self, meta: EventMeta, *aggregates, tracking: Tracking | None = None) -> int:
        """Stamp `meta` and the business time of recording on the aggregates' new events and record
        them (and the tracking) in one transaction; return the position. `UnitOfWork.commit` is
        the usual caller."""
        # recorded_on: the business time this fact entered the record (the store's own timestamp
        # is wall-clock, and the business clock may run fast or be set); occurred_at stays when it
        # took effect. Events recorded before this carry no recorded_on (docs/history.md).
        stamp = {**meta.as_dict(), "recorded_on": self.clock.now().isoformat()}
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        for event in events:
            object.__setattr__(event, "meta", stamp)   # events are frozen; their metadata is ours to add
            if self.sign_event is not None and (signature := self.sign_event(event)) is not None:
                object.__setattr__(event, "signature", signature)   # stored with it, relayed beside it
        recordings = self.events.put(events, tracking=tracking)
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
    command_handlers: dict[type, Handler] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.command_handlers = {method.handles: method for klass in reversed(cls.__mro__)
                                for method in vars(klass).values() if hasattr(method, "handles")}

    def handle(self, command, meta: EventMeta, *, fingerprint: str | None = None) -> Written:
        """Run the command's handler as `meta.actor` and record what it changed.

        The handler may run more than once: a concurrent writer that won the race makes us
        reload and decide again. A command id already used returns the first result.
        """
        handler = self.command_handlers[type(command)]
        rid = receipt_id(meta.actor.actor_id, meta.command_id) if meta.command_id else None
        for attempt in range(CONFLICT_RETRIES):
            uow = UnitOfWork(self, meta)
            if rid is not None and (earlier := uow.find(rid)) is not None:
                return self._replay(earlier, fingerprint)
            result = handler(self, command, uow)
            receipt = None if rid is None else CommandReceipt(command_id=meta.command_id, id=rid, result=result,
                                                              fingerprint=fingerprint or "")
            try:
                return Written(result=result, position=uow.commit(receipt=receipt))
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise conflict("the record changed while this command ran; retry it") from None
        raise AssertionError("unreachable")

    def _replay(self, receipt: CommandReceipt, fingerprint: str | None) -> Written:
        if fingerprint is not None and receipt.fingerprint != fingerprint:
            raise CommandIdReused(f"command id {receipt.command_id!r} was already used for a different command")
        return Written(result=receipt.result, position=self.position(), replayed=True)
