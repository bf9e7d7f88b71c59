"""How the stories (story.py, placement_story.py) talk to the running services, as a portal
backend would: every write is retried until the services it depends on have caught up (a portal
polls); a refusal a story expects is awaited until it is the one expected (an earlier "not yet"
is not it)."""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import uuid4

from shared.errors import ServiceError

CATCH_UP_SECONDS = 30


@dataclass
class Portal:
    """How a story talks to the running services, as a portal backend would."""
    rpc: Callable[..., AbstractContextManager]      # rpc(actor_id, role, unit_id) -> a proxy with a token
    health: Callable[[str], dict]
    credit_code: str
    say: Callable[[str], None] = lambda line: None
    facts: dict = field(default_factory=dict)

    def call(self, actor: str, role: str, service: str, method: str, unit: str | None = None, **payload):
        with self.rpc(actor, role, unit) as rpc:
            return getattr(getattr(rpc, service), method)(**payload)

    def write(self, actor: str, role: str, service: str, method: str, unit: str | None = None, **payload):
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while True:
            try:
                return self.call(actor, role, service, method, unit, command_id=str(uuid4()), **payload)
            except ServiceError as error:
                if time.monotonic() > deadline or error.code not in ("not_found", "rule_violation"):
                    raise
            time.sleep(0.2)

    def refused(self, rule: str, actor: str, role: str, service: str, method: str, unit: str | None = None,
                **payload) -> ServiceError:
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while True:
            try:
                self.call(actor, role, service, method, unit, command_id=str(uuid4()), **payload)
            except ServiceError as error:
                if error.rule == rule:
                    self.say(f"   refused, as it must be: {error.rule} — {error.message}")
                    return error
                if time.monotonic() > deadline:
                    raise
            else:
                raise AssertionError(f"{service}.{method} by {actor} was accepted; {rule} should refuse it")
            time.sleep(0.2)

    def until(self, check: Callable[[], object], what: str, timeout: float = CATCH_UP_SECONDS):
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = check()
                if value:
                    return value
            except ServiceError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"not within {timeout}s: {what}")
            time.sleep(0.3)

    def business_today(self) -> date:
        return datetime.fromisoformat(self.health("funding")["business_time"]).date()
