"""The metadata every recorded event carries: who caused it, in which conversation, because
of which earlier event, as which command, and when it happened in business time.

Domain events are facts of the domain alone. The unit of work that records them stamps
this metadata on each one as it saves it (`unit_of_work.py`), as an event store's session
adds metadata on append: domain methods stay free of plumbing, and no event can be
recorded without an actor. Beside `occurred_at`, `ServiceApplication.record` stamps
`recorded_on`: the business time at which the event was recorded (docs/history.md).
"""
from __future__ import annotations

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
