"""Parking and replaying inbound events that keep failing, and the read model that lists them."""
from __future__ import annotations

from eventsourcing.persistence import RecordConflictError

from shared.contracts.base import check_json, printable
from shared.eventstore.meta import EventMeta
from shared.eventstore.unit_of_work import UnitOfWork
from shared.eventstore.projection import Projection
from shared.identity import Identity
from shared.messaging.parked import ParkedEvent, parked_id
from shared.messaging.topology import inbox_name

PARKED = "parked"


def park(store, body, error: str, attempts: int, actor: Identity, correlation_id: str | None,
         key: str | None = None) -> None:
    """Keep `body` with its error, under its event id, or under `key`: a refused (unsigned or
    forged) event is parked apart from the genuine event whose id it claims, so that neither can
    overwrite or shadow the other."""
    body = parkable(body)
    event_id = str(body.get("event_id") or "unidentified")
    correlation_id = correlation_id if isinstance(correlation_id, str) and len(correlation_id) <= 200 else None
    meta = EventMeta(actor=actor, occurred_at=store.app.clock.now(), correlation_id=correlation_id or event_id,
                     causation_id=event_id)
    uow = UnitOfWork(store.app, meta)
    parked = uow.find(parked_id(key or event_id))
    if parked is None:
        uow.add(ParkedEvent(id=parked_id(key or event_id), body=body, error=error, attempts=attempts,
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


def replay(store, meta: EventMeta, event_id: str, parked_key: str | None = None) -> bool:
    """Send a parked event back to the inbox (which verifies its signature again) with its attempts
    reset; False if nothing is parked. `parked_key`: the parked record's id, if not the event id's."""
    uow = UnitOfWork(store.app, meta)
    parked = uow.find(parked_key or parked_id(event_id))
    if parked is None or not parked.open:
        return False
    # Publish first, then mark replayed: a crash in between replays twice, and the inbox
    # recognises the second copy as a duplicate.
    store.retry_publisher.publish_retry(inbox_name(store.service), parked.body, headers={})  # via <service>.retry
    parked.replay()
    try:
        uow.commit()
    except RecordConflictError:
        # The inbox was faster: it already took the copy and parked it again (a refused event is
        # refused at once). That re-parking is recorded; the replay did happen.
        pass
    return True


def reason_of(error: str) -> str:
    """`unsigned` or `forged` for a refused event (shared/signing.py), else `failed`."""
    head = str(error).split(":", 1)[0]
    return head if head in ("unsigned", "forged") else "failed"


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
                "parked_at": event.meta["occurred_at"], "parked_id": str(event.originator_id),
                "reason": reason_of(event.error),
            })
        elif isinstance(event, ParkedEvent.Replayed):
            doc = docs.get(PARKED, str(event.originator_id)) or {}
            docs.put(PARKED, str(event.originator_id), {**doc, "status": "replayed",
                                                         "replayed_at": event.meta["occurred_at"]})
