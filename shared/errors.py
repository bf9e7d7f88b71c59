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
