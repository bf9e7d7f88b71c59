"""The case file: one case's record gathered from the four services, as data.

`build(case_id, history, events, ...)` takes what the services answered (the case stream's history
entries, and every event envelope of the case from each service) and returns the case file, a plain
JSON document:

- `events`: every event exactly as its service stored and signed it (`envelope`, with its
  `signature` and store `position`), keyed by service, position and event id. Each carries an
  empty `proofs` list: an inclusion proof (a hash chain or a signed checkpoint of its service's
  log, when one exists) can be attached per event without changing anything else.
- `timeline`: the case stream's entries by business date, each with who acted (person and role),
  the reason, the rule, the policy edition, the amount, and its cause (service, event id,
  position) when another service's event caused it. Fields the history entry carries win; the rest
  are read from the cause's envelope, so richer history entries need no change here.
- `totals`: money per obligation from funding's disbursement events (scheduled, paid, returned,
  cancelled, recovery claimed), in integer fen.

Pure: no RPC, no clock (the caller passes `generated_at`).
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime

FORMAT, FORMAT_VERSION = "changping-case-file", 1
SERVICES = ("registration", "application", "review", "funding")
REASON_KEYS = ("reason", "opinion", "explanation")
AMOUNT_KEYS = ("amount_fen", "award_fen", "approved_fen", "overpaid_fen")
EDITION_KEYS = ("policy_edition", "edition")


def build(case_id: str, history: list[dict], events: list[dict], *, generated_at: str, generated_by: dict,
          as_of: datetime | None = None, known_at: datetime | None = None) -> dict:
    events = [e for e in events if _visible(e, as_of, known_at)]
    records = sorted((_record(e) for e in events), key=lambda r: (_service_rank(r["service"]), r["position"]))
    by_id = {r["event_id"]: r for r in records}
    timeline = [_timeline_entry(entry, by_id) for entry in history]
    timeline.sort(key=lambda t: (t["business_date"] or "", t["sequence"]))
    for entry in timeline:
        if entry["cause"] and entry["cause"]["event_id"] in by_id:
            by_id[entry["cause"]["event_id"]]["cited_by"].append(entry["sequence"])
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "case_id": str(case_id),
        "programme": _programme(history, records),
        "generated_at": generated_at, "generated_by": generated_by,
        "as_of": as_of.isoformat() if as_of else None, "known_at": known_at.isoformat() if known_at else None,
        "sources": {s: {"events": sum(1 for r in records if r["service"] == s),
                        "last_position": max((r["position"] for r in records if r["service"] == s), default=None)}
                    for s in SERVICES},
        "key_facts": key_facts(records),
        "timeline": timeline,
        "totals": totals(records),
        "history": history,
        "events": records,
    }


# -- events --------------------------------------------------------------------------------------
def _record(envelope: dict) -> dict:
    return {"service": envelope.get("source"), "position": envelope.get("position"),
            "event_id": envelope.get("event_id"), "type": envelope.get("type"),
            "stream_id": envelope.get("stream_id"), "sequence": envelope.get("sequence"),
            "occurred_at": envelope.get("occurred_at"), "anchor": anchor(envelope.get("event_id")),
            "envelope": envelope, "proofs": [], "cited_by": []}


def anchor(event_id) -> str:
    return f"ev-{event_id}"


def _service_rank(service) -> int:
    return SERVICES.index(service) if service in SERVICES else len(SERVICES)


def _visible(envelope: dict, as_of, known_at) -> bool:
    """as_of: effective by then (the payload's business date, else when it was recorded);
    known_at: recorded, in business time, by then."""
    recorded = _moment(envelope.get("occurred_at"))
    if known_at is not None and recorded is not None and recorded > known_at:
        return False
    if as_of is not None:
        effective = (envelope.get("payload") or {}).get("effective_on")
        if effective:
            return date.fromisoformat(effective) <= as_of.date()
        return recorded is None or recorded <= as_of
    return True


def _moment(text):
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


# -- the timeline ----------------------------------------------------------------------------------
def _timeline_entry(entry: dict, by_id: dict) -> dict:
    data = entry.get("data") or {}
    source = data.get("source") or entry.get("source")
    cause_record = by_id.get(str(source.get("event_id"))) if isinstance(source, dict) else None
    cause_envelope = cause_record["envelope"] if cause_record else {}
    cause_payload = cause_envelope.get("payload") or {}
    actor = _acting(entry, cause_envelope)
    effective = (_first(entry, "effective_on", "effective_at") or _first(data, "effective_on")
                 or cause_payload.get("effective_on") or (source or {}).get("occurred_at")
                 or entry.get("occurred_at"))
    return {
        "sequence": entry.get("sequence"),
        "type": entry.get("type"),
        "summary": data.get("summary") or entry.get("summary") or _words(entry.get("type")),
        "business_date": str(effective)[:10] if effective else None,
        "occurred_at": entry.get("occurred_at"),
        "recorded_at": entry.get("recorded_at"),
        "known_at": entry.get("recorded_on") or entry.get("known_at"),
        "actor_id": actor.get("actor_id"),
        "role": actor.get("role"),
        "recorded_by": _recorded_by(entry),
        "reason": _first(entry, *REASON_KEYS) or _first(data, *REASON_KEYS) or _first(cause_payload, *REASON_KEYS)
        or _items_reason(data),
        "rule": _first(entry, "rule", "acted_under") or _first(data, "rule", "decision_rule") or _first(cause_payload, "rule",
                                                                                          "decision_rule"),
        "edition": _first(entry, *EDITION_KEYS) or _first(data, *EDITION_KEYS)
        or _first(data.get("eligibility") or {}, *EDITION_KEYS) or _first(cause_payload, *EDITION_KEYS),
        "amount_fen": _amount(entry, data, cause_payload),
        "office_reference": _first(entry, "office_reference") or _first(data, "office_reference")
        or cause_payload.get("office_reference"),
        "obligation_id": _first(data, "obligation_id") or cause_payload.get("obligation_id"),
        "supersedes": [n for n in entry.get("supersedes") or [] if isinstance(n, int)],
        "cause": None if not isinstance(source, dict) else {
            "service": source.get("service"), "event_id": str(source.get("event_id")),
            "position": source.get("position"), "type": source.get("type"),
            "anchor": anchor(source.get("event_id")), "in_file": cause_record is not None},
    }


def _recorded_by(entry: dict):
    """Who wrote the entry into the case stream (`recorded_by` on entries that name it, else the actor)."""
    recorded = entry.get("recorded_by")
    if isinstance(recorded, dict):
        return recorded.get("actor_id")
    return recorded or (entry.get("actor") or {}).get("actor_id")


def _acting(entry: dict, cause: dict) -> dict:
    """Who acted: the entry's own actor unless the system recorded it for another service's event,
    then whoever caused that event (itself the system only when a timer or handler acted)."""
    for key in ("acted_by", "source_actor"):     # richer history entries may name it themselves
        if isinstance(entry.get(key), dict) and entry[key].get("actor_id"):
            return entry[key]
    own = entry.get("actor") or {}
    if own.get("role") == "system" and isinstance(cause.get("actor"), dict):
        return cause["actor"]
    return own


def _first(mapping: dict, *keys):
    for key in keys:
        value = mapping.get(key) if isinstance(mapping, dict) else None
        if value not in (None, "", [], {}):
            return value
    return None


def _amount(entry: dict, data: dict, cause: dict):
    for mapping in (entry, data, cause):
        value = _first(mapping, *AMOUNT_KEYS)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _items_reason(data: dict):
    items = data.get("items")
    if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
        return "; ".join(f"{i.get('item')}: {i.get('reason')}" for i in items if i.get("reason"))
    return None


def _words(kind) -> str:
    text = str(kind or "")
    return "".join(" " + c.lower() if c.isupper() else c for c in text).strip()


def _programme(history: list[dict], records: list[dict]):
    for entry in history:
        if (entry.get("data") or {}).get("programme"):
            return entry["data"]["programme"]
    for record in records:
        if (record["envelope"].get("payload") or {}).get("programme"):
            return record["envelope"]["payload"]["programme"]
    return "B" if any(".placement" in str(r["type"]) for r in records) else None


# -- what an auditor looks for first -------------------------------------------------------------
DECISIONS = (".AwardDecided", ".ProjectDecided", ".NotSelected")
AUDITS = (".AuditApproved", ".AuditReturned")


def key_facts(records: list[dict]) -> dict:
    facts: dict = {"audited_by": [], "decided_by": None, "decision": None, "award_fen": None,
                   "decision_rule": None, "decision_edition": None, "decision_event": None}
    for record in records:
        envelope, kind = record["envelope"], str(record["type"])
        actor = (envelope.get("actor") or {}).get("actor_id")
        if kind.endswith(AUDITS) and actor and actor not in facts["audited_by"]:
            facts["audited_by"].append(actor)
        if kind.endswith(DECISIONS):
            payload = envelope.get("payload") or {}
            facts.update(decided_by=actor, decision=kind.rsplit(".", 1)[-1], award_fen=payload.get("award_fen"),
                         decision_rule=payload.get("rule"), decision_edition=payload.get("policy_edition"),
                         decision_event=record["anchor"])
    return facts


def totals(records: list[dict]) -> list[dict]:
    """Money per obligation, in fen, from funding's disbursement and recovery events."""
    obligations: OrderedDict[str, dict] = OrderedDict()
    key_to = {}

    def row(obligation_id: str) -> dict:
        return obligations.setdefault(obligation_id, {
            "obligation_id": obligation_id, "periods": 0, "scheduled_fen": 0, "paid_fen": 0, "returned_fen": 0,
            "cancelled_fen": 0, "recovery_claimed_fen": 0, "recovery_withdrawn_fen": 0, "payees": []})

    amounts = {}
    for record in records:
        if record["service"] != "funding":
            continue
        kind, payload = str(record["type"]).rsplit(".", 1)[-1], record["envelope"].get("payload") or {}
        key = payload.get("idempotency_key")
        if kind == "DisbursementScheduled":
            key_to[key], amounts[key] = payload["obligation_id"], payload.get("amount_fen", 0)
            r = row(payload["obligation_id"])
            r["periods"] += 1
            r["scheduled_fen"] += payload.get("amount_fen", 0)
            if payload.get("payee") and payload["payee"] not in r["payees"]:
                r["payees"].append(payload["payee"])
        elif kind == "DisbursementPaid" and key in key_to:
            row(key_to[key])["paid_fen"] += payload.get("amount_fen", 0)
        elif kind == "DisbursementReturned" and key in key_to:
            row(key_to[key])["returned_fen"] += payload.get("amount_fen", 0)
        elif kind == "DisbursementCancelled" and key in key_to:
            row(key_to[key])["cancelled_fen"] += amounts.get(key, 0)
        elif kind == "RecoveryClaimed":
            key_to[key], amounts[key] = payload["obligation_id"], payload.get("overpaid_fen", 0)
            row(payload["obligation_id"])["recovery_claimed_fen"] += payload.get("overpaid_fen", 0)
        elif kind == "RecoveryWithdrawn" and key in key_to:
            row(key_to[key])["recovery_withdrawn_fen"] += amounts.get(key, 0)
    for r in obligations.values():
        r["net_paid_fen"] = r["paid_fen"] - r["returned_fen"]
        r["unpaid_fen"] = r["scheduled_fen"] - r["paid_fen"] - r["cancelled_fen"]
    return list(obligations.values())


def yuan(fen) -> str:
    """Integer fen as yuan with two decimals and thousands separators (no float on the way)."""
    if fen is None:
        return ""
    sign, fen = ("-" if fen < 0 else ""), abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"
