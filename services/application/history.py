"""The case history as an auditor reads it: one entry per event of a case (or placement) stream,
with who acted, why, under which rule and edition, for how much, when it took effect and when
the record learnt it. Semantics and a worked example: docs/history.md.

Pure functions over stored events; `ApplicationApplication.history` feeds them the stream.

Two business-time axes per entry (both from the business clock, never the store's wall clock):
- `effective_at`: when the fact took effect (an early end on the day the talent left, an
  instalment on its due date, even when a catching-up timer released it months later);
- `recorded_on`: when this record learnt it (stamped on commit, `meta["recorded_on"]`).
`select(entries, as_of, known_at)` keeps the entries effective by `as_of` that were recorded by
`known_at`, both bounds inclusive. Nothing is edited: an entry that changes what an earlier one
said names it in `supersedes` (`link_supersessions`).
"""
from __future__ import annotations

from datetime import date, datetime

from services.application.provenance import effective_at as effective_moment

HIDDEN = ("meta", "signature", "originator_id", "originator_version", "timestamp", "originator_topic")

# Own entries whose fact took effect on a date they name rather than when they were recorded.
OWN_EFFECTIVE_DATE = {"TerminatedEarly": "ended_on", "TermExpired": "ends_on", "AgreementRecorded": "signed_on",
                      "Submitted": "submitted_on", "PaperDeliveryRecorded": "received_on"}

# The rule that made the system act where an own entry's data does not name it.
SYSTEM_RULES = {"TermExpired": "B.term.expiry"}

# An own entry that names the record it relied on (the unit's approval) rather than reflecting it.
OWN_WITH_SOURCE = ("RegistrationReferenced",)
REPORT_FIELDS = ("source", "actor", "effective_at", "facts", "summary")

AMOUNT_FIELDS = ("amount_fen", "award_fen", "approved_fen", "overpaid_fen")
REASON_FIELDS = ("reason", "opinion", "explanation")


def entry_of(event) -> dict:
    """One history entry of a stored Case or Placement event (any version)."""
    meta = event.meta
    data = {k: _plain(v) for k, v in event.__dict__.items() if k not in HIDDEN}
    name = type(event).__name__
    source = data.get("source")
    reflected = source is not None and name not in OWN_WITH_SOURCE
    facts = {k: v for k, v in data.items() if k not in REPORT_FIELDS} | (data.get("facts") or {})
    recorded_on = meta.get("recorded_on") or meta["occurred_at"]
    actor = data.get("actor") or meta["actor"]
    effective = data.get("effective_at") or _own_effective(name, data, meta, source if reflected else None)
    rule = _first(facts, ("rule", "decision_rule")) or _nested(facts, "computation", "rule")
    return {
        "sequence": event.originator_version,
        "type": name,
        "summary": data.get("summary"),
        "effective_at": effective,
        "recorded_on": recorded_on,
        "occurred_at": effective,                   # the name older clients read: the effective time
        "recorded_at": event.timestamp.isoformat(),  # the store's wall clock
        "actor": actor,
        "recorded_by": meta["actor"],
        "acted_under": _acted_under(name, actor, facts, rule),
        "reason": _first(facts, REASON_FIELDS) or _nested(facts, "computation", "explanation"),
        "rule": rule,
        "clause": _first(facts, ("clause",)) or _nested(facts, "computation", "clause"),
        "policy_edition": (_first(facts, ("policy_edition",)) or _nested(facts, "computation", "policy_edition")
                           or _nested(facts, "eligibility", "edition")),     # a submission's assessment
        "amount_fen": _first(facts, AMOUNT_FIELDS),
        "office_reference": facts.get("office_reference") or (
            facts.get("reference") if name == "OfficeFilingRecorded" else None),
        "dates": {k: v for k, v in facts.items() if _is_date_field(k) and isinstance(v, str)},
        "source": source,
        "correlation_id": meta["correlation_id"],
        "causation_id": meta["causation_id"],
        "data": data,
    }


# A later entry that changes what an earlier one said, by the kinds of entry involved (type or
# summary); both concern the same thing (`_subject`).
SUPERSEDES = {
    "Submitted": ("Submitted",),                                   # a resubmission after a return
    "PaperDeliveryRecorded": ("PaperDeliveryRecorded",),           # paper delivered again once corrected
    "TermExtended": ("TermExtended", "Appointed"),                 # the term's end moves
    "payment reported returned": ("payment reported paid",),
    "payment retried": ("payment reported failed", "payment reported returned"),
    "disbursement cancelled": ("disbursement scheduled", "payment retried"),
    "recovery withdrawn": ("recovery claimed",),
}


def link_supersessions(entries: list[dict]) -> list[dict]:
    """Set each entry's `supersedes`: the sequence numbers of the earlier entries it changes (the
    latest of each kind about the same subject), so both stay readable and the later one says so."""
    latest: dict[tuple, int] = {}
    for entry in entries:
        kind = entry["summary"] or entry["type"]
        subject = _subject(entry)
        entry["supersedes"] = sorted({latest[(earlier, subject)] for earlier in SUPERSEDES.get(kind, ())
                                      if subject is not None and (earlier, subject) in latest})
        if subject is not None:
            latest[(kind, subject)] = entry["sequence"]
    return entries


def _subject(entry: dict) -> str | None:
    """What an entry is about: a disbursement's key (a recovery: the paid key it claims back), the
    case itself for its own entries; None (link nothing) for a v1 entry that recorded no facts."""
    if entry["source"] is None:
        return "case"
    facts = entry["data"].get("facts") or {}
    return facts.get("paid_key" if entry["summary"] in ("recovery claimed", "recovery withdrawn")
                     else "idempotency_key")


def select(entries: list[dict], as_of: datetime | None = None, known_at: datetime | None = None) -> list[dict]:
    """The entries that had taken effect by `as_of` as far as the record knew at `known_at` (each
    bound inclusive; None: no bound), in stream order."""
    return [e for e in entries
            if (as_of is None or datetime.fromisoformat(e["effective_at"]) <= as_of)
            and (known_at is None or datetime.fromisoformat(e["recorded_on"]) <= known_at)]


def _own_effective(name: str, data: dict, meta: dict, source: dict | None) -> str:
    if source is not None:      # recorded before entries carried `effective_at`: the source's business time
        return source["occurred_at"]
    field = OWN_EFFECTIVE_DATE.get(name)
    named = data.get(field) if field else None
    moment = datetime.fromisoformat(meta["occurred_at"])
    return effective_moment(date.fromisoformat(named) if named else None, moment).isoformat()


def _acted_under(name: str, actor: dict, facts: dict, rule: str | None) -> str | None:
    """For an entry the system made on its own (a timer, a derivation), the rule that made it act."""
    if actor.get("role") != "system":
        return None
    return (rule or SYSTEM_RULES.get(name) or _nested(facts, "computation", "rule")
            or ", ".join(facts.get("entitlement_rules") or ()) or None)


def _is_date_field(key: str) -> bool:
    return key.endswith("_on") or key == "correction_deadline"


def _first(facts: dict, keys) -> object:
    return next((facts[k] for k in keys if facts.get(k) is not None), None)


def _nested(facts: dict, outer: str, key: str) -> object:
    inner = facts.get(outer)
    return inner.get(key) if isinstance(inner, dict) else None


def _plain(value):
    """Dates as ISO strings, the rest as stored (what the entry and its JSON reply carry)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
