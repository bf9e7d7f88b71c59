"""One command's work, or one inbound event's: who acts, what was loaded, what changed.

    uow = UnitOfWork(app, meta)
    case = uow.get(Case, case_id, "case")      # loaded once; the same object if asked again
    case.submit(...)
    uow.add(new_aggregate)                     # created by this command
    position = uow.commit()                    # every change, with its metadata, in one transaction

`commit` stamps the metadata (actor, business time, correlation, causation, command id) on
every new event and records them, with the inbox's tracking row when there is one, in one
transaction. It uses the library's public `EventStore.put` rather than `Application.save`:
`save` cannot carry a tracking record (it passes its own `tracking=None` to `put`).
"""
from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from shared.errors import not_found
from shared.eventstore.meta import EventMeta
from shared.identity import Identity


class UnitOfWork:
    def __init__(self, app, meta: EventMeta):
        self.app, self.meta = app, meta
        self._aggregates: dict[UUID, object] = {}   # loaded or added, by id: each loaded once
        self._added: dict[UUID, None] = {}          # what `add` named, in its order

    @property
    def actor(self) -> Identity:
        return self.meta.actor

    def find(self, aggregate_id):
        """The aggregate, or None. Ids may come as text (read models, envelopes): the store keys on UUIDs."""
        if isinstance(aggregate_id, str):
            aggregate_id = UUID(aggregate_id)
        if aggregate_id not in self._aggregates:
            try:
                self._aggregates[aggregate_id] = self.app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return self._aggregates[aggregate_id]

    def get(self, kind: type, aggregate_id, what: str):
        """The aggregate of that kind; `not_found` names `what` otherwise."""
        aggregate = self.find(aggregate_id)
        if not isinstance(aggregate, kind):
            raise not_found(what, aggregate_id)
        return aggregate

    def add(self, *aggregates) -> None:
        """New aggregates, or loaded ones in the order their events should be recorded."""
        for aggregate in aggregates:
            self._aggregates[aggregate.id] = aggregate
            self._added[aggregate.id] = None

    def commit(self, tracking: Tracking | None = None, receipt=None) -> int:
        """Record every pending event in one transaction, with the inbox's tracking row or the
        command's receipt; the new position. Events are recorded in the order of `add`, then those
        of aggregates only loaded, then the receipt's."""
        ordered = [*self._added, *(key for key in self._aggregates if key not in self._added)]
        aggregates = [self._aggregates[key] for key in ordered] + ([receipt] if receipt is not None else [])
        return self.app.record(self.meta, *aggregates, tracking=tracking)
