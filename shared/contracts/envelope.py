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

from marshmallow import EXCLUDE, fields, validate

from shared.contracts.base import SERVICES, SHORT, StrictSchema, integer, iso_datetime, load, text
from shared.errors import validation_error

# field names that would carry personal data: refused in any payload, never merely ignored
PERSONAL_FIELDS = frozenset({"contact", "phone", "id_number", "id_card", "mobile", "email", "address"})
EVENTS_NS = uuid5(NAMESPACE_URL, "urn:changping:integration-events")


def event_id_for(source: str, stream_id, sequence: int) -> UUID:
    return uuid5(EVENTS_NS, f"{source}/{stream_id}/{sequence}")


class ActorSchema(StrictSchema):
    actor_id = text(required=True)
    role = text(required=True)
    unit_id = text(64, allow_none=True, load_default=None)


class EnvelopeSchema(StrictSchema):
    event_id = fields.UUID(required=True)
    type = text(required=True)
    schema_version = integer(min=1, required=True)
    source = fields.String(required=True, validate=validate.OneOf(SERVICES))
    position = integer(min=1, required=True)
    stream_id = fields.UUID(required=True)
    sequence = integer(min=1, required=True)
    case_id = fields.UUID(required=True, allow_none=True)
    occurred_at = iso_datetime(required=True)
    recorded_at = iso_datetime(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = text(required=True)
    causation_id = text(SHORT, required=True, allow_none=True)
    command_id = text(100, load_default=None, allow_none=True)
    payload = fields.Dict(required=True)


ENVELOPE = EnvelopeSchema()


def load_envelope(body) -> dict:
    """Validate an envelope and its payload; raises ServiceError('validation_error')."""
    from shared.contracts.events import payload_schema

    envelope = load(ENVELOPE, body)
    schema = payload_schema(envelope["type"], envelope["schema_version"])
    declared = {field.data_key or name for name, field in schema.fields.items()}
    personal = sorted(PERSONAL_FIELDS & (set(envelope["payload"]) - declared))
    if personal:   # a producer that leaks personal data is stopped loudly, not quietly ignored
        raise validation_error({name: ["personal data never travels on the bus"] for name in personal})
    # any other field of a known version that this consumer does not know is ignored (docs/compatibility.md)
    envelope["payload"] = load(schema, envelope["payload"], unknown=EXCLUDE)
    return envelope
