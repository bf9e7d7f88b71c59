"""The metadata every recorded event carries: who caused it, in which conversation, because
of which earlier event, as which command, and when it happened in business time.

The application layer sets it for the duration of one command (`acting`); the aggregate
base reads it when an event is triggered. Domain methods therefore stay free of plumbing
while no event can be recorded without an actor.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

from shared.identity import Identity


@dataclass(frozen=True)
class EventMeta:
    actor: Identity
    occurred_at: datetime                  # business time the command took effect
    correlation_id: str = field(default_factory=lambda: str(uuid4()))
    causation_id: str | None = None        # the integration event that caused this, if any
    command_id: str | None = None          # the client's command id, for writes from RPC

    def as_dict(self) -> dict:
        return {
            "actor": self.actor.as_dict(),
            "occurred_at": self.occurred_at.isoformat(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "command_id": self.command_id,
        }


_current: ContextVar[EventMeta | None] = ContextVar("event_meta", default=None)


class NoActorError(RuntimeError):
    """An event was triggered outside `acting(...)`: a programming error, never user input."""


def current_meta() -> dict:
    meta = _current.get()
    if meta is None:
        raise NoActorError("events may only be triggered inside shared.eventstore.meta.acting(...)")
    return meta.as_dict()


def current_event_meta() -> EventMeta | None:
    return _current.get()


@contextmanager
def acting(meta: EventMeta):
    token = _current.set(meta)
    try:
        yield meta
    finally:
        _current.reset(token)
