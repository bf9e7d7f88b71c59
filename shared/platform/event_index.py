"""Which stored events belong to a case, and to a stream: the read model behind `case_events` and
`stream_events`, so an auditor's export reads a case's events by position instead of scanning the
whole notification log.

One document per case (`case_events`, every published event whose case id is that case: the case's
own streams, and events of other streams that name the case) and one per stream that is not a case
stream (`stream_events`: a unit's registration, a pool expert), each holding the positions in order.
Unpublished streams (receipts, parked events, a service's private copies) have no envelope and are
not indexed. Like every projection it is rebuildable from zero.
"""
from __future__ import annotations

from shared.eventstore.projection import Projection
from shared.messaging.translate import aggregate_class_of, to_envelope

CASE_EVENTS, STREAM_EVENTS = "case_events", "stream_events"
MAX_PAGE = 500


class EventIndex(Projection):
    name = "event_index"
    collections = (CASE_EVENTS, STREAM_EVENTS)

    def apply(self, event, notification_id, docs):
        aggregate = aggregate_class_of(type(event))
        if not getattr(aggregate, "PUBLISHED", False):
            return
        case_id = aggregate.case_id_of(event)
        if case_id:
            _append(docs, CASE_EVENTS, case_id, notification_id)
        if not getattr(aggregate, "CASE_STREAM", False):
            _append(docs, STREAM_EVENTS, str(event.originator_id), notification_id)


def _append(docs, collection: str, key: str, position: int) -> None:
    doc = docs.get(collection, key) or {"id": key, "positions": []}
    if position not in doc["positions"]:   # a rebuild after a reset starts from an empty document
        doc = {**doc, "positions": [*doc["positions"], position]}
        docs.put(collection, key, doc)


def indexed_envelopes(store, collection: str, key: str, after: int, limit: int) -> dict:
    """The envelopes (each with its position and signature, as relayed) of one case or stream after
    a position, oldest first: `{"events": [...], "next_after": <position> | None}` (None: no more)."""
    doc = store.views.get(collection, key) or {"positions": []}
    positions = [p for p in doc["positions"] if p > after]
    page, more = positions[:limit], len(positions) > limit
    app, events = store.app, []
    for position in page:
        notification = app.recorder.select_notifications(start=position, limit=1)[0]
        if (envelope := to_envelope(store.service, app, notification)) is not None:
            events.append(envelope)
    return {"events": events, "next_after": page[-1] if more else None}
