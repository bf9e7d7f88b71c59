"""The marshmallow contracts as JSON Schema (draft 2020-12), for clients in any language.

    JsonSchemas().of(contracts.RegisterUnit())     # {"type": "object", "properties": …}

A small converter of our own: marshmallow-jsonschema, the usual library, is unmaintained (draft-07,
no release for marshmallow 4), and we need the bounds our fields carry (`base.py`) to survive the
translation. It knows exactly the field types and validators the contracts use and raises
`Unconvertible` on anything else, so a new kind of field cannot leave a hole in the published schemas.

The schemas it writes use only keywords that draft-07 and 2020-12 read alike (no `$defs`-only or
`prefixItems` forms inside a schema), so the same dictionaries serve as standalone 2020-12 files
(`docs/schemas/`) and as AsyncAPI 3.0 schemas (a draft-07 superset) in `docs/asyncapi.yaml`. A
nested schema becomes a named definition, referenced through `ref(name)`.

Patterns state what keywords cannot: plain text (no control characters or bidi overrides, and not
blank: at least one character that is neither white space nor invisible), identifiers matched whole,
and the years of a date's bounds (with `format: date`, that is the whole range). What JSON Schema cannot
say is said in `description`: the bounds of a date-time, and cross-field rules a schema checks in Python
(`@validates_schema`). Everything else the services check, the schema states.
"""
from __future__ import annotations

import inspect
import re
from datetime import date, datetime
from functools import cache
from typing import Callable

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, fields, validate

from shared.contracts import base
from shared.contracts.base import FullMatch, PlainText, _FORBIDDEN_LINE, _FORBIDDEN_MULTILINE


class Unconvertible(TypeError):
    """A field type or validator the converter does not know: teach it, do not skip it."""


def definition_name(schema_class: type) -> str:
    """A nested schema's name: its module's last part and its class, unique across the contracts
    (`application.DocumentRef` is a request's, `events.DocumentRef` an event's)."""
    return f"{schema_class.__module__.rsplit('.', 1)[-1]}.{schema_class.__name__}"


def _ecma_class(python_class: str) -> str:
    """A Python character class of \\xNN / \\uNNNN ranges, written with \\u escapes (ECMA-262 and
    Python read them alike)."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: "\\u00" + m.group(1).lower(),
                  python_class.encode("unicode_escape").decode("ascii").replace("\\\\", "\\"))


# The end of the text, alike in ECMA-262 and Python: `$` in Python also matches before a final
# newline (and jsonschema's Python validators use re.search), so nothing may follow instead.
END = "(?![\\s\\S])"


def _class_of(codepoints: list[int]) -> str:
    """A character class body for these code points, as ranges: \\uXXXX escapes in the BMP, the
    characters themselves beyond it (ECMA-262 with the `u` flag and Python read both alike)."""
    def one(point: int) -> str:
        return f"\\u{point:04x}" if point <= 0xFFFF else chr(point)
    parts, start = [], None
    for index, point in enumerate(codepoints):
        if start is None:
            start = point
        if index + 1 == len(codepoints) or codepoints[index + 1] != point + 1:
            parts.append(one(start) if start == point else f"{one(start)}-{one(point)}")
            start = None
    return "".join(parts)


@cache
def _not_blank() -> str:
    """A lookahead for at least one character that is neither white space nor an invisible format
    character (base.is_blank), as this Python's Unicode database has them."""
    blank = [point for point in range(0x110000) if not 0xD800 <= point <= 0xDFFF and base.is_blank(chr(point))]
    return f"(?=[\\s\\S]*[^{_class_of(blank)}])"


@cache
def _plain_text(multiline: bool) -> str:
    forbidden = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_LINE).pattern[1:-1]
    return "^" + _not_blank() + "[^" + _ecma_class(forbidden) + "]*" + END


def _years(first: int, last: int) -> str:
    """An alternation matching the four-digit years first … last."""
    parts, year = [], first
    while year <= last:
        if year % 100 == 0 and year + 99 <= last:
            parts.append(f"{year // 100}[0-9]{{2}}")
            year += 100
        else:
            parts.append(str(year))
            year += 1
    return "|".join(parts)

_BASE_TYPES: dict[type, Callable[[fields.Field], dict]] = {
    fields.String: lambda f: {"type": "string"},
    fields.UUID: lambda f: {"type": "string", "format": "uuid"},
    fields.Boolean: lambda f: {"type": "boolean"},
    fields.Date: lambda f: {"type": "string", "format": "date"},
    fields.AwareDateTime: lambda f: {"type": "string", "format": "date-time",
                                     "description": "ISO 8601 date and time with its offset"},
    fields.Email: lambda f: {"type": "string", "format": "email"},
}


class JsonSchemas:
    """Converts schemas and collects the nested ones as named definitions (`definitions`)."""

    def __init__(self, ref: Callable[[str], str] = lambda name: f"#/$defs/{name}"):
        self.ref = ref
        self.definitions: dict[str, dict] = {}

    # -- schemas ---------------------------------------------------------------------------------
    def document(self, schema: Schema) -> dict:
        """A self-contained JSON Schema document: `schema` and the definitions it refers to."""
        out = {"$schema": "https://json-schema.org/draft/2020-12/schema", **self.of(schema)}
        if self.definitions:
            out["$defs"] = self.definitions
        return out

    def of(self, schema: Schema) -> dict:
        unknown = schema.unknown if schema.unknown is not None else RAISE
        if unknown not in (RAISE, EXCLUDE, INCLUDE):
            raise Unconvertible(f"{type(schema).__name__}: unknown={unknown!r}")
        if schema.only or schema.exclude:
            raise Unconvertible(f"{type(schema).__name__}: only/exclude")
        properties, required = {}, []
        for name, field in schema.fields.items():
            if field.load_only or field.dump_only:
                raise Unconvertible(f"{type(schema).__name__}.{name}: load_only/dump_only")
            key = field.data_key or name
            properties[key] = self.field(field, f"{type(schema).__name__}.{name}")
            if field.required:
                required.append(key)
        out: dict = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        out["additionalProperties"] = unknown != RAISE   # RAISE refuses them; EXCLUDE drops them
        doc = _own_doc(type(schema))
        rules = _cross_field_rules(type(schema))
        if rules:
            doc = (doc + " " if doc else "") + "The service also checks: " + "; ".join(rules) + "."
        if doc:
            out["description"] = doc
        return out

    def nested(self, schema: Schema) -> dict:
        name = definition_name(type(schema))
        if name not in self.definitions:
            self.definitions[name] = {}           # a placeholder: a schema may nest itself
            self.definitions[name] = {"title": name, **self.of(schema)}
        return {"$ref": self.ref(name)}

    # -- fields ----------------------------------------------------------------------------------
    def field(self, field: fields.Field, where: str) -> dict:
        out = self._typed(field, where)
        notes = [field.metadata["description"]] if field.metadata.get("description") else []
        notes += [out.pop("description")] if "description" in out else []
        for validator in field.validators:
            notes += self._validator(validator, out, where)
        if notes:
            out["description"] = "; ".join(notes)
        if field.allow_none:
            out = _nullable(out)
        return out

    def _typed(self, field: fields.Field, where: str) -> dict:
        if isinstance(field, fields.Nested):
            if field.many or field.only or field.exclude:
                raise Unconvertible(f"{where}: Nested with many/only/exclude")
            return self.nested(field.schema)
        if type(field) is fields.List:
            return {"type": "array", "items": self.field(field.inner, where + "[]")}
        if type(field) is fields.Dict:
            out: dict = {"type": "object"}
            if field.key_field is not None:
                out["propertyNames"] = self.field(field.key_field, where + ".<key>")
            if field.value_field is not None:
                out["additionalProperties"] = self.field(field.value_field, where + ".<value>")
            return out
        if type(field) is fields.Integer:
            if not field.strict:
                raise Unconvertible(f"{where}: a non-strict Integer also loads strings of digits")
            return {"type": "integer"}
        base = _loads_as(type(field))
        if base is None:
            raise Unconvertible(f"{where}: field type {type(field).__name__} is unknown to the converter")
        return _BASE_TYPES[base](field)

    def _validator(self, validator, out: dict, where: str) -> list[str]:
        """Adds what `validator` checks to `out`; returns what JSON Schema cannot state. Exact types only:
        a subclass (ContainsOnly is a OneOf) may check something else."""
        if type(validator) is validate.Length:
            if validator.equal is not None:
                low = high = validator.equal
            else:
                low, high = validator.min, validator.max
            prefix = "Items" if out.get("type") == "array" else "Length" if out.get("type") == "string" else None
            if prefix is None:
                raise Unconvertible(f"{where}: Length on a {out.get('type')}")
            if low:
                out[f"min{prefix}"] = low
            if high is not None:
                out[f"max{prefix}"] = high
            return []
        if type(validator) is validate.Range:
            low, high = validator.min, validator.max
            if isinstance(low, (date, datetime)) or isinstance(high, (date, datetime)):
                whole_years = (type(low) is date and type(high) is date and (low.month, low.day) == (1, 1)
                               and (high.month, high.day) == (12, 31) and out.get("format") == "date")
                if whole_years:   # with format "date", the year says it all
                    _add_pattern(out, f"^(?:{_years(low.year, high.year)})-", where)
                return [f"from {_iso(low)} to {_iso(high)}"]
            if low is not None:
                out["minimum" if validator.min_inclusive else "exclusiveMinimum"] = low
            if high is not None:
                out["maximum" if validator.max_inclusive else "exclusiveMaximum"] = high
            return []
        if type(validator) is validate.OneOf:
            out["enum"] = list(validator.choices)
            return []
        if type(validator) is PlainText:
            name = "text.multiline" if validator.multiline else "text.line"
            self.definitions.setdefault(name, {
                "title": name, "pattern": _plain_text(validator.multiline),
                "description": "plain text: no control characters (Unicode Cc) nor bidi embeddings, overrides or "
                               "isolates" + (" (line breaks and tabs allowed)" if validator.multiline else "")
                               + ", and not blank (at least one character that is neither white space nor an "
                                 "invisible format character)"})
            out.setdefault("allOf", []).append({"$ref": self.ref(name)})   # allOf: draft-07 ignores $ref's siblings
            return []
        if type(validator) is FullMatch:
            _add_pattern(out, f"^(?:{validator.regex.pattern}){END}", where)
            return []
        if type(validator) is validate.Regexp:
            _add_pattern(out, f"^(?:{validator.regex.pattern})", where)
            return []
        if type(validator) is validate.Email:
            out["format"] = "email"
            return []
        raise Unconvertible(f"{where}: validator {type(validator).__name__} is unknown to the converter")


def _loads_as(field_class: type) -> type | None:
    """The known type a field class loads as: itself, or the nearest known base if the class does
    not change how values load (it may change how they dump, like funding's IsoDate)."""
    for cls in field_class.__mro__:
        if cls in _BASE_TYPES:
            return cls
        if "_deserialize" in vars(cls) or "deserialize" in vars(cls):
            return None
    return None


def _add_pattern(out: dict, pattern: str, where: str) -> None:
    if "pattern" in out:
        raise Unconvertible(f"{where}: two patterns")
    out["pattern"] = pattern


def _nullable(out: dict) -> dict:
    if "$ref" in out:
        return {"anyOf": [out, {"type": "null"}]}
    out = dict(out)
    out["type"] = [out["type"], "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _iso(value) -> str:
    return "…" if value is None else value.isoformat()


def _own_doc(cls: type) -> str:
    """The class's docstring, unless it only inherits one."""
    doc = inspect.getdoc(cls) or ""
    parent = next((base for base in cls.__mro__[1:] if base is not object), None)
    if doc and parent is not None and doc == (inspect.getdoc(parent) or ""):
        return ""
    return " ".join(doc.split())


def _cross_field_rules(cls: type) -> list[str]:
    """The `@validates_schema` methods of a schema, named by their docstring or name."""
    found = []
    for name in sorted(dir(cls)):
        method = getattr(cls, name, None)
        hooks = getattr(method, "__marshmallow_hook__", None) or {}
        if "validates_schema" in hooks:
            found.append(inspect.getdoc(method) or name.strip("_").replace("_", " "))
    return found
