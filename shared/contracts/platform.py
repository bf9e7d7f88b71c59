"""Payloads of the endpoints every service has: health, catch-up, parked events."""
from marshmallow import fields, validate

from shared.contracts.base import (MAX_STRING, SHORT, PageSchema, Reply, StrictSchema, WriteSchema, integer, iso_datetime,
                                   one_of, page_of, text)
from shared.contracts.envelope import SERVICES, EnvelopeSchema


class Health(StrictSchema):
    pass


class EventsAfter(StrictSchema):
    position = integer(min=0, required=True)
    limit = integer(min=1, max=1000, load_default=200)


class ParkedEvents(PageSchema):
    status = fields.String(validate=validate.OneOf(("parked", "replayed")), load_default="parked")


class ReplayParked(WriteSchema):
    event_id = fields.UUID(load_default=None)   # omit to replay every parked event


# == replies ========================================================================================
class StoreSettings(Reply):
    """The store and its durability: SQLite's path and pragmas, or PostgreSQL's database and schema."""
    kind = one_of(("sqlite", "postgres"), required=True)
    path = text(1000)
    journal_mode = text(32)
    synchronous = text(32)
    views_synchronous = text(32)
    database = text(100)
    schema = text(100)
    synchronous_commit = text(100)


class HealthReply(Reply):
    service = one_of(SERVICES, required=True)
    store = fields.Nested(StoreSettings, required=True)
    position = integer(min=0, required=True, metadata={"description": "the store's last position"})
    relay_position = integer(min=0, required=True, metadata={"description": "how far the relay has published"})
    relay_paused = fields.Boolean(required=True)
    projections = fields.Dict(keys=text(64), values=integer(min=0), required=True,
                              metadata={"description": "how far each read model has got, by name"})
    business_time = iso_datetime(required=True)
    runs_followers = fields.Boolean(required=True, metadata={"description": "this instance runs relay and projections"})


class SignedEnvelope(EnvelopeSchema):
    signature = text(MAX_STRING, metadata={"description": "the source's JWS over the event (docs/reference.md, "
                                                          "signed events)"})


class EventsAfterReply(Reply):
    events = fields.List(fields.Nested(SignedEnvelope), required=True, validate=validate.Length(max=1000))
    last_position = integer(min=0, required=True, metadata={"description": "the last position scanned: pass it as "
                                                                           "`position` to read on"})


class Parked(Reply):
    parked_id = text(SHORT, required=True)
    event_id = text(SHORT, required=True, allow_none=True)
    type = text(SHORT, required=True, allow_none=True)
    case_id = text(SHORT, required=True, allow_none=True)
    body = fields.Dict(required=True, metadata={"description": "the event as it arrived"})
    error = text(MAX_STRING, multiline=True, required=True)
    reason = one_of(("failed", "unsigned", "forged"), required=True)
    attempts = integer(min=0, required=True)
    status = one_of(("parked", "replayed"), required=True)
    parked_at = iso_datetime(required=True)
    replayed_at = iso_datetime()


ParkedPage = page_of(Parked, "ParkedPage")


class Replayed(Reply):
    replayed = fields.List(text(SHORT), required=True, validate=validate.Length(max=10_000),
                           metadata={"description": "the event ids sent back to the inbox"})
