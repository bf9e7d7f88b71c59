"""Payloads of the endpoints every service has: health, catch-up, parked events."""
from marshmallow import fields, validate

from shared.contracts.base import PageSchema, StrictSchema, WriteSchema, integer


class Health(StrictSchema):
    pass


class EventsAfter(StrictSchema):
    position = integer(min=0, required=True)
    limit = integer(min=1, max=1000, load_default=200)


class ParkedEvents(PageSchema):
    status = fields.String(validate=validate.OneOf(("parked", "replayed")), load_default="parked")


class ReplayParked(WriteSchema):
    event_id = fields.UUID(load_default=None)   # omit to replay every parked event
