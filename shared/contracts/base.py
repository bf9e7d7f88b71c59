"""Building blocks for strict payload schemas.

Unknown fields are refused, and a failed load becomes a `ServiceError('validation_error')` naming
each field and the rule it broke. Every value a contract accepts is bounded, here, in one place
(docs/reference.md states these bounds for portal developers; services/reference.py renders them):

- **integers** lie within ±(2^53−1) (`MAX_SAFE_INTEGER`, what a JSON client in any language can
  represent exactly), whatever narrower range a field adds: use `integer(min=…, max=…)`;
- **dates** lie within `BUSINESS_DATES` (2000-01-01 … 2100-12-31), or `HISTORIC_DATES`
  (1900-01-01 … 2100-12-31) for birth dates and past achievements: use `iso_date()`;
  **times** (`iso_datetime()`) within the business dates, with an offset;
- **strings** are valid UTF-8 (no lone surrogates), have a maximum length, and hold no control
  characters (Unicode category Cc: NUL, ESC of ANSI escapes, DEL, C1) and no bidi overrides or
  isolates (U+202A–U+202E, U+2066–U+2069); reasons and opinions (`reason()`) may hold line
  breaks and tabs, nothing else; blank text (only spaces or invisible format characters) is
  refused: use `text()` / `reason()`;
- **lists** have a maximum length (`validate.Length(max=…)` on every `fields.List`);
- **identifiers** match their whole pattern (`identifier()`: `re.fullmatch`, never `^…$`, whose `$`
  also matches before a final newline), so nothing precedes or follows them, whitespace included.
  They are not normalised: a credit code is upper case by its standard (GB 32100) and a lower-case
  one is refused; an expert's ID number is case-insensitive (its final check character may be `x`
  or `X`) and the keyed index that leads to the expert's person id reads its upper-case form
  (docs/privacy.md), so both spellings are one expert; idempotency keys, SHA-256 digests and command ids are compared exactly.
- **anything inside a free-form object** (`fields.Dict`, the event payload, unknown fields) is held
  to the same integer, UTF-8, nesting (`MAX_DEPTH`) and size (`MAX_NODES`, `MAX_STRING`) bounds by
  `load()` before the schema sees it (`check_json`).
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date as Date
from datetime import datetime as DateTime
from datetime import timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.errors import validation_error

PROGRAMMES = ("A", "B")   # A: 昌聚工程 outstanding talent; B: 科技副总 placement
SERVICES = ("registration", "application", "review", "funding")
SHORT = 200
LONG = 4000

# -- the bounds, stated once ---------------------------------------------------------------------
MAX_SAFE_INTEGER = 2**53 - 1
BUSINESS_DATES = (Date(2000, 1, 1), Date(2100, 12, 31))
HISTORIC_DATES = (Date(1900, 1, 1), Date(2100, 12, 31))
BUSINESS_TIMES = (DateTime(2000, 1, 1, tzinfo=timezone.utc), DateTime(2100, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
MANY = 1000          # the longest list an integration event carries
MAX_DEPTH = 16       # nesting of objects and lists in any payload
MAX_NODES = 20_000   # values in any payload, all levels together
MAX_STRING = 20_000  # characters of any string inside a free-form object (declared fields say less)

# Cc (C0, DEL, C1), bidi embeddings/overrides and isolates, and lone surrogates (not UTF-8)
_CONTROL = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_FORBIDDEN_LINE = re.compile(f"[{_CONTROL}]")
_FORBIDDEN_MULTILINE = re.compile("[" + _CONTROL.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f") + "]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class PlainText(validate.Validator):
    """Valid UTF-8, no control characters or bidi overrides (line breaks and tabs if `multiline`),
    not blank."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline
        self._forbidden = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_LINE

    def _repr_args(self) -> str:
        return f"multiline={self.multiline!r}"

    def __call__(self, value: str) -> str:
        found = self._forbidden.search(value)
        if found:
            char = found.group()
            what = "is not valid UTF-8 (a lone surrogate)" if _SURROGATE.match(char) else "is a control character"
            raise ValidationError(f"character {ord(char):#06x} at {found.start()} {what}; "
                                  + ("only line breaks and tabs are allowed" if self.multiline else
                                     "plain text only"))
        if is_blank(value):
            raise ValidationError("must not be blank")
        return value


def is_blank(value: str) -> bool:
    """Only whitespace and invisible format characters (zero-width spaces, BOM)."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value)


def text(max_length: int = SHORT, *, validate_also=None, multiline: bool = False, **kwargs) -> fields.String:
    rules = [validate.Length(min=1, max=max_length), PlainText(multiline),
             *([validate_also] if validate_also else [])]
    return fields.String(validate=rules, **kwargs)


def reason(**kwargs) -> fields.String:
    """A reason, opinion or need: up to LONG characters, line breaks and tabs allowed."""
    return text(LONG, multiline=True, **kwargs)


def identifier(pattern: str, error: str, max_length: int, **kwargs) -> fields.String:
    """A code that must match `pattern` whole (re.fullmatch): nothing before or after it."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), FullMatch(pattern, error=error)],
                         **kwargs)


class FullMatch(validate.Regexp):
    """`validate.Regexp` uses re.match, so `^…$` lets a final newline through; this matches the whole."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value

    def _format_error(self, value) -> str:
        return self.error   # never echo the caller's value (it may not even be printable)


def command_id() -> fields.String:
    return identifier(r"[\x21-\x7e]{8,100}", "8 to 100 visible ASCII characters (a UUID, say)", 100,
                      required=True)


def integer(min: int | None = None, max: int | None = None, **kwargs) -> fields.Integer:   # noqa: A002
    """A whole number (never a float or a string of digits) within [min, max] and always within
    ±(2^53−1)."""
    low = -MAX_SAFE_INTEGER if min is None else min
    high = MAX_SAFE_INTEGER if max is None else max
    assert -MAX_SAFE_INTEGER <= low <= high <= MAX_SAFE_INTEGER, (low, high)
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kwargs)


def yuan_fen(**kwargs) -> fields.Integer:
    """An amount in integer fen, never negative."""
    return integer(min=0, **kwargs)


def iso_date(bounds: tuple[Date, Date] = BUSINESS_DATES, **kwargs) -> fields.Date:
    """An ISO date (YYYY-MM-DD) within `bounds` (the business dates unless said otherwise)."""
    return fields.Date(validate=validate.Range(min=bounds[0], max=bounds[1]), **kwargs)


def iso_datetime(**kwargs) -> fields.AwareDateTime:
    """An ISO date and time with its offset, within the business dates."""
    return fields.AwareDateTime(validate=validate.Range(min=BUSINESS_TIMES[0], max=BUSINESS_TIMES[1]), **kwargs)


def many(inner: fields.Field, max_length: int = MANY, **kwargs) -> fields.List:
    return fields.List(inner, validate=validate.Length(max=max_length), **kwargs)


class SourceRef(StrictSchema):
    """Points a case-stream entry at the event in another service that caused it."""
    service = text(required=True)
    event_id = fields.UUID(required=True)
    type = text(required=True)
    position = integer(min=1, required=True)
    sequence = integer(min=1, required=True)
    occurred_at = iso_datetime(required=True)


class After(StrictSchema):
    """A stream of another service that a write depends on, and the version it must have reached there:
    what that service's write returned as `case_id`/`unit_id`/… and `version`."""
    service = fields.String(required=True, validate=validate.OneOf(SERVICES))
    stream_id = fields.UUID(required=True)
    version = integer(min=1, required=True)


class SourceRefV2(SourceRef):
    """v2 adds the source's record time (`recorded_at`, its store's wall clock; `occurred_at` is its
    business time), the payload's schema version, and its own cause and conversation, so an entry
    can be followed back through the services to the command that began it."""
    recorded_at = iso_datetime(required=True)
    schema_version = integer(min=1, required=True)
    causation_id = text(SHORT, required=True, allow_none=True)
    correlation_id = text(required=True)


class ActorRef(StrictSchema):
    """Who acted, as the source event recorded them (a person's id and role, or `system:<service>`)."""
    actor_id = text(required=True)
    role = text(required=True)
    unit_id = text(64, required=True, allow_none=True)


class Reported(StrictSchema):
    """What an entry that reflects another service's event carries about it (provenance.py): the
    source, who acted there, when it took effect in business time, and the facts of its payload
    (reason, rule, policy edition, amounts, office reference, dates) as JSON values."""
    source = fields.Nested(SourceRefV2, required=True)
    actor = fields.Nested(ActorRef, required=True)
    effective_at = iso_datetime(required=True)
    facts = fields.Dict(required=True)


class WriteSchema(StrictSchema):
    """Every write carries a client command id; an edit may carry the version it expects; a write that
    depends on another service's events may name them (`after`) and waits a bounded time for them."""
    command_id = command_id()
    expected_version = integer(min=1, load_default=None)
    after = fields.List(fields.Nested(After), load_default=None, validate=validate.Length(min=1, max=10))


class ReadSchema(StrictSchema):
    """A query may ask to see at least the position a write returned (read-your-writes)."""
    min_position = integer(min=0, load_default=None)


class PageSchema(ReadSchema):
    limit = integer(min=1, max=200, load_default=50)
    offset = integer(min=0, load_default=0)


# -- replies ---------------------------------------------------------------------------------------
class Reply(StrictSchema):
    """What an endpoint answers. Every field a reply may carry is declared (the tests validate every
    reply they receive against its schema and fail on an undeclared field); a field that is not
    `required` may be absent. Consumers ignore fields they do not know (docs/compatibility.md)."""


class WriteReply(Reply):
    """Every write answers the store position it reached and whether it was a repeat of an earlier
    command with the same `command_id` (which answers the first result)."""
    position = integer(min=1, required=True, metadata={"description": "store position of this write: pass it "
                                                                       "as `min_position` to a query of this service"})
    replayed = fields.Boolean(required=True, metadata={"description": "true when a repeated `command_id` "
                                                                      "answered the first result"})


def version(**kwargs) -> fields.Integer:
    return integer(min=1, required=True, metadata={"description": "the aggregate's version: pass it as "
                                                                  "`expected_version` to an edit"}, **kwargs)


def one_of(values, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


def nullable(field_factory, *args, **kwargs):
    return field_factory(*args, allow_none=True, **kwargs)


def page_of(item_schema: type[Schema], name: str, **extra) -> type[Reply]:
    """A paged list as every list query answers it: `items`, `total` (all matches), `limit`, `offset`."""
    attrs = {"items": fields.List(fields.Nested(item_schema), required=True, validate=validate.Length(max=1000)),
             "total": integer(min=0, required=True), "limit": integer(min=1, max=10_000, required=True),
             "offset": integer(min=0, required=True), **extra,
             "__doc__": f"One page of `{item_schema.__name__}` documents."}
    return type(name, (Reply,), attrs)


def check_reply(schema: Schema, reply) -> dict:
    """The errors of a reply against its schema (empty if none): undeclared, missing, mistyped or
    out-of-range fields, and values beyond the JSON bounds (`check_json`)."""
    if not isinstance(reply, dict):
        return {"_schema": [f"a reply is an object, not {type(reply).__name__}"]}
    return check_json(reply) or schema.validate(reply)


def check_json(payload) -> dict:
    """What no field may hold, wherever it is (free-form objects included): integers beyond
    ±(2^53−1), non-finite numbers, strings that are not valid UTF-8 or longer than MAX_STRING,
    nesting deeper than MAX_DEPTH, more than MAX_NODES values. Returns the errors by field path
    (marshmallow's nested shape), empty if none. Iterative: a deep payload cannot exhaust the stack."""
    errors: dict = {}
    nodes = 0
    stack = [((), payload)]
    while stack:
        path, value = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:   # named where the flood was met: the list or object that holds it
            _put(errors, path[:-1], f"more than {MAX_NODES} values in one payload")
            return errors
        problem = None
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                problem = "integers must lie within ±(2^53−1)"
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
                problem = "numbers must be finite and within ±(2^53−1)"
        elif isinstance(value, str):
            if _SURROGATE.search(value):
                problem = "not valid UTF-8 (a lone surrogate)"
            elif len(value) > MAX_STRING:
                problem = f"longer than {MAX_STRING} characters"
        elif isinstance(value, dict | list | tuple):
            if len(path) >= MAX_DEPTH:
                problem = f"nested deeper than {MAX_DEPTH} levels"
            elif isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str) or _SURROGATE.search(key) or len(key) > SHORT:
                        _put(errors, (*path, printable(key)), "field names are short valid UTF-8 strings")
                    else:
                        stack.append(((*path, key), item))
            else:
                stack.extend(((*path, index), item) for index, item in enumerate(value))
        else:
            problem = f"not a JSON value ({type(value).__name__})"
        if problem:
            _put(errors, path, problem)
    return errors


def printable(value) -> str:
    """A caller's value made safe to name in an error or a log line."""
    text_ = value if isinstance(value, str) else repr(value)
    return text_[:SHORT].encode("utf-8", "backslashreplace").decode("utf-8")


def _put(errors: dict, path: tuple, message: str) -> None:
    if not path:
        errors.setdefault("_schema", []).append(message)
        return
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):   # a message already stands at this level
            return
    node.setdefault(path[-1], [])
    if isinstance(node[path[-1]], list):
        node[path[-1]].append(message)


def load(schema: Schema, payload, *, unknown: str | None = None) -> dict:
    """Validate and load a payload; `unknown=EXCLUDE` drops undeclared fields instead of refusing them
    (a consumer reading another service's event: docs/compatibility.md)."""
    if not isinstance(payload, dict):
        raise validation_error({"_schema": ["payload must be an object of named fields"]})
    errors = check_json(payload)
    if errors:
        raise validation_error(errors)
    try:
        return schema.load(payload, unknown=unknown)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from None
