"""The one error type callers receive.

Every refusal a service makes — bad payload, unknown case, missing token, a policy rule —
is a `ServiceError` with a stable `code`, a human `message` and, for payloads, the
offending `fields`. It survives nameko's RPC serialisation: a caller that imports `shared.platform` (or
`shared.client`) gets this exception class back; any other caller gets a `RemoteError`
whose value is this error as JSON. Never a traceback. Framework-free: domain code raises it.
"""
from __future__ import annotations

import json


class ServiceError(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None, rule: str | None = None):
        self.code = code
        self.message = message
        self.fields = fields or {}
        # nameko serialises args with str(); an absent rule comes back as "None"
        self.rule = rule if rule not in ("", "None") else None
        super().__init__(code, message, self.fields, rule)

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message, "fields": self.fields}
        if self.rule:
            out["rule"] = self.rule
        return out

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


def validation_error(fields: dict, message: str = "payload is invalid") -> ServiceError:
    return ServiceError("validation_error", message, fields=fields)


def not_found(what: str, ident) -> ServiceError:
    return ServiceError("not_found", f"{what} {ident} does not exist")


def forbidden(message: str, rule: str | None = None) -> ServiceError:
    return ServiceError("forbidden", message, rule=rule)


def unauthenticated(message: str) -> ServiceError:
    return ServiceError("unauthenticated", message)


def conflict(message: str, rule: str | None = None) -> ServiceError:
    return ServiceError("conflict", message, rule=rule)


def rule_violation(rule: str, message: str, fields: dict | None = None) -> ServiceError:
    """A policy or lifecycle rule refused the command; `rule` names it (e.g. 'A.unit.approved')."""
    return ServiceError("rule_violation", message, fields=fields, rule=rule)


class NotYet(Exception):
    """An inbound event arrived before another it depends on (from a different source).
    The inbox retries it later instead of counting it as a failure."""
