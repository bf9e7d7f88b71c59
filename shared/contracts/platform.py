"""Payloads of the endpoints every service has: health, catch-up, parked events."""
from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.base import PageSchema, StrictSchema, WriteSchema, identifier, integer, reason


class Health(StrictSchema):
    pass


class EventsAfter(StrictSchema):
    position = integer(min=0, required=True)
    limit = integer(min=1, max=1000, load_default=200)


class ParkedEvents(PageSchema):
    status = fields.String(validate=validate.OneOf(("parked", "replayed")), load_default="parked")


class ReplayParked(WriteSchema):
    event_id = fields.UUID(load_default=None)   # omit to replay every parked event


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
