"""The envelope every integration event travels in.

Identity and order: `event_id` is derived from (source, stream, sequence), so a
republished event has the same id. `sequence` is the event's number in its source
stream; for case streams the stream id *is* the case id, so it is the case's sequence in
that service, and consumers apply a stream's events strictly in that order.
Provenance: actor, correlation and causation ids, the source service and its store
position. Time: `occurred_at` is business time, `recorded_at` the store's wall clock.
Envelopes carry ids, not personal data: payload schemas list only what may leave.
"""
from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from marshmallow import fields, validate

from shared.contracts.base import StrictSchema, load, text

SERVICES = ("registration", "application", "review", "funding")
EVENTS_NS = uuid5(NAMESPACE_URL, "urn:changping:integration-events")


def event_id_for(source: str, stream_id, sequence: int) -> UUID:
    return uuid5(EVENTS_NS, f"{source}/{stream_id}/{sequence}")


class ActorSchema(StrictSchema):
    actor_id = text(required=True)
    role = text(required=True)
    unit_id = fields.String(allow_none=True, load_default=None)


class EnvelopeSchema(StrictSchema):
    event_id = fields.UUID(required=True)
    type = text(required=True)
    schema_version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=validate.OneOf(SERVICES))
    position = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    stream_id = fields.UUID(required=True)
    sequence = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    case_id = fields.UUID(required=True, allow_none=True)
    occurred_at = fields.AwareDateTime(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = text(required=True)
    causation_id = fields.String(required=True, allow_none=True)
    command_id = fields.String(load_default=None, allow_none=True)
    payload = fields.Dict(required=True)


ENVELOPE = EnvelopeSchema()


def load_envelope(body) -> dict:
    """Validate an envelope and its payload; raises ServiceError('validation_error')."""
    from shared.contracts.events import payload_schema

    envelope = load(ENVELOPE, body)
    envelope["payload"] = load(payload_schema(envelope["type"], envelope["schema_version"]), envelope["payload"])
    return envelope
