"""Payloads of the endpoints every service has: health, catch-up, a case's events, the access log, parked
events, erasure."""
from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.base import (MAX_STRING, SHORT, PageSchema, ReadSchema, Reply, StrictSchema, WriteReply,
                                   WriteSchema, identifier, integer, iso_datetime, one_of, page_of, reason, text)
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


class ErasePerson(WriteSchema):
    """An erasure request (PIPL art. 47): whom, named by exactly one of the person id, the ID number
    (found through the keyed index) or, in application, the case whose talent it is; and the legal
    reason, recorded with the erasure."""
    person_id = fields.UUID(load_default=None)
    id_number = identifier(r"[0-9A-Za-z]{6,32}", "an ID card or passport number: letters and digits only", 32,
                           load_default=None, allow_none=True)
    case_id = fields.UUID(load_default=None)
    legal_reason = reason(required=True)

    @validates_schema
    def _one_subject(self, data, **kwargs):
        named = [k for k in ("person_id", "id_number", "case_id") if data.get(k) is not None]
        if len(named) != 1:
            raise ValidationError("name the person by exactly one of person_id, id_number, case_id", "person_id")


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


class IndexedEvents(Reply):
    """One page of a case's or a stream's events, oldest first, each as it was relayed."""
    case_id = text(SHORT)
    stream_id = text(SHORT)
    events = fields.List(fields.Nested(SignedEnvelope), required=True, validate=validate.Length(max=500))
    next_after = integer(min=0, required=True, allow_none=True,
                         metadata={"description": "pass it as `after` for the next page; null: no more"})


class AccessRow(Reply):
    """One subject an answer held: who read it, through which query, when."""
    id = integer(min=1, required=True)
    recorded_at = iso_datetime(required=True, metadata={"description": "wall clock"})
    business_at = iso_datetime(required=True, allow_none=True, metadata={"description": "business clock"})
    service = one_of(SERVICES, required=True)
    entrypoint = text(SHORT, required=True)
    actor_id = text(SHORT, required=True)
    role = text(SHORT, required=True, allow_none=True)
    unit_id = text(SHORT, required=True, allow_none=True)
    subject_kind = text(SHORT, required=True, allow_none=True)
    subject_id = text(SHORT, required=True, allow_none=True)
    case_id = text(SHORT, required=True, allow_none=True)
    correlation_id = text(SHORT, required=True, allow_none=True)


AccessPage = page_of(AccessRow, "AccessPage")


class Erased(WriteReply):
    """An erasure: whose data keys were destroyed, and how many keys and index entries went, by kind."""
    person_id = fields.UUID(required=True)
    destroyed = fields.Dict(keys=text(64), values=integer(min=0), required=True)


class Replayed(Reply):
    replayed = fields.List(text(SHORT), required=True, validate=validate.Length(max=10_000),
                           metadata={"description": "the event ids sent back to the inbox"})
