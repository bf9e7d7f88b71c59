"""Parking and replaying inbound events that keep failing, and the read model that lists them."""
from __future__ import annotations

from shared.contracts.base import check_json, printable
from shared.eventstore.meta import EventMeta
from shared.eventstore.unit_of_work import UnitOfWork
from shared.eventstore.projection import Projection
from shared.identity import Identity
from shared.messaging.parked import ParkedEvent, parked_id
from shared.messaging.topology import inbox_name

PARKED = "parked"


def park(store, body, error: str, attempts: int, actor: Identity, correlation_id: str | None) -> None:
    body = parkable(body)
    event_id = str(body.get("event_id") or "unidentified")
    correlation_id = correlation_id if isinstance(correlation_id, str) and len(correlation_id) <= 200 else None
    meta = EventMeta(actor=actor, occurred_at=store.app.clock.now(), correlation_id=correlation_id or event_id,
                     causation_id=event_id)
    uow = UnitOfWork(store.app, meta)
    parked = uow.find(parked_id(event_id))
    if parked is None:
        uow.add(ParkedEvent(id=parked_id(event_id), body=body, error=error, attempts=attempts,
                            case_id=_short(body.get("case_id")), event_type=_short(body.get("type"))))
    else:
        parked.park_again(error=error, attempts=attempts)
    uow.commit()


def parkable(body) -> dict:
    """What can be kept of an invalid body: itself if it is a JSON object within the contracts' bounds
    (integers, UTF-8, nesting, size), else its printable text under `invalid_body` (an array, a
    scalar, a lone surrogate or a flood cannot break the store that records it)."""
    if isinstance(body, dict) and not check_json(body) and len(str(body)) <= 100_000:
        event_id = body.get("event_id")
        if event_id is None or (isinstance(event_id, str) and len(event_id) <= 100):
            return body
    return {"invalid_body": printable(body)}


def _short(value):
    return value if isinstance(value, str) and len(value) <= 200 else None


def replay(store, meta: EventMeta, event_id: str) -> bool:
    """Send a parked event back to the inbox with its attempts reset; False if nothing is parked."""
    uow = UnitOfWork(store.app, meta)
    parked = uow.find(parked_id(event_id))
    if parked is None or not parked.open:
        return False
    # Publish first, then mark replayed: a crash in between replays twice, and the inbox
    # recognises the second copy as a duplicate.
    store.retry_publisher.publish_retry(inbox_name(store.service), parked.body, headers={})  # via <service>.retry
    parked.replay()
    uow.commit()
    return True


class ParkedProjection(Projection):
    name = "parked"
    collections = (PARKED,)

    def apply(self, event, notification_id, docs):
        if isinstance(event, ParkedEvent.Parked | ParkedEvent.ParkedAgain):
            doc = docs.get(PARKED, str(event.originator_id)) or {}
            body = getattr(event, "body", None) or doc.get("body") or {}
            docs.put(PARKED, str(event.originator_id), {
                **doc, "event_id": body.get("event_id"), "type": body.get("type"), "case_id": body.get("case_id"),
                "body": body, "error": event.error, "attempts": event.attempts, "status": "parked",
                "parked_at": event.meta["occurred_at"],
            })
        elif isinstance(event, ParkedEvent.Replayed):
            doc = docs.get(PARKED, str(event.originator_id)) or {}
            docs.put(PARKED, str(event.originator_id), {**doc, "status": "replayed",
                                                         "replayed_at": event.meta["occurred_at"]})
