"""Projections: read models fed by a service's own notification log.

A `Projection` says, for each domain event it cares about, how the documents change.
The `ProjectionRunner` feeds it in batches and writes the changed documents together with
the position reached, in one transaction, so a crash can neither skip nor repeat an event.
Any projection can be dropped and rebuilt from position zero (`rebuild`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from shared.eventstore.follower import Follower
from shared.eventstore.views import PositionMoved, ViewStore

BATCH = 500


class Projection:
    name: str = ""
    collections: tuple[str, ...] = ()

    def apply(self, event, notification_id: int, docs: DocumentBatch) -> None:
        """Change documents in `docs` for `event`; ignore events of no interest."""
        raise NotImplementedError


class DocumentBatch:
    """The documents a batch has changed, read through to the store for the rest."""

    def __init__(self, store: ViewStore):
        self._store = store
        self.changed: dict[tuple[str, str], dict] = {}

    def get(self, collection: str, key: str) -> dict | None:
        if (collection, key) in self.changed:
            return self.changed[(collection, key)]
        return self._store.get(collection, key)

    def put(self, collection: str, key: str, doc: dict) -> None:
        self.changed[(collection, key)] = doc

    def rows(self):
        return [(collection, key, doc) for (collection, key), doc in self.changed.items()]


class ProjectionRunner:
    """Feeds all of a service's projections from its notification log, in one transaction
    per batch, each projection with its own recorded position (so one can be rebuilt
    while the others stand)."""

    def __init__(self, app, store: ViewStore, projections, poll_seconds: float = 1.0, busy=None):
        self.app, self.store = app, store
        self.projections = {p.name: p for p in projections}
        self.follower = Follower("projections", self.step, poll_seconds, busy=busy)
        self._advanced = threading.Condition()

    def positions(self) -> dict[str, int]:
        return {name: self.store.position(name) for name in self.projections}

    @property
    def position(self) -> int:
        """How far every projection has got."""
        return min(self.positions().values(), default=0)

    def step(self, limit: int = BATCH) -> int:
        """Apply the next batch; return how many notifications it covered."""
        positions = self.positions()
        notifications = self.app.recorder.select_notifications(start=min(positions.values()) + 1, limit=limit)
        if not notifications:
            return 0
        docs = DocumentBatch(self.store)
        for notification in notifications:
            self.follower.pause_point()
            event = self.app.mapper.to_domain_event(notification)
            for name, projection in self.projections.items():
                if notification.id > positions[name]:
                    projection.apply(event, notification.id, docs)
        reached = notifications[-1].id
        advance = {name: (read, reached) for name, read in positions.items() if read < reached}
        try:
            self.store.apply(advance, docs.rows())
        except PositionMoved:
            return len(notifications)   # reset or raced: step again from the positions as they are
        with self._advanced:
            self._advanced.notify_all()
        return len(notifications)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Read-your-writes: wait until every projection has seen `position`."""
        if self.position >= position:
            return True
        self.follower.wake()
        with self._advanced:
            self._advanced.wait_for(lambda: self.position >= position, timeout=timeout)
        return self.position >= position

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Drop one projection's documents and replay every event into it; return how many were read."""
        projection = self.projections[name]
        self.store.reset(name, projection.collections)
        total = 0
        while count := self.step():
            total += count
            if progress:
                progress(count)
        return total
