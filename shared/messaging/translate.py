"""From a domain event to an integration-event envelope (or to nothing, for the streams that
never leave the service): when it is recorded, to sign it; when it is relayed or read for
catch-up, from the stored notification, with its position and its recorded signature."""
from __future__ import annotations

import sys
from functools import cache

from shared.contracts.envelope import event_id_for
from shared.contracts.events import WITHHELD_VERSIONS, current, payload_schema
from shared.signing import signed_schema_version


@cache
def aggregate_class_of(event_class: type) -> type:
    """eventsourcing nests event classes in their aggregate: Case.Filed -> Case."""
    owner = sys.modules[event_class.__module__]
    for part in event_class.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part)
    return owner


def event_type(service: str, aggregate_class: type, event_class: type) -> str:
    return f"{service}.{aggregate_class.STREAM}.{event_class.__name__}"


def envelope_of(service: str, event, version: int | None = None) -> dict | None:
    """The integration envelope of a domain event without its store position (what is signed,
    shared/signing.py), or None for the streams that never leave the service. The payload is
    dumped with the schema `version` (by default the current one)."""
    aggregate_class = aggregate_class_of(type(event))
    if not getattr(aggregate_class, "PUBLISHED", False):
        return None
    kind = event_type(service, aggregate_class, type(event))
    if version is None:
        version, schema = current(kind)
    else:
        schema = payload_schema(kind, version)
    meta = event.meta
    return {
        "event_id": str(event_id_for(service, event.originator_id, event.originator_version)),
        "type": kind,
        "schema_version": version,
        "source": service,
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


class EventSigning:
    """`ServiceApplication.sign_event`: the signature of a new event of a published stream, made
    before it is recorded (so it is stored with it, in the same transaction), else None."""

    def __init__(self, service: str, signer):
        self.service, self.signer = service, signer

    def __call__(self, event) -> str | None:
        envelope = envelope_of(self.service, event)
        return None if envelope is None else self.signer.sign(envelope)


def to_envelope(service: str, app, notification) -> dict | None:
    """The envelope as it travels: with the store position and, beside it, the signature recorded
    with the event (the payload dumped with the schema version that was signed). An event signed
    in a version that carried personal data (WITHHELD_VERSIONS) leaves in the current version
    instead, which drops those fields, signed anew by this service: stored events are never
    rewritten, and personal data never leaves again."""
    event = app.mapper.to_domain_event(notification)
    signature = event.__dict__.get("signature")
    envelope = envelope_of(service, event, signed_schema_version(signature) if signature else None)
    if envelope is None:
        return None
    if (envelope["type"], envelope["schema_version"]) in WITHHELD_VERSIONS:
        envelope = envelope_of(service, event)
        signature = app.sign_event(event) if app.sign_event is not None else None
    envelope["position"] = notification.id
    if signature:
        envelope["signature"] = signature
    return envelope


def envelopes_after(service: str, app, position: int, limit: int) -> tuple[list[dict], int]:
    """`events after position N` for catch-up: the envelopes and the last position scanned."""
    notifications = app.recorder.select_notifications(start=position + 1, limit=limit)
    envelopes = [e for n in notifications if (e := to_envelope(service, app, n)) is not None]
    return envelopes, (notifications[-1].id if notifications else position)
