"""The aggregate base class for every service.

Each event gets a `meta` field (see `meta.py`) without domain code passing it around.
A stream is either published whole — every one of its events becomes an integration
event, so consumers see contiguous sequence numbers per stream — or not at all
(`PUBLISHED = False`, e.g. command receipts). `CASE_STREAM = True` means the aggregate's
id *is* the case id, so its version is the case's sequence number in this service.
"""
from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from shared.eventstore.meta import current_meta


class Stream(Aggregate):
    PUBLISHED: ClassVar[bool] = True
    CASE_STREAM: ClassVar[bool] = False
    STREAM: ClassVar[str] = ""        # the stream kind in event types: <service>.<STREAM>.<Event>

    class Event(Aggregate.Event):
        meta: dict

    class Created(Event, Aggregate.Created):
        pass

    def trigger_event(self, event_class, **kwargs: Any) -> None:
        kwargs.setdefault("meta", current_meta())
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def _create(cls, event_class, *, id=None, **kwargs: Any):  # noqa: A002 (eventsourcing's name)
        kwargs.setdefault("meta", current_meta())
        return super()._create(event_class, id=id, **kwargs)

    @classmethod
    def case_id_of(cls, event) -> str | None:
        if cls.CASE_STREAM:
            return str(event.originator_id)
        case_id = getattr(event, "case_id", None)
        return str(case_id) if case_id else None
