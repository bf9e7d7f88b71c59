"""Refusals, and the one error type callers receive.

Domain and application code refuse a command by raising a `Refused` (a rule broken, a
record not found, an actor not allowed, a conflict, an invalid value), each carrying a
stable `code`, a human `message`, the offending `fields` and the policy `rule` it names.
None of them knows about RPC.

Callers receive `ServiceError(code, message, fields, rule)`: the endpoint layer turns a
`Refused` into one in a single place (`ServiceError.of`). It survives nameko's RPC
serialisation: a caller that imports `shared.platform` (or `shared.client`) gets this class
back; any other caller gets a `RemoteError` whose value is this error as JSON. Never a
traceback.
"""
from __future__ import annotations

import json


class Refused(Exception):
    """A command or query refused for a reason the caller can act on."""
    code = "rule_violation"

    def __init__(self, message: str, *, rule: str | None = None, fields: dict | None = None):
        self.message, self.rule, self.fields = message, rule, fields or {}
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class RuleViolation(Refused):
    code = "rule_violation"


class Invalid(Refused):
    code = "validation_error"


class NotFound(Refused):
    code = "not_found"


class Forbidden(Refused):
    code = "forbidden"


class Unauthenticated(Refused):
    code = "unauthenticated"


class Conflict(Refused):
    code = "conflict"


class CommandIdReused(Refused):
    code = "command_id_reused"


def validation_error(fields: dict, message: str = "payload is invalid") -> Invalid:
    return Invalid(message, fields=fields)


def not_found(what: str, ident) -> NotFound:
    return NotFound(f"{what} {ident} does not exist")


def forbidden(message: str, rule: str | None = None) -> Forbidden:
    return Forbidden(message, rule=rule)


def unauthenticated(message: str) -> Unauthenticated:
    return Unauthenticated(message)


def conflict(message: str, rule: str | None = None) -> Conflict:
    return Conflict(message, rule=rule)


def rule_violation(rule: str, message: str, fields: dict | None = None) -> RuleViolation:
    """A policy or lifecycle rule refused the command; `rule` names it (e.g. 'A.unit.approved')."""
    return RuleViolation(message, rule=rule, fields=fields)


class NotYet(Exception):
    """An inbound event arrived before another it depends on (from a different source).
    The inbox retries it later instead of counting it as a failure."""


class ServiceError(Exception):
    """What an RPC caller receives."""

    def __init__(self, code: str, message: str, fields: dict | None = None, rule: str | None = None):
        self.code = code
        self.message = message
        self.fields = fields or {}
        # nameko serialises args with str(); an absent rule comes back as "None"
        self.rule = rule if rule not in ("", "None") else None
        super().__init__(code, message, self.fields, rule)

    @classmethod
    def of(cls, refusal: Refused) -> ServiceError:
        return cls(refusal.code, refusal.message, refusal.fields, refusal.rule)

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message, "fields": self.fields}
        if self.rule:
            out["rule"] = self.rule
        return out

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


# Every code a caller can receive: when, whether it is worth retrying, and an example of the error as
# a caller sees it (`ServiceError.to_dict()`). docs/reference.md is rendered from this table, and a test
# checks that every code the code base raises is in it.
ERROR_CODES: dict[str, tuple[str, str, ServiceError]] = {
    "validation_error": (
        "a field is missing, unknown, mistyped or out of range; `fields` names each one and the rule it broke",
        "no: correct the payload",
        ServiceError("validation_error", "payload is invalid",
                     {"credit_code": ["must be an 18-character unified credit code"], "surprise": ["Unknown field."]})),
    "unauthenticated": (
        "the caller token is missing, malformed, expired or too long-lived, not EdDSA-signed by a registered "
        "issuer key, or names a role its issuer may not grant (docs/caller-tokens.md)",
        "with a new token",
        ServiceError("unauthenticated", "the caller token has expired")),
    "forbidden": (
        "the token is good but its role may not call this endpoint (`rule: roles`), or the caller acts on "
        "another unit's or another party's records (`roles.own_unit`, `roles.own_cooperation`), or separation "
        "of duties forbids it",
        "no",
        ServiceError("forbidden", "a unit contact may act only on their own unit", rule="roles.own_unit")),
    "not_found": (
        "the case, unit, expert, cooperation or review does not exist in this service (yet: a record another "
        "service's event creates appears a moment after that event; see `min_position` and `after`)",
        "only if it is on its way",
        ServiceError("not_found", "case 5b0c7a56-0c1b-4e8e-9a57-1b8f0f6c2d11 does not exist")),
    "rule_violation": (
        "a policy or process rule refuses the command; `rule` names it (listed per endpoint below)",
        "no (unless the rule depends on another service's event: pass `after`)",
        ServiceError("rule_violation", "the changju-2024 call takes applications from 2024-09-14 to 2024-10-20 "
                     "(Beijing time); today is 2024-10-21",
                     {"programme": ["outside the filing window 2024-09-14..2024-10-20"]}, rule="A.call.window")),
    "conflict": (
        "`expected_version` is stale (`rule: expected_version`), or a unique fact exists already "
        "(`registration.unique`, `B.expert.unique`, …)",
        "after reading the current version",
        ServiceError("conflict", "the record is at version 6, not 5; reload and retry", rule="expected_version")),
    "command_id_reused": (
        "the same `command_id` came with a different payload",
        "no: a new command needs a new id",
        ServiceError("command_id_reused", "command id '0b9d6f5e-1c1e-4f7a-8a55-3d0c2b6e9f10' was already used "
                     "for a different command")),
    "not_yet_visible": (
        "a query's `min_position` was not reached by the read models within 2 s (`rule: min_position`), or a "
        "write's `after` streams were not applied within 5 s (`rule: after`); `fields` says what it waits for. "
        "Nothing was recorded",
        "yes, shortly",
        ServiceError("not_yet_visible", "funding has not yet received the events this write depends on; nothing "
                     "was recorded: retry shortly",
                     {"after": {"0": ["waiting for application stream 5b0c7a56-0c1b-4e8e-9a57-1b8f0f6c2d11 at "
                                      "version 6; funding has applied it up to version 5"]}}, rule="after")),
    "internal_error": (
        "an unexpected failure; the message carries a correlation id to quote, never a traceback",
        "yes, with the same `command_id`",
        ServiceError("internal_error", "internal error; quote correlation id 3f1e9a2c-…")),
}
