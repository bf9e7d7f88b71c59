"""Building blocks for strict payload schemas.

Unknown fields are refused, strings have a maximum length, and a failed load becomes a
`ServiceError('validation_error')` naming each field and the rule it broke.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.errors import validation_error

PROGRAMMES = ("A", "B")   # A: 昌聚工程 outstanding talent; B: 科技副总 placement
SHORT = 200
LONG = 4000


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def text(max_length: int = SHORT, *, validate_also=None, **kwargs) -> fields.String:
    rules = [validate.Length(min=1, max=max_length), *([validate_also] if validate_also else [])]
    return fields.String(validate=rules, **kwargs)


def reason(**kwargs) -> fields.String:
    return text(LONG, **kwargs)


def command_id() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=8, max=100))


def yuan_fen(**kwargs) -> fields.Integer:
    """An amount in integer fen, never negative."""
    return fields.Integer(strict=True, validate=validate.Range(min=0), **kwargs)


class SourceRef(StrictSchema):
    """Points a case-stream entry at the event in another service that caused it."""
    service = text(required=True)
    event_id = fields.UUID(required=True)
    type = text(required=True)
    position = fields.Integer(strict=True, required=True)
    sequence = fields.Integer(strict=True, required=True)
    occurred_at = fields.AwareDateTime(required=True)


class WriteSchema(StrictSchema):
    """Every write carries a client command id; an edit may carry the version it expects."""
    command_id = command_id()
    expected_version = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=None)


class ReadSchema(StrictSchema):
    """A query may ask to see at least the position a write returned (read-your-writes)."""
    min_position = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=None)


class PageSchema(ReadSchema):
    limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=200), load_default=50)
    offset = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=0)


def load(schema: Schema, payload) -> dict:
    if not isinstance(payload, dict):
        raise validation_error({"_schema": ["payload must be an object of named fields"]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from None
