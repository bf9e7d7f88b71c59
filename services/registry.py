"""Every RPC endpoint in one table: `service.method` → request schema, reply schema, roles, whether it
writes, what it does and the rule ids it can refuse with. Joined from the entrypoints
(`@command(schema, roles)`, the docstring) and shared/contracts/registry.py (the replies);
docs/reference.md is rendered from it, and the tests check that every endpoint has a reply schema."""
from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from functools import cache

from marshmallow import Schema

from shared.contracts.registry import REPLIES, SERVICES

RULE_ID = re.compile(r"`((?:A|B|roles|separation_of_duties|registration|review|funding|application)\.[a-z0-9_.]+)`")


@dataclass(frozen=True)
class Endpoint:
    service: str
    method: str
    request: Schema
    reply: type[Schema] | None
    roles: frozenset | None        # None: anyone, no token (health)
    write: bool
    doc: str
    reads: bool = False         # its answers are recorded in the access log

    @property
    def schema(self) -> Schema:
        """The request schema (as the entrypoint's `contract.schema` names it)."""
        return self.request

    @property
    def name(self) -> str:
        return f"{self.service}.{self.method}"

    @property
    def rules(self) -> list[str]:
        """The rule ids the docstring says can refuse it, in order, once each."""
        return list(dict.fromkeys(RULE_ID.findall(self.doc)))


def service_class(name: str):
    module = importlib.import_module(f"services.{name}.service")
    return next(cls for _, cls in inspect.getmembers(module, inspect.isclass)
                if getattr(cls, "name", None) == name and cls.__module__ == module.__name__)


@cache
def endpoints() -> tuple[Endpoint, ...]:
    found = []
    for service in SERVICES:
        cls = service_class(service)
        for method in sorted(dir(cls)):
            contract = getattr(getattr(cls, method), "contract", None)
            if contract is not None:
                found.append(Endpoint(service, method, contract.schema, REPLIES.get(f"{service}.{method}"),
                                      contract.roles, contract.write, inspect.getdoc(getattr(cls, method)) or "",
                                      getattr(contract, "reads", None) is not None))
    return tuple(found)
