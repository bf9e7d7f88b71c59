"""The endpoint and event reference for portal teams and the funding office, generated from the
code itself (the marshmallow contracts of requests and replies, the roles on each entrypoint, its
docstring, the error table, the policy editions the rules read), so it cannot drift from what the
services enforce and answer.

    python -m services.reference > docs/reference.md

A test fails when docs/reference.md is not what this prints.
"""
from __future__ import annotations

import importlib
import inspect
import json
import sys
from datetime import datetime

from marshmallow import fields, validate

from services.registry import Endpoint, endpoints
from shared import policy
from shared.access import ANY, IN_REVIEW, OWN_PLACEMENT, OWN_UNIT, PUBLISHED, RELATIONSHIPS
from shared.contracts.base import (BUSINESS_DATES, HISTORIC_DATES, LONG, MANY, MAX_DEPTH, MAX_NODES,
                                   MAX_SAFE_INTEGER, MAX_STRING, PlainText, Reply)
from shared.contracts.events import CURRENT_VERSION, PAYLOADS
from shared.contracts.registry import SERVICES
from shared.errors import ERROR_CODES
from shared.identity import DEFAULT_TTL_SECONDS, ISSUERS, MAX_TTL_SECONDS, ROLES, SYSTEM_ROLE
from shared.platform.store import DEPENDENCY_TIMEOUT, READ_YOUR_WRITES_TIMEOUT

WRITE_FIELDS = ("command_id", "expected_version", "after")

# What a token must carry besides `sub`, `role`, `iss`, `iat`, `exp`, and what `sub` means, per role.
ROLE_CLAIMS = {
    "unit_contact": "`unit`: the `unit_id` of the unit the contact acts for (from `register_unit`). Without it a "
                    "contact may only register a unit; with it, they act on that unit's records only "
                    "(`roles.own_unit`)",
    "expert": "`sub` **is the expert's `expert_id`** (the person id `recommend_expert` answered, found "
              "through a keyed index: the same for both spellings of the ID number): an expert acts on and sees only their own cooperations and "
              "placements (`roles.own_placement`)",
    "officer": "`sub`: the officer's id, recorded as the actor (separation of duties compares it)",
    "reviewer": "`sub`: the reviewer's id; their scores and conflict declarations are keyed by it",
    "decision_maker": "`sub`: the decider's id; whoever audited or scored a case may not decide it",
    "funding_officer": "`sub`: the funding officer's id; whoever decided may not release",
    "auditor": "`sub`: the auditor's id",
    "operator": "`sub`: the operator's id",
}


# -- fields ------------------------------------------------------------------------------------------
def describe_field(field: fields.Field) -> str:
    if isinstance(field, fields.List):
        lengths = [v for v in field.validators if isinstance(v, validate.Length)]
        size = ""
        if lengths and lengths[0].max:
            size = f"{lengths[0].min}–{lengths[0].max} " if lengths[0].min else f"at most {lengths[0].max} "
        return f"list of {size}× ({describe_field(field.inner)})"
    if isinstance(field, fields.Nested):
        return f"`{type(field.schema).__name__}`"
    if isinstance(field, fields.Dict):
        if field.value_field is None:
            return "object (free-form)"
        keys = describe_field(field.key_field) if field.key_field is not None else "string"
        return f"object: {keys} → {describe_field(field.value_field)}"
    kind = {fields.UUID: "uuid", fields.AwareDateTime: "datetime with offset", fields.Date: "date (YYYY-MM-DD)",
            fields.Boolean: "boolean", fields.Integer: "integer", fields.String: "string"}
    name = next((label for cls, label in kind.items() if isinstance(field, cls)), type(field).__name__)
    return name + _rules(field)


def _rules(field) -> str:
    return "".join(f"; {rule}" for rule in map(describe_validator, field.validators or ()) if rule)


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
        if validator.max:
            return f"length {validator.min or 0}–{validator.max}"
        return f"length ≥ {validator.min}" if validator.min else ""
    if isinstance(validator, validate.Regexp):
        return f"matches `{validator.regex.pattern}`"
    return ""


def nested_schemas(schema, seen: dict) -> None:
    for field in schema.fields.values():
        for inner in _inner(field):
            if isinstance(inner, fields.Nested):
                nested = inner.schema
                name = type(nested).__name__
                if name not in seen:
                    seen[name] = nested
                    nested_schemas(nested, seen)


def _inner(field):
    yield field
    if isinstance(field, fields.List):
        yield from _inner(field.inner)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        yield from _inner(field.value_field)


def request_table(schema, skip=()) -> list[str]:
    rows = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, field in schema.fields.items():
        if name in skip:
            continue
        default = field.load_default
        required = "yes" if field.required else ("no" if default is None or callable(default)
                                                  else f"no (default `{default}`)")
        rows.append(f"| `{field.data_key or name}` | {describe_field(field)} | {required} | {_note(field)} |")
    return rows if len(rows) > 2 else ["(no fields)"]


def reply_table(schema) -> list[str]:
    rows = ["| field | type | present | notes |", "|---|---|---|---|"]
    for name, field in schema.fields.items():
        present = "always" if field.required else "when it applies"
        if field.allow_none:
            present += ", may be null"
        rows.append(f"| `{field.data_key or name}` | {describe_field(field)} | {present} | {_note(field)} |")
    return rows if len(rows) > 2 else ["(no fields)"]


def _note(field) -> str:
    return (field.metadata or {}).get("description", "").replace("|", "\\|")


def table_of(schema) -> list[str]:
    return reply_table(schema) if isinstance(schema, Reply) else request_table(schema)


def anchor(name: str) -> str:
    return name.lower().replace(".", "").replace("`", "").replace(" ", "-")


# -- sections ----------------------------------------------------------------------------------------
def calling() -> list[str]:
    out = ["## Calling the services", "",
           "Every endpoint is a nameko RPC method, `<service>.<method>`, taking keyword arguments only (a JSON "
           "object). The caller token travels in the context data under `authorization` (AMQP header "
           "`nameko.authorization`); a caller may add `correlation_id` (header `nameko.correlation_id`), which "
           "every event the call causes carries. How to connect, issue tokens, move business time and wait "
           "for another service: [guide.md](guide.md) and [caller-tokens.md](caller-tokens.md).", "",
           "### Roles and the token claims each needs", "",
           f"A token is an EdDSA-signed JWT with `sub`, `role`, `iss`, `iat` and `exp` (15 minutes by default "
           f"({DEFAULT_TTL_SECONDS} s), at most {MAX_TTL_SECONDS} s); `sub` is recorded as the actor of every "
           "event the call causes.", "",
           "| role | issuer (`iss`) | what the token must carry |", "|---|---|---|"]
    for issuer, roles in ISSUERS.items():
        for role in roles:
            out.append(f"| `{role}` | `{issuer}` | {ROLE_CLAIMS[role]} |")
    out += ["| `system` | none | never in a token: services act as `system:<service>` only internally |", ""]
    return out


def errors() -> list[str]:
    out = ["## Errors", "",
           "Every refusal is one structured error, `ServiceError(code, message, fields, rule)`; a non-Python "
           "client receives it as nameko's error reply, whose `value` is this JSON. No refusal changes "
           "anything.", "",
           "| code | when | retry? |", "|---|---|---|"]
    out += [f"| `{code}` | {when} | {retry} |" for code, (when, retry, _) in ERROR_CODES.items()]
    out += ["", "Examples, as a caller receives them:", ""]
    for code, (_, _, example) in ERROR_CODES.items():
        out += [f"- `{code}`: `{json.dumps(example.to_dict(), ensure_ascii=False, sort_keys=True)}`"]
    out += ["", "Each endpoint below lists the codes it can answer and the rules that can refuse it.", ""]
    return out


def consistency() -> list[str]:
    return ["## Repeatable writes, read-your-writes, waiting for other services", "",
            "- **`command_id`** (every write, 8–100 visible ASCII characters): repeating a command with the same "
            "id and payload returns the first result (`replayed: true`) and records nothing again; the same id "
            "with another payload is `command_id_reused`.",
            "- **`expected_version`** (every write, optional): the `version` the caller last saw; a stale one is "
            "`conflict` (`rule: expected_version`).",
            "- **`min_position`** (every query, optional, integer ≥ 0): a write answers `position`, the store "
            "position it reached; a query of the same service given it as `min_position` answers only from read "
            f"models that include it, waiting up to {READ_YOUR_WRITES_TIMEOUT:g} s (`not_yet_visible`, "
            "`rule: min_position`, if they have not).",
            "- **`after`** (every write, optional, 1–10 items): the streams of other services this write depends "
            "on, each `{\"service\", \"stream_id\", \"version\"}`: what the other service's write answered "
            "(its `case_id`, `unit_id`, … and `version`). The write waits until this service has applied those "
            f"events, up to {DEPENDENCY_TIMEOUT:g} s, and is otherwise refused `not_yet_visible` "
            "(`rule: after`, `fields` naming each stream still awaited and how far it got). With `after`, a "
            "`rule_violation` that depends on another service's event (for example "
            "`funding.appointment.required`) is a real \"no\", never a \"not yet\". A service accepts `after` "
            "only for the services it follows (application: registration, review, funding; review: application; "
            "funding: review, application). See [guide.md](guide.md#waiting-for-another-service).", "",
            "Both are the same mechanism as the services' own: `not_yet_visible` means retry shortly; nothing "
            "was recorded.", ""]


def compatibility() -> list[str]:
    return ["## Compatibility", "",
            "Additive changes (a new optional request field, a new reply field, a new endpoint, a new event "
            "type, a new event version that only adds fields) are made without notice: **consumers ignore "
            "reply fields, and payload fields of a known event version, that they do not know** (this "
            "reference lists every field a reply carries today, and the tests fail when a reply carries one it "
            "does not list). A breaking change is a new event version, announced three months before its "
            "first event (an event recorded in an old version is served in it for ever), or a new endpoint "
            "(`<method>_v2`; the old one served unchanged for at least six months). The whole policy: "
            "[compatibility.md](compatibility.md).", ""]


ACCESS_LOGGED = "Each answer is recorded in the service's access log: who read whose data, and when (docs/audit.md)."


def bounds() -> list[str]:
    return [f"""\
## Bounds on every value

Every value is bounded; a value outside these bounds is refused with `validation_error` naming the field,
and nothing is recorded. Replies keep to the same bounds:

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
"""]


def enumerations(all_endpoints) -> list[str]:
    """Every fixed set of values a request is validated against or a reply holds, from the validators."""
    found: dict[tuple, set[str]] = {}
    schemas: dict = {}
    for endpoint in all_endpoints:
        schemas[type(endpoint.request).__name__] = endpoint.request
        schemas[endpoint.reply.__name__] = endpoint.reply()
        nested_schemas(endpoint.request, schemas)
        nested_schemas(endpoint.reply(), schemas)
    for name, schema in schemas.items():
        for field_name, field in schema.fields.items():
            for inner in _inner(field):
                for validator in inner.validators or ():
                    if isinstance(validator, validate.OneOf):
                        found.setdefault(tuple(validator.choices), set()).add(f"{name}.{field.data_key or field_name}")
                key = getattr(inner, "key_field", None)
                for validator in (key.validators if key is not None else ()):
                    if isinstance(validator, validate.OneOf):
                        found.setdefault(tuple(validator.choices), set()).add(f"{name}.{field_name} (keys)")
    out = ["## Allowed values", "",
           "### Fixed by the contracts", "",
           "Each set below is the validator itself: a request with another value is refused `validation_error`, "
           "and a reply never holds another.", "",
           "| values | fields |", "|---|---|"]
    for values, where in sorted(found.items(), key=lambda item: sorted(item[1])[0]):
        out.append(f"| {', '.join(f'`{v}`' for v in values)} | {', '.join(f'`{w}`' for w in sorted(where))} |")
    return out + [""] + programme_a_values() + programme_b_values()


def programme_a_values() -> list[str]:
    edition = policy.current("A")
    call, unit, talent = edition["call"], edition["unit"], edition["talent"]
    paper = edition["paper_delivery"]
    service = edition["support"]["service_money"]
    criteria = edition["criteria"]
    out = [f"### Programme A: the policy edition `{edition['edition']}`", "",
           f"Read by the rules from `shared/policy/{edition['edition']}.yaml`; a value outside these is refused by "
           "the rule named (a `rule_violation`, or `validation_error` for an unknown code), not by the contract, "
           "because a new edition may change them.", "",
           f"- **The call's window** ({call['timezone']}): {call['registration_window']['opens']} to "
           f"{call['registration_window']['closes']}, both days included. It applies to `file_case` and to a "
           "case's **first** `submit` (`A.call.window`); a resubmission after a return is bound by the "
           "correction deadline instead (`A.correction.deadline`), and registration, audits, review and funding "
           "are not bound by it.",
           f"- **Ages** are reckoned on {call['age_reference_date']} (`age_reference_date`): at most "
           f"{talent['max_age']} on that day (one year older on the birthday itself; born 29 February: on "
           "1 March), unless an officer recorded a waiver (`record_age_waiver`). **\"The last "
           f"{call['recent_years']} years\"** are reckoned back from {call['recent_years_reference_date']}.",
           f"- **Months worked per year**: at least {talent['min_months_worked_per_year']}; **commitment**: at "
           f"least {talent['commitment_years']} years in Changping.",
           f"- **Categories** (`category`, `earlier_changju_category`), lowest first: "
           + ", ".join(f"`{c}` ({edition['categories'][c]['title']})" for c in edition["categories"]["order"])
           + "; a re-applicant must apply for a higher one (`A.reapplicant.higher_category`).",
           "- **Criteria** (`claims[].criterion`): " + "; ".join(
               f"`{code}` {c['title']}" + (f" (within the last {call['recent_years']} years)"
                                        if c.get("within_recent_years") else "")
               for code, c in criteria.items()) + ".",
           "- **Prize levels** (`claims[].prize_level`, criterion `1` only) and the highest rank each accepts "
           "(`claims[].rank`): " + ", ".join(f"`{level}` (rank ≤ {rank})"
                                             for level, rank in criteria["1"]["max_rank"].items())
           + "; another level does not qualify (`A.criterion.1.prize_level`).",
           f"- **Service money** (三(二)(7)): {service['yearly_yuan']:,} yuan a year for {service['years']} years; "
           "year 1 starts on the award decision's effective date (`effective_on` of the decision, in "
           "`funding.entitlements`), year n on the same day n−1 years later; `purpose` one of "
           + ", ".join(f"`{p}`" for p in service["purposes"]) + ".", ""]
    out += ["#### Registration materials (`register_unit`, `update_details`: `materials[].code`)", "",
            "| code | title | mandatory |", "|---|---|---|"]
    for m in unit["registration_materials"]:
        exempt = m.get("exempt_unit_types")
        mandatory = ("yes" + (f", except for {', '.join(f'`{t}`' for t in exempt)}" if exempt else "")
                     if m["mandatory"] else "no")
        out.append(f"| `{m['code']}` | {m['title']} | {mandatory} |")
    out += ["", "#### Case documents (`file_case`, `attach_documents`: `documents[].code`)", "",
            "| code | section | title | mandatory | ordered as entered |", "|---|---|---|---|---|"]
    for section, entries in (("unit_application", unit["application_materials"]), ("talent", talent["materials"])):
        for m in entries:
            out.append(f"| `{m['code']}` | `{section}` | {m['title']} | {'yes' if m['mandatory'] else 'no'} | "
                       f"{'yes: each document names its `entry_id`' if m.get('ordered_as_entered') else ''} |")
    out += ["", "#### Paper copies (`record_paper_delivery`: `delivery`)", "",
            "What a compliant delivery holds (四(三)); each departure is a finding, named by its rule, and the "
            "case becomes `paper_noncompliant`:", "",
            "| field | compliant value | rule |", "|---|---|---|",
            f"| `copies` | {paper['copies']} | `A.delivery.copies` |",
            f"| `binding` | `{paper['binding']}` (无线胶装) | `A.delivery.binding` |",
            f"| `cover_colour` | `{paper['cover_colour']}` (case and surrounding spaces ignored) | `A.delivery.cover_colour` |",
            f"| `double_sided` | {str(paper['double_sided']).lower()} | `A.delivery.double_sided` |",
            "| `spine_text` | holds the unit's registered name and, after it, the talent's name (单位名称+人才姓名) "
            "| `A.delivery.spine_text` |",
            f"| `has_catalogue` | {str(paper['catalogue_between_form_and_attachments']).lower()} | "
            "`A.delivery.catalogue` |",
            f"| `signed_by` | includes {', '.join(f'`{s}`' for s in paper['form_signed_by'])} | "
            "`A.delivery.signed_by` |",
            f"| `form_sealed`, `cover_sealed`, `every_attachment_sealed` | true | `A.delivery.form_sealed`, "
            "`A.delivery.cover_sealed`, `A.delivery.attachments_sealed` |",
            f"| `perforation_seals` | {paper['perforation_seals']['min']} to {paper['perforation_seals']['max']} | "
            "`A.delivery.perforation_seals` |", ""]
    return out


def programme_b_values() -> list[str]:
    edition = policy.current("B")
    expert, money = edition["expert"], edition["money"]
    return [f"### Programme B: the policy edition `{edition['edition']}`", "",
            f"Read by the rules from `shared/policy/{edition['edition']}.yaml`.", "",
            "- **Institution kinds** (`recommend_expert`: `institution_kind`; `experts`: filter): "
            + ", ".join(f"`{k['code']}` ({k['title']})" for k in expert["institution_kinds"])
            + " (`B.expert.institution`).",
            "- **Waivers** (`record_expert_waiver`: `waiver`): " + ", ".join(f"`{w}`" for w in expert["waivers"])
            + " (`B.expert.waiver`).",
            "- **Publication** needs a degree in " + ", ".join(f"`{d}`" for d in expert["qualifying_degrees"])
            + " or a title in " + ", ".join(f"`{t}`" for t in expert["qualifying_titles"])
            + f", and at least {expert['min_work_years']} years of work, unless waived.",
            f"- **Term**: {edition['term']['months']} months from `starts_on` of the appointment; an extension "
            "after a breakthrough moves its end.",
            f"- **Prizes** (`award_prize`: `level`): `first` {money['prizes']['first_yuan']:,}, `second` "
            f"{money['prizes']['second_yuan']:,}, `third` {money['prizes']['third_yuan']:,} yuan.",
            f"- **Breakthrough subsidy**: {money['breakthrough_subsidy']['percent']}% of `investment_fen`, at most "
            f"{money['breakthrough_subsidy']['cap_yuan']:,} yuan; needs the appointment (from application: "
            "pass `after`).", ""]


def endpoint_section(endpoint: Endpoint) -> list[str]:
    if endpoint.roles is None:
        roles = "anyone (no token)"
    else:
        roles = ", ".join(f"`{r}`" for r in sorted(endpoint.roles))
    request = endpoint.request
    skip = WRITE_FIELDS if endpoint.write else ()
    out = [f"### `{endpoint.name}` — {'write' if endpoint.write else 'query'}", "",
           *([endpoint.doc, ""] if endpoint.doc else []),
           f"Roles: {roles}." + claims_note(endpoint.roles), "",
           "**Request**" + (" (besides `command_id`, `expected_version` and `after`, common to every write)"
                            if endpoint.write else "") + ":", "", *request_table(request, skip), "",
           f"**Reply** `{endpoint.reply.__name__}`:" + _doc_line(endpoint.reply), "", *reply_table(endpoint.reply()),
           "", "Example reply (every field present):", "", "```json",
           json.dumps(example_of(endpoint.reply()), ensure_ascii=False, sort_keys=False), "```",
           "", *([ACCESS_LOGGED, ""] if endpoint.reads else []),
           "**Errors**: " + ", ".join(f"`{c}`" for c in codes_of(endpoint)) + "."]
    rules = endpoint.rules
    if rules:
        out[-1] += " Rules: " + ", ".join(f"`{r}`" for r in rules) + "."
    return out + [""]


EXAMPLE_ID = "5b0c7a56-0c1b-4e8e-9a57-1b8f0f6c2d11"


def example_of(schema) -> dict:
    """A reply that validates against `schema`, every declared field present (the test checks it validates):
    what a client can write its parser against before it has a running service."""
    return {field.data_key or name: example_value(name, field) for name, field in schema.fields.items()}


def example_value(name: str, field):
    if (field.metadata or {}).get("example") is not None:
        return field.metadata["example"]
    if isinstance(field, fields.Nested):
        return example_of(field.schema)
    if isinstance(field, fields.List):
        return [example_value(name, field.inner)]
    if isinstance(field, fields.Dict):
        if field.value_field is None:
            return {}
        key = example_value(name, field.key_field) if field.key_field is not None else "key"
        return {str(key): example_value(name, field.value_field)}
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    if choices:
        return choices[0]
    if isinstance(field, fields.UUID):
        return EXAMPLE_ID
    if isinstance(field, fields.AwareDateTime):
        return "2024-09-20T09:05:00+08:00"
    if isinstance(field, fields.Date):
        return "2024-09-20"
    if isinstance(field, fields.Boolean):
        return False
    if isinstance(field, fields.Integer):
        low = next((v.min for v in field.validators if isinstance(v, validate.Range) and v.min is not None), 0)
        return max(low, 1)
    if name in ("idempotency_key", "paid_key"):
        return f"{EXAMPLE_ID}:award:once"
    if any(isinstance(v, validate.Email) for v in field.validators):
        return "someone@example.cn"
    return "…"


def claims_note(roles) -> str:
    notes = []
    if roles and "unit_contact" in roles:
        notes.append("a `unit_contact`'s token carries `unit` (their unit's id)")
    if roles and "expert" in roles:
        notes.append("an `expert`'s `sub` is their `expert_id`")
    return f" Claims: {'; '.join(notes)} (see [the roles table](#roles-and-the-token-claims-each-needs))." \
        if notes else ""


def _doc_line(schema_class) -> str:
    doc = inspect.getdoc(schema_class) or ""
    parent = inspect.getdoc(schema_class.__mro__[1]) or ""
    return f" {' '.join(doc.split())}" if doc and doc != parent else ""


def codes_of(endpoint: Endpoint) -> list[str]:
    codes = ["validation_error"]
    if endpoint.roles is not None:
        codes += ["unauthenticated", "forbidden"]
    if endpoint.write:
        codes += ["command_id_reused", "conflict", "not_yet_visible"]
    else:
        codes += ["not_yet_visible"] if "min_position" in endpoint.request.fields else []
    if any(name.endswith("_id") for name in endpoint.request.fields if name not in WRITE_FIELDS) \
            or "idempotency_key" in endpoint.request.fields:
        codes.append("not_found")
    if endpoint.rules and any(not r.startswith(("roles", "registration.unique", "B.expert.unique"))
                              for r in endpoint.rules):
        codes.append("rule_violation")
    return codes + ["internal_error"]


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
    all_endpoints = endpoints()
    out = ["# Endpoint and event reference", "",
           "Generated by `python -m services.reference` from the contracts the services enforce and answer with "
           "(`shared/contracts/`, `shared/contracts/registry.py`), the roles on each entrypoint, the error table "
           "(`shared/errors.py`) and the policy editions (`shared/policy/`); do not edit. Every reply the tests "
           "receive is validated against the reply schema below, and fails on a field it does not list.", "",
           *calling(), *errors(), *consistency(), *compatibility(), *bounds(), *authorisation(), *enumerations(all_endpoints)]
    nested: dict = {}
    for service in SERVICES:
        out += [f"## `{service}` service", ""]
        for endpoint in (e for e in all_endpoints if e.service == service):
            out += endpoint_section(endpoint)
            nested_schemas(endpoint.request, nested)
            nested_schemas(endpoint.reply(), nested)
    out += ["## Nested objects", "", "Objects that requests and replies above hold.", ""]
    for name, schema in sorted(nested.items()):
        doc = inspect.getdoc(type(schema)) or ""
        out += [f"### `{name}`", "", *([" ".join(doc.split()), ""] if doc and isinstance(schema, Reply)
                                       and doc != inspect.getdoc(Reply) else []), *table_of(schema), ""]
    out += ["## Integration events", "",
            "Published on the topic exchange `<source>.events` with the event type as routing key "
            "(`<source>.<stream>.<EventName>`, three dot-separated words: bind with `<source>.<stream>.*` or "
            "`#`, never `*` inside a word), inside the envelope of `shared/contracts/envelope.py` (event id, "
            "type, schema version, case id, stream id and sequence, occurred_at = business time, recorded_at, "
            "actor, correlation and causation ids, source, position, and the source's `signature`). Consumers "
            "validate each payload against the schema of the version it declares, and ignore payload fields "
            "they do not know.", ""]
    for (event_type, version), schema in sorted(PAYLOADS.items()):
        current = " (current)" if CURRENT_VERSION[event_type] == version else ""
        doc = inspect.getdoc(schema) or ""
        inherited = doc if doc and doc != inspect.getdoc(schema.__mro__[1]) else ""
        out += [f"### `{event_type}` v{version}{current}", "", *([inherited, ""] if inherited else []),
                *request_table(schema()), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
