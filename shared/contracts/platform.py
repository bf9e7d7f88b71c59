"""Payloads of the endpoints every service has: health, catch-up, parked events."""
from marshmallow import fields, validate

from shared.contracts.base import PageSchema, ReadSchema, StrictSchema, WriteSchema, integer, text


class Health(StrictSchema):
    pass


class EventsAfter(StrictSchema):
    position = integer(min=0, required=True)
    limit = integer(min=1, max=1000, load_default=200)


class ParkedEvents(PageSchema):
    status = fields.String(validate=validate.OneOf(("parked", "replayed")), load_default="parked")


class ReplayParked(WriteSchema):
    event_id = fields.UUID(load_default=None)   # omit to replay every parked event


class CaseEvents(ReadSchema):
    """One case's events in this service, each with its full envelope, oldest first."""
    case_id = fields.UUID(required=True)
    after = integer(min=0, load_default=0)          # a store position: the page after it
    limit = integer(min=1, max=500, load_default=500)


class StreamEvents(ReadSchema):
    """One stream's events (a unit's registration, a pool expert), each with its full envelope."""
    stream_id = fields.UUID(required=True)
    after = integer(min=0, load_default=0)
    limit = integer(min=1, max=500, load_default=500)


class AccessLog(PageSchema):
    """Who read a case's (or any) personal data through this service, or what one actor read."""
    case_id = fields.UUID(load_default=None)
    subject_id = text(load_default=None)            # a unit, expert or cooperation id
    actor_id = text(load_default=None)
