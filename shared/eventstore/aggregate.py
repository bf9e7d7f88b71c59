"""The aggregate base class for every service.

Each recorded event carries a `meta` attribute (see `meta.py`): the unit of work stamps it
on save, so domain code never passes it around.
A stream is either published whole — every one of its events becomes an integration
event, so consumers see contiguous sequence numbers per stream — or not at all
(`PUBLISHED = False`, e.g. command receipts). `CASE_STREAM = True` means the aggregate's
id *is* the case id, so its version is the case's sequence number in this service.
"""
from __future__ import annotations

from typing import ClassVar

from eventsourcing.domain import Aggregate


class Stream(Aggregate):
    PUBLISHED: ClassVar[bool] = True
    CASE_STREAM: ClassVar[bool] = False
    STREAM: ClassVar[str] = ""        # the stream kind in event types: <service>.<STREAM>.<Event>

    class Event(Aggregate.Event):
        pass

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def case_id_of(cls, event) -> str | None:
        if cls.CASE_STREAM:
            return str(event.originator_id)
        case_id = getattr(event, "case_id", None)
        return str(case_id) if case_id else None
