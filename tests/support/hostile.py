"""Hypothesis strategies for hostile input: strings and numbers a careless or malicious caller sends,
and payloads for any contract built from its schema's fields (each field valid-looking, hostile,
mistyped or absent, sometimes with an unknown field beside them)."""
from __future__ import annotations

from hypothesis import strategies as st
from marshmallow import fields

NASTY_CHARS = ["\x00", "\x1b[31m", "\u202e", "\u2066", "\u2069", "\x7f", "\x85", "\ud800", "\udfff", "\n", "\r",
               "\t", "\u200b", "\ufeff", "\u3000", " ", "\\", '"', "'", "%s", "{0}", "${x}", "😀", "长"]


def hostile_strings() -> st.SearchStrategy[str]:
    nasty = st.sampled_from(NASTY_CHARS)
    return st.one_of(
        st.lists(st.one_of(nasty, st.characters()), max_size=40).map("".join),
        st.builds(lambda a, b, c: a + b + c, st.text(max_size=10), nasty, st.text(max_size=10)),
        st.sampled_from(["", " ", "   ", "\n", "\u3000\u3000", "null", "None", "0", "-1", "1e400", "NaN",
                         "91110114MA26965343\n", " 91110114MA26965343", "0001-01-01", "9999-12-31",
                         "2024-02-30", "2024-09-20\n", "00000000-0000-0000-0000-000000000000\n"]),
        st.integers(min_value=201, max_value=5000).map(lambda n: "长" * n),
    )


def hostile_numbers() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from([2**53, -(2**53), 2**63, -(2**63), 10**30, -(10**30), 2**53 - 1, -1, 0, 1.5, -0.0]),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def hostile_values() -> st.SearchStrategy:
    scalar = st.one_of(hostile_strings(), hostile_numbers(), st.none(), st.booleans())
    return st.one_of(scalar,
                     st.lists(scalar, max_size=3),
                     st.dictionaries(hostile_strings(), scalar, max_size=2),
                     st.integers(min_value=1000, max_value=3000).map(lambda n: ["x"] * n))


def plausible(field: fields.Field) -> st.SearchStrategy:
    """A value of the right type (not necessarily acceptable to the rules)."""
    if isinstance(field, fields.UUID):
        return st.uuids().map(str)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Integer):
        return st.integers(min_value=0, max_value=1000)
    if isinstance(field, fields.DateTime):
        return st.just("2024-09-20T09:00:00+08:00")
    if isinstance(field, fields.Date):
        return st.dates().map(str)
    if isinstance(field, fields.List):
        return st.lists(plausible(field.inner), max_size=2)
    if isinstance(field, fields.Nested):
        return object_for(field.schema)
    if isinstance(field, fields.Dict):
        return st.just({})
    choices = next((v.choices for v in field.validators if hasattr(v, "choices")), None)
    if choices:
        return st.sampled_from(list(choices))
    return st.text(min_size=1, max_size=20)


def value_for(field: fields.Field) -> st.SearchStrategy:
    if isinstance(field, fields.String | fields.UUID | fields.Date):
        hostile = hostile_strings()
    elif isinstance(field, fields.Integer):
        hostile = hostile_numbers()
    else:
        hostile = hostile_values()
    return st.one_of(plausible(field), hostile, hostile_values())


@st.composite
def object_for(draw, schema, depth: int = 0) -> dict:
    payload = {}
    for name, field in schema.fields.items():
        if draw(st.integers(0, 3)) == 0:
            continue   # absent
        payload[name] = draw(value_for(field) if depth < 2 else plausible(field))
    if draw(st.integers(0, 5)) == 0:
        payload[draw(hostile_strings())] = draw(hostile_values())
    return payload


def hostile_payloads(schema) -> st.SearchStrategy[dict]:
    """Payloads for `schema` in which at least one value is hostile (so most are refused)."""
    @st.composite
    def build(draw):
        payload = draw(object_for(schema))
        names = list(schema.fields)
        if names:   # one field surely hostile
            name = draw(st.sampled_from(names))
            field = schema.fields[name]
            payload[name] = draw(hostile_strings() if isinstance(field, fields.String | fields.UUID | fields.Date)
                                 else hostile_numbers() if isinstance(field, fields.Integer) else hostile_values())
        return payload
    return build()
