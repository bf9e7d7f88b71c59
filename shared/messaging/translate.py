"""From a stored notification to an integration-event envelope (or to nothing, for the
streams that never leave the service)."""
from __future__ import annotations

import sys
from functools import cache

from shared.contracts.envelope import event_id_for
from shared.contracts.events import current


@cache
def aggregate_class_of(event_class: type) -> type:
    """eventsourcing nests event classes in their aggregate: Case.Filed -> Case."""
    owner = sys.modules[event_class.__module__]
    for part in event_class.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part)
    return owner


def event_type(service: str, aggregate_class: type, event_class: type) -> str:
    return f"{service}.{aggregate_class.STREAM}.{event_class.__name__}"


def to_envelope(service: str, app, notification) -> dict | None:
    event = app.mapper.to_domain_event(notification)
    aggregate_class = aggregate_class_of(type(event))
    if not getattr(aggregate_class, "PUBLISHED", False):
        return None
    kind = event_type(service, aggregate_class, type(event))
    version, schema = current(kind)
    meta = event.meta
    return {
        "event_id": str(event_id_for(service, event.originator_id, event.originator_version)),
        "type": kind,
        "schema_version": version,
        "source": service,
        "position": notification.id,
        "stream_id": str(event.originator_id),
        "sequence": event.originator_version,
        "case_id": aggregate_class.case_id_of(event),
        "occurred_at": meta["occurred_at"],
        "recorded_at": event.timestamp.isoformat(),
        "actor": meta["actor"],
        "correlation_id": meta["correlation_id"],
        "causation_id": meta["causation_id"],
        "command_id": meta.get("command_id"),
        "payload": schema.dump(event.__dict__),
    }


def envelopes_after(service: str, app, position: int, limit: int) -> tuple[list[dict], int]:
    """`events after position N` for catch-up: the envelopes and the last position scanned."""
    notifications = app.recorder.select_notifications(start=position + 1, limit=limit)
    envelopes = [e for n in notifications if (e := to_envelope(service, app, n)) is not None]
    return envelopes, (notifications[-1].id if notifications else position)
