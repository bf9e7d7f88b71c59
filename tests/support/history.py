"""Reading a case history in the end-to-end tests (docs/history.md)."""
from __future__ import annotations

from datetime import datetime

from shared.clock import BEIJING


def day(moment: str) -> str:
    """The Beijing date of an ISO moment."""
    return datetime.fromisoformat(moment).astimezone(BEIJING).date().isoformat()


def only(entries: list[dict], kind: str) -> dict:
    """The one entry of that type or summary."""
    (entry,) = [e for e in entries if kind in (e["type"], e["summary"])]
    return entry


def who(entry: dict) -> tuple:
    return entry["actor"]["actor_id"], entry["actor"]["role"]
