"""What a case-stream entry records about the event in another service that it reflects: who
acted there (person and role), when it took effect and when it was recorded there, and the
facts of its payload (reason, rule, policy edition, amounts, office reference, dates).

The case stream is what an auditor replays; an entry that only said "award decided" under
`system:application` sent them into another service's store to learn who decided, why and
for how much. Everything here comes from the envelope, which was verified (signature,
schema) before any handler saw it; the payload is already free of personal data.

    report(envelope) -> {"source": {...}, "actor": {...}, "effective_at": datetime, "facts": {...}}

The keyword arguments of every `record_*` method of Case and Placement that reflects another
service's event.
"""
from __future__ import annotations

from datetime import date, datetime, time

from shared.clock import BEIJING
from shared.contracts.events import payload_schema

# Payload fields left out of `facts`: long nested lists whose detail is one `source` hop away
# (the entitlements table, the documents of a submission, the reviewers' score sheet).
BULKY = frozenset({"entitlements", "documents", "submission", "scores", "source"})

# The field holding the business date an event took effect, where it is not `effective_on`.
# A disbursement is released on its due date: a timer catching up months later releases it
# effective on that date (the payload's `effective_on` is the first day of the period paid).
EFFECTIVE_DATE_FIELD = {"DisbursementScheduled": "due_on", "FiledWithOffice": "filed_on"}


def source_ref(envelope: dict) -> dict:
    """Where the fact comes from, enough to fetch it again (`events_after(position - 1)` of that
    service) and to follow its own cause (`causation_id`, `correlation_id`)."""
    return {"service": envelope["source"], "event_id": envelope["event_id"], "type": envelope["type"],
            "position": envelope["position"], "sequence": envelope["sequence"],
            "occurred_at": _datetime(envelope["occurred_at"]), "recorded_at": _datetime(envelope["recorded_at"]),
            "schema_version": envelope["schema_version"], "causation_id": envelope.get("causation_id"),
            "correlation_id": envelope.get("correlation_id")}


def report(envelope: dict) -> dict:
    """The keyword arguments that carry an upstream event's facts onto a case-stream entry."""
    facts = facts_of(envelope)
    name = envelope["type"].rsplit(".", 1)[-1]
    when = facts.get(EFFECTIVE_DATE_FIELD.get(name, "effective_on"))
    return {"source": source_ref(envelope), "actor": actor_of(envelope),
            "effective_at": effective_at(date.fromisoformat(when) if when else None,
                                         _datetime(envelope["occurred_at"])),
            "facts": facts}


def actor_of(envelope: dict) -> dict:
    actor = envelope["actor"]
    return {"actor_id": actor["actor_id"], "role": actor["role"], "unit_id": actor.get("unit_id")}


def facts_of(envelope: dict) -> dict:
    """The payload as JSON values (dates as ISO strings), without the bulky lists."""
    dumped = payload_schema(envelope["type"], envelope["schema_version"]).dump(envelope["payload"])
    facts = {key: value for key, value in dumped.items() if key not in BULKY}
    rules = sorted({e["computation"]["rule"] for e in dumped.get("entitlements") or () if e.get("computation")})
    if rules:
        facts["entitlement_rules"] = rules      # the rules a grant applied, from the table left out
    return facts


def effective_at(effective_on: date | None, recorded: datetime) -> datetime:
    """When a fact took effect in business time. An event recorded on the day it took effect is
    effective at the moment it was recorded (which keeps a day's entries in their order); one
    dated another day (an early end recorded months later, an instalment a catching-up timer
    released) at the start of that day. Always in Beijing time, the calendar the policies mean."""
    recorded = recorded.astimezone(BEIJING)
    if effective_on is None or effective_on == recorded.date():
        return recorded
    return datetime.combine(effective_on, time(), BEIJING)


def _datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
