"""Gathering one case from the running services over RPC, as an auditor: the case stream's history
from application, and every event of the case from each service with its envelope (`case_events`,
`stream_events` for the unit's and the expert's records in registration)."""
from __future__ import annotations

from datetime import datetime

CASE_SERVICES = ("application", "review", "funding")
PAGE = 500


def gather(rpc, case_id: str, as_of: datetime | None = None, known_at: datetime | None = None) -> tuple[list, list]:
    """(history entries, event envelopes) of the case. `rpc` is a ClusterRpcProxy carrying an
    auditor's token. Raises ServiceError as the services refuse (not_found: no such case)."""
    times = {key: value.isoformat() for key, value in (("as_of", as_of), ("known_at", known_at)) if value}
    history = rpc.application.history(case_id=str(case_id), **times)["entries"]
    events = []
    for service in CASE_SERVICES:
        events += _pages(lambda after: rpc[service].case_events(case_id=str(case_id), after=after, limit=PAGE))
    for stream_id in _registration_streams(history, events):
        events += _pages(lambda after: rpc.registration.stream_events(stream_id=stream_id, after=after, limit=PAGE))
    return history, events


def _pages(fetch) -> list[dict]:
    events, after = [], 0
    while True:
        page = fetch(after)
        events += page["events"]
        if page.get("next_after") is None:
            return events
        after = page["next_after"]


def _registration_streams(history: list[dict], events: list[dict]) -> list[str]:
    """The unit (and, for a placement, the expert) the case relied on: registration's records."""
    found = []
    for data in [e.get("data") or {} for e in history] + [e.get("payload") or {} for e in events]:
        for key in ("unit_id", "expert_id"):
            if isinstance(data.get(key), str) and data[key] not in found:
                found.append(data[key])
    return found


def access_rows(rpc, *, case_id: str | None = None, actor_id: str | None = None) -> list[dict]:
    """The access log of every service for a case or an actor, oldest first."""
    where = {k: v for k, v in (("case_id", case_id), ("actor_id", actor_id)) if v}
    rows = []
    for service in ("registration", *CASE_SERVICES):
        offset = 0
        while True:
            page = rpc[service].access_log(**where, limit=200, offset=offset)
            rows += page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
    return sorted(rows, key=lambda r: (r["recorded_at"], r["service"], r["id"]))
