"""The endpoint and event reference for portal teams and the funding office, generated from the
code itself (the marshmallow contracts, the roles on each entrypoint, its docstring), so it
cannot drift from what the services enforce.

    python -m services.reference > docs/reference.md

A test fails when docs/reference.md is not what this prints.
"""
from __future__ import annotations

import importlib
import inspect
import sys
from datetime import datetime

from marshmallow import fields, validate

from shared.contracts.base import (BUSINESS_DATES, HISTORIC_DATES, LONG, MANY, MAX_DEPTH, MAX_NODES,
                                   MAX_SAFE_INTEGER, MAX_STRING, PlainText)
from shared.access import ANY, IN_REVIEW, OWN_PLACEMENT, OWN_UNIT, PUBLISHED, RELATIONSHIPS
from shared.contracts.events import CURRENT_VERSION, PAYLOADS
from shared.identity import ROLES, SYSTEM_ROLE

SERVICES = ("registration", "application", "review", "funding")
COMMON_ERRORS = """\
Every endpoint answers a refusal with one structured error, `ServiceError(code, message, fields, rule)`:

| code | when | changes anything? |
|---|---|---|
| `validation_error` | a field is missing, unknown, mistyped or out of range; `fields` names each one and the rule it broke | no |
| `unauthenticated` | the caller token is missing, malformed, expired or too long-lived, not EdDSA-signed by a registered issuer key, or names a role its issuer may not grant (or `system`): docs/caller-tokens.md | no |
| `forbidden` | the caller's role may not call this endpoint (`rule: roles`), or the caller lacks the relationship to the record their role needs (`rule: roles.own_unit`, `roles.own_placement`, `roles.in_review`, `roles.published`): see "Who may call what" | no |
| `not_found` | the case, unit or review does not exist (yet: see `min_position`) | no |
| `rule_violation` | a policy or process rule refuses the command; `rule` names it (below, per endpoint) | no |
| `conflict` | `expected_version` is stale (`rule: expected_version`), or a unique fact exists already | no |
| `command_id_reused` | the same `command_id` came with a different payload | no |
| `not_yet_visible` | a query's `min_position` was not reached within 2 s; retry | no |
| `internal_error` | an unexpected failure; quote the correlation id | no |

Writes take a client `command_id` (8–100 characters): repeating a command with the same id and payload
returns the first result (`replayed: true`) and records nothing again. An edit may carry
`expected_version`. Writes return `position`; a query given `min_position` answers from read models
that include it.
"""


def bounds() -> str:
    return f"""\
Every value is bounded; a value outside these bounds is refused with `validation_error` naming the field,
and nothing is recorded:

- **integers** are whole JSON numbers (never floats or strings of digits) within ±(2^53−1)
  (±{MAX_SAFE_INTEGER:,}), what a JSON client in any language represents exactly; a field's own range,
  below, is narrower;
- **dates** (`YYYY-MM-DD`) lie within {BUSINESS_DATES[0]} … {BUSINESS_DATES[1]}; birth dates and the dates of
  past achievements (`birth_date`, `achieved_on`) within {HISTORIC_DATES[0]} … {HISTORIC_DATES[1]} (a birth
  date after the call's reference date is refused by the eligibility rules); **date-times** carry an offset
  and lie within the same business dates;
- **strings** are valid UTF-8 (no lone surrogates), no longer than the length given per field, not blank
  (only spaces or invisible characters), and hold no control characters (Unicode category Cc: NUL, tab,
  line breaks, ESC and so ANSI escapes, DEL, C1) nor bidi embeddings, overrides or isolates (U+202A–U+202E,
  U+2066–U+2069); reasons, opinions and needs (the fields of up to {LONG} characters) may hold line breaks
  and tabs;
- **identifiers** (`credit_code`, `id_number`, `sha256`, `idempotency_key`, `command_id`) must match their
  pattern whole, so no surrounding spaces or final newline. A credit code is upper case by its standard
  (a lower-case one is refused); an expert's `id_number` is case-insensitive (`…123x` and `…123X` are one
  expert); the others are compared exactly. `command_id` is 8–100 visible ASCII characters;
- **lists** have the maximum length given per field (an integration event's lists at most {MANY});
- **objects** nest at most {MAX_DEPTH} levels and hold at most {MAX_NODES:,} values; a string inside a free-form
  object is at most {MAX_STRING:,} characters.

A request the services cannot read at all (a body that is not a JSON object with `args` and `kwargs`, any
other content type than `application/json`, an unknown method, malformed context headers) is answered
with the same `validation_error` (field `_body`, `_headers…` or `_method`) if it carries a `reply_to`
(nameko's: a uuid), and dropped otherwise.
"""


def describe_field(field: fields.Field) -> str:
    if isinstance(field, fields.List):
        return f"list of {describe_field(field.inner)}"
    if isinstance(field, fields.Nested):
        return f"`{type(field.schema).__name__}`"
    kind = {fields.UUID: "uuid", fields.AwareDateTime: "datetime with offset", fields.Date: "date (YYYY-MM-DD)",
            fields.Boolean: "boolean", fields.Integer: "integer", fields.Dict: "object",
            fields.String: "string"}
    name = next((label for cls, label in kind.items() if isinstance(field, cls)), type(field).__name__)
    return name + "".join(f"; {rule}" for rule in map(describe_validator, field.validators or ()) if rule)


def describe_validator(validator) -> str:
    if isinstance(validator, validate.OneOf):
        return "one of " + ", ".join(f"`{c}`" for c in validator.choices)
    if isinstance(validator, validate.Range):
        if (validator.min, validator.max) in (BUSINESS_DATES, HISTORIC_DATES):
            return f"{validator.min} … {validator.max}"
        if isinstance(validator.min, datetime):
            return ""   # the business dates, said once above
        low = "" if validator.min in (None, -MAX_SAFE_INTEGER) else f"≥ {validator.min}"
        high = "" if validator.max in (None, MAX_SAFE_INTEGER) else f"≤ {validator.max}"
        return " ".join(p for p in (low, high) if p)
    if isinstance(validator, PlainText):
        return "line breaks and tabs allowed" if validator.multiline else ""
    if isinstance(validator, validate.Length):
        return f"length {validator.min or 0}–{validator.max}" if validator.max else f"length ≥ {validator.min}"
    if isinstance(validator, validate.Regexp):
        return f"matches `{validator.regex.pattern}`"
    return ""


def nested_schemas(schema, seen: dict) -> None:
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            nested = inner.schema
            name = type(nested).__name__
            if name not in seen:
                seen[name] = nested
                nested_schemas(nested, seen)


def field_table(schema, skip=("command_id", "expected_version", "min_position")) -> list[str]:
    rows = ["| field | type | required |", "|---|---|---|"]
    for name, field in schema.fields.items():
        if name in skip:
            continue
        default = field.load_default
        required = "yes" if field.required else ("no" if default is None or callable(default)
                                                  else f"no (default `{default}`)")
        rows.append(f"| `{name}` | {describe_field(field)} | {required} |")
    return rows if len(rows) > 2 else ["(no fields)"]


def service_class(name: str):
    module = importlib.import_module(f"services.{name}.service")
    return next(cls for _, cls in inspect.getmembers(module, inspect.isclass)
                if getattr(cls, "name", None) == name and cls.__module__ == module.__name__)


def endpoints(cls) -> list[tuple[str, object, str]]:
    found = []
    for name in sorted(dir(cls)):
        method = getattr(cls, name)
        contract = getattr(method, "contract", None)
        if contract is not None:
            found.append((name, contract, inspect.getdoc(method) or ""))
    return found


def access_table(name: str) -> object:
    return importlib.import_module(f"services.{name}.access").TABLE


CALLER_ROLES = tuple(role for role in ROLES if role != SYSTEM_ROLE)
SHORT = {ANY: "any", OWN_UNIT: "own unit", OWN_PLACEMENT: "self", IN_REVIEW: "in review", PUBLISHED: "published"}


def authorisation() -> list[str]:
    """Who may call what, from each service's access table (services/<service>/access.py)."""
    out = ["## Who may call what", "",
           "Each service decides every call from the caller's role and their relationship to the record it "
           "names, in one table per service (`services/<service>/access.py`, rendered here; the test that walks "
           "every endpoint with a token of every role, related and unrelated, reads the same tables). A role "
           "without a cell is refused `forbidden` with rule `roles` before the payload is read; a caller "
           "without the relationship in their cell is refused `forbidden` with rule `roles.<relationship>` "
           "(several in a cell: any of them suffices). The relationships:", "",
           "| relationship | in the table | the caller may act on |", "|---|---|---|"]
    out += [f"| `{name}` | {SHORT[name]} | {text} |" for name, text in RELATIONSHIPS.items()]
    out += ["", "`health` takes no token. There is no reviewer assignment yet: a reviewer works on any case "
            "handed to reviewers.", ""]
    for service in SERVICES:
        table = access_table(service)
        out += [f"### `{service}`", "", "| endpoint | " + " | ".join(f"`{r}`" for r in CALLER_ROLES) + " |",
                "|---|" + "---|" * len(CALLER_ROLES)]
        for endpoint in sorted(table.rows):
            if table.public(endpoint):
                cells = ["anyone, no token"] + [""] * (len(CALLER_ROLES) - 1)
            else:
                cells = [" or ".join(SHORT[r] for r in table.relationships(endpoint, role)) or "—"
                         for role in CALLER_ROLES]
            out.append(f"| `{endpoint}` | " + " | ".join(cells) + " |")
        out.append("")
    return out


def render() -> str:
    out = ["# Endpoint and event reference", "",
           "Generated by `python -m services.reference` from the contracts the services enforce; do not edit.",
           "", "## Errors, repeatable writes and read-your-writes", "", COMMON_ERRORS,
           "## Bounds on every value", "", bounds(), *authorisation()]
    nested: dict = {}
    for service in SERVICES:
        out += [f"## `{service}` service", ""]
        for name, contract, doc in endpoints(service_class(service)):
            roles = "anyone (no token)" if contract.roles is None else ", ".join(f"`{r}`" for r in sorted(contract.roles))
            out += [f"### `{service}.{name}` — {'write' if contract.write else 'query'}", "",
                    *([doc, ""] if doc else []), f"Roles: {roles}.", "", *field_table(contract.schema), ""]
            nested_schemas(contract.schema, nested)
    out += ["## Nested payloads", ""]
    for name, schema in sorted(nested.items()):
        out += [f"### `{name}`", "", *field_table(schema, skip=()), ""]
    out += ["## Integration events", "",
            "Published on the topic exchange `<source>.events` with the event type as routing key, inside the "
            "envelope of `shared/contracts/envelope.py` (event id, type, schema version, case id, stream id and "
            "sequence, occurred_at = business time, recorded_at, actor, correlation and causation ids, source, "
            "position). Consumers validate each payload against the schema of the version it declares.", ""]
    for (event_type, version), schema in sorted(PAYLOADS.items()):
        current = " (current)" if CURRENT_VERSION[event_type] == version else ""
        doc = inspect.getdoc(schema) or ""
        inherited = doc if doc and doc != inspect.getdoc(schema.__mro__[1]) else ""
        out += [f"### `{event_type}` v{version}{current}", "", *([inherited, ""] if inherited else []),
                *field_table(schema(), skip=()), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
