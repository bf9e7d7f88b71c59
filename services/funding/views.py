"""funding's read models: one document per disbursement, and one per case (programme A) or
placement (programme B), each kept by a projection that dispatches on the event's class.

The ledger's events (`services.funding.ledger`) are each aggregate's own class
(`CaseFunding.DisbursementPaid`, `PlacementFunding.DisbursementPaid`: stored topics differ), and
both subclass the ledger's; the tables name the ledger's class once, and `change_for` finds it
in the event's class hierarchy.

When the timer next has work for a case (`next_due_on`) is asked of the domain's own rules
(`schedules.rent_due_after`, `placement_money.schedule_end` and `next_living_due`), with what
the document recorded from the events.
"""
from __future__ import annotations

from datetime import date

from shared import policy as policies
from shared.policy.figures import vice_president_figures
from shared.eventstore.projection import Projection

from services.funding import ledger
from services.funding.domain import PENDING_DEADLINE, RENT, CaseFunding
from services.funding.ledger import PENDING
from services.funding.placement import PlacementFunding
from services.funding.placement_money import LIVING, next_living_due, schedule_end
from services.funding.schedules import rent_due_after

DISBURSEMENTS = "disbursements"
FUNDING_CASES = "funding_cases"
UNCHANGED = object()   # what a change returns when the event, of a class it handles, is not for this document


def change_for(table: dict, event):
    """The table's entry for the event's class, or for the nearest class it derives from."""
    return next((table[klass] for klass in type(event).__mro__ if klass in table), None)


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# == disbursements ================================================================================
class DisbursementsView(Projection):
    """One document per disbursement, keyed by its idempotency key, with every attempt and any
    recovery claimed against it."""
    name = "disbursements"
    collections = (DISBURSEMENTS,)

    def apply(self, event, notification_id, docs):
        change = change_for(DISBURSEMENT_CHANGES, event)
        doc = change(event, docs) if change else None
        if doc is None:
            return
        doc["updated_at"] = event.meta["occurred_at"]
        docs.put(DISBURSEMENTS, doc["idempotency_key"], doc)


def _scheduled(event, docs) -> dict:
    case = docs.get(FUNDING_CASES, str(event.originator_id)) or {}
    doc = {
        "case_id": str(event.originator_id), "programme": case.get("programme"), "unit_id": case.get("unit_id"),
        "idempotency_key": event.idempotency_key, "obligation_id": event.obligation_id,
        "period": event.period, "amount_fen": event.amount_fen, "payee": event.payee,
        "payee_ref": event.payee_ref, "purpose": event.purpose, "due_on": event.due_on.isoformat(),
        "period_starts_on": _iso(event.period_starts_on), "period_ends_on": _iso(event.period_ends_on),
        "effective_on": _iso(event.effective_on), "rule": event.rule, "clause": event.clause,
        "policy_edition": event.policy_edition, "inputs": event.inputs, "explanation": event.explanation,
        "attempt": 1, "attempts": [{"attempt": 1, "status": "scheduled", "due_on": event.due_on.isoformat(),
                                    "scheduled_at": event.meta["occurred_at"]}],
        "recovery": None,
    }
    _status(doc, "scheduled")
    return doc


def _reported(status: str):
    """The office's report of an attempt: paid, failed or returned."""
    def change(event, docs) -> dict | None:
        doc = docs.get(DISBURSEMENTS, event.idempotency_key)
        if doc is not None:
            doc["attempts"][-1].update(status=status, office_reference=event.office_reference,
                                       effective_on=event.effective_on.isoformat(),
                                       reported_at=event.meta["occurred_at"],
                                       reported_by=event.meta["actor"]["actor_id"],
                                       reason=getattr(event, "reason", None))   # a payment has none
            _status(doc, status)
        return doc
    return change


def _retried(event, docs) -> dict | None:
    doc = docs.get(DISBURSEMENTS, event.idempotency_key)
    if doc is not None:
        doc["attempts"] = [*doc["attempts"], {"attempt": event.attempt, "status": "retried",
                                              "due_on": event.due_on.isoformat(), "reason": event.reason,
                                              "scheduled_at": event.meta["occurred_at"]}]
        doc.update(attempt=event.attempt, due_on=event.due_on.isoformat())
        _status(doc, "retried")
    return doc


def _cancelled(event, docs) -> dict | None:
    doc = docs.get(DISBURSEMENTS, event.idempotency_key)
    if doc is not None:
        doc["attempts"][-1].update(status="cancelled", reason=event.reason)
        _status(doc, "cancelled")
    return doc


def _recovery_claimed(event, docs) -> dict | None:
    doc = docs.get(DISBURSEMENTS, event.paid_key)
    if doc is not None:
        doc["recovery"] = {"idempotency_key": event.idempotency_key, "overpaid_fen": event.overpaid_fen,
                           "ended_on": event.ended_on.isoformat(), "status": "claimed"}
    return doc


def _recovery_withdrawn(event, docs) -> dict | None:
    doc = docs.get(DISBURSEMENTS, event.paid_key)
    if doc is not None:
        doc["recovery"] = {**(doc.get("recovery") or {}), "status": "withdrawn"}
    return doc


def _status(doc: dict, status: str) -> None:
    doc["status"] = status
    doc["unpaid"] = status in PENDING      # due and unpaid: what the office should pay now


DISBURSEMENT_CHANGES = {
    ledger.DisbursementScheduled: _scheduled,
    ledger.DisbursementPaid: _reported("paid"),
    ledger.DisbursementFailed: _reported("failed"),
    ledger.DisbursementReturned: _reported("returned"),
    ledger.DisbursementRetried: _retried,
    ledger.DisbursementCancelled: _cancelled,
    ledger.RecoveryClaimed: _recovery_claimed,
    ledger.RecoveryWithdrawn: _recovery_withdrawn,
}


# == cases and placements =========================================================================
class FundingCasesView(Projection):
    """One document per case (programme A) or placement (programme B, `programme: B`): entitlements
    with their computations, deadlines, housing, service money used, the term, an early end, prizes
    and recoveries — and when the timer next has work for it (`next_due_on`, `timer_active`)."""
    name = "funding_cases"
    collections = (FUNDING_CASES,)

    def apply(self, event, notification_id, docs):
        if isinstance(event, PlacementFunding.Event):
            changes, next_due = PLACEMENT_CHANGES, _placement_next_due
        elif isinstance(event, CaseFunding.Event):
            changes, next_due = CASE_CHANGES, _case_next_due
        else:
            return
        change = change_for(changes, event)
        if change is None:
            return
        key = str(event.originator_id)
        doc = docs.get(FUNDING_CASES, key) or {"case_id": key}
        if change(doc, event) is UNCHANGED:
            return
        due = next_due(doc)
        doc.update(next_due_on=due, timer_active=due is not None, version=event.originator_version,
                   updated_at=event.meta["occurred_at"])
        docs.put(FUNDING_CASES, key, doc)


def _recovery_noted(doc: dict, event) -> None:
    """A recovery claimed on a case's document (either programme)."""
    doc["recoveries"] = [*[r for r in doc["recoveries"] if r["idempotency_key"] != event.idempotency_key], {
        "idempotency_key": event.idempotency_key, "paid_key": event.paid_key,
        "overpaid_fen": event.overpaid_fen, "period": event.period, "status": "claimed",
        "rule": event.rule, "inputs": event.inputs, "explanation": event.explanation}]


def _recovery_withdrawn_noted(doc: dict, event) -> None:
    """Withdrawn when the payment it recovers was returned."""
    for recovery in doc["recoveries"]:
        if recovery["idempotency_key"] == event.idempotency_key:
            recovery["status"] = "withdrawn"


def _ended_on_doc(event) -> dict:
    return {"ended_on": event.ended_on.isoformat(), "reason": event.reason, "recorded_at": event.meta["occurred_at"]}


# -- programme A -----------------------------------------------------------------------------------
def _case_opened(doc: dict, event) -> None:
    doc.update(programme=event.programme, unit_id=str(event.unit_id) if event.unit_id else None,
               entitlements=[], deadlines={}, housing=None,
               service_money={"approved_fen_by_year": {}, "claims": []},
               ended=None, recoveries=[], rent_next_due=None)


def _case_granted(doc: dict, event) -> None:
    doc.update(decision={"award_fen": event.award_fen, "prior_changju_award_fen": event.prior_changju_award_fen,
                         "national_or_beijing_talent": event.national_or_beijing_talent,
                         "category": event.category, "policy_edition": event.policy_edition,
                         "effective_on": event.effective_on.isoformat(), "decided_by": event.decided_by,
                         "decision_event_id": event.decision_event_id},
               entitlements=list(event.entitlements), figures=dict(event.figures))


def _case_declined(doc: dict, event) -> None:
    doc["declined"] = {"rule": event.rule, "message": event.message, "budget": event.budget, "year": event.year,
                       "remaining_fen": event.remaining_fen, "requested_fen": event.requested_fen,
                       "award_fen": event.award_fen, "decided_by": event.decided_by,
                       "decision_event_id": event.decision_event_id, "effective_on": event.effective_on.isoformat()}


def _deadline_set(doc: dict, event) -> None:
    doc["deadlines"] = {**doc["deadlines"], event.deadline: {
        "due_on": event.due_on.isoformat(), "starts_on": event.starts_on.isoformat(), "rule": event.rule,
        "clause": event.clause, "status": PENDING_DEADLINE}}


def _deadline_reached(doc: dict, event) -> None:
    doc["deadlines"][event.deadline].update(status="reached", reached_at=event.meta["occurred_at"])


def _housing_chosen(doc: dict, event) -> None:
    doc["housing"] = {"choice": event.choice, "starts_on": event.starts_on.isoformat(),
                      "monthly_rent_fen": event.monthly_rent_fen, "frequency_months": event.frequency_months,
                      "ends_on": _iso(event.ends_on)}
    replaced = {e["code"]: e for e in event.entitlements}
    doc["entitlements"] = [replaced.get(e["code"], e) for e in doc["entitlements"]]
    if event.choice == "rent_subsidy":
        doc["rent_next_due"] = event.starts_on.isoformat()


def _service_money_claimed(doc: dict, event) -> None:
    money = doc["service_money"]
    by_year = dict(money["approved_fen_by_year"])
    by_year[str(event.year_index)] = by_year.get(str(event.year_index), 0) + event.approved_fen
    doc["service_money"] = {"approved_fen_by_year": by_year, "claims": [*money["claims"], {
        "period": event.period, "idempotency_key": event.idempotency_key,
        "spent_on": event.spent_on.isoformat(), "year_index": event.year_index,
        "claimed_fen": event.claimed_fen, "approved_fen": event.approved_fen, "purpose": event.purpose,
        "document_ref": event.document_ref, "computation": event.computation}]}


def _rent_released(doc: dict, event):
    if event.obligation_id != RENT:
        return UNCHANGED
    doc["rent_next_due"] = _iso(rent_due_after(event.period_ends_on, _day((doc.get("housing") or {}).get("ends_on"))))


def _case_ended(doc: dict, event) -> None:
    doc["ended"] = _ended_on_doc(event)
    for name in event.deadlines_cancelled:
        doc["deadlines"][name]["status"] = "cancelled"
    if doc.get("rent_next_due") and _day(doc["rent_next_due"]) > event.ended_on:
        doc["rent_next_due"] = None        # no instalment starting after the end is released


def _case_next_due(doc: dict) -> str | None:
    pending = [d["due_on"] for d in doc["deadlines"].values() if d["status"] == PENDING_DEADLINE]
    return min([*pending, *([doc["rent_next_due"]] if doc.get("rent_next_due") else [])], default=None)


CASE_CHANGES = {
    CaseFunding.Opened: _case_opened,
    CaseFunding.EntitlementsGranted: _case_granted,
    CaseFunding.AwardDeclined: _case_declined,
    CaseFunding.DeadlineSet: _deadline_set,
    CaseFunding.DeadlineReached: _deadline_reached,
    CaseFunding.HousingChosen: _housing_chosen,
    CaseFunding.ServiceMoneyClaimApproved: _service_money_claimed,
    ledger.DisbursementScheduled: _rent_released,
    CaseFunding.EndedEarly: _case_ended,
    ledger.RecoveryClaimed: _recovery_noted,
    ledger.RecoveryWithdrawn: _recovery_withdrawn_noted,
}


# -- programme B -----------------------------------------------------------------------------------
def _placement_opened(doc: dict, event) -> None:
    doc.update(programme="B", unit_id=str(event.unit_id), expert_id=str(event.expert_id),
               cooperation_id=str(event.cooperation_id) if event.cooperation_id else None, kind=event.kind,
               project_funds_fen=event.project_funds_fen, policy_edition=event.policy_edition,
               appointment=None, term=None, entitlements=[], ended=None, expired=None, prize=None,
               breakthrough_subsidy=None, recoveries=[], living_keys={})


def _placement_granted(doc: dict, event) -> None:
    doc.update(unit_id=str(event.unit_id), expert_id=str(event.expert_id), kind=event.kind,
               project_funds_fen=event.project_funds_fen, policy_edition=event.policy_edition,
               appointment={"starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(),
                            "appointed_by": event.appointed_by, "appointment_event_id": event.appointment_event_id},
               term={"starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(),
                     "extensions": []},
               entitlements=list(event.entitlements), figures=dict(event.figures))


def _term_extended(doc: dict, event) -> None:
    doc["term"] = {**doc["term"], "ends_on": event.ends_on.isoformat(), "extensions": [
        *doc["term"]["extensions"], {"previous_ends_on": event.previous_ends_on.isoformat(),
                                     "ends_on": event.ends_on.isoformat(), "reason": event.reason}]}
    doc["entitlements"] = [{**e, "ends_on": event.ends_on.isoformat()} if e["ends_on"] else e
                           for e in doc["entitlements"]]


def _entitlement_restated(doc: dict, event) -> None:
    restated = event.entitlement
    doc["entitlements"] = [restated if e["code"] == restated["code"] else e for e in doc["entitlements"]]


def _services_ended(doc: dict, event) -> None:
    doc["entitlements"] = [{**e, "status": "ended"} if e["code"] in event.services_ended else e
                           for e in doc["entitlements"]]


def _placement_ended(doc: dict, event) -> None:
    doc["ended"] = _ended_on_doc(event)
    _services_ended(doc, event)


def _term_expired(doc: dict, event) -> None:
    doc["expired"] = {"ends_on": event.ends_on.isoformat(), "recorded_at": event.meta["occurred_at"]}
    _services_ended(doc, event)


def _prize_awarded(doc: dict, event) -> None:
    doc["prize"] = {"level": event.level, "year": event.year, "amount_fen": event.amount_fen,
                    "idempotency_key": event.idempotency_key, "decided_by": event.decided_by,
                    "reason": event.reason, "computation": event.computation,
                    "effective_on": event.effective_on.isoformat()}


def _breakthrough_granted(doc: dict, event) -> None:
    doc["breakthrough_subsidy"] = {
        "investment_fen": event.investment_fen, "amount_fen": event.amount_fen,
        "idempotency_key": event.idempotency_key, "decided_by": event.decided_by, "reason": event.reason,
        "computation": event.computation, "effective_on": event.effective_on.isoformat()}


def _living_released(doc: dict, event):
    if event.obligation_id != LIVING:
        return UNCHANGED
    doc["living_keys"] = {**doc["living_keys"], event.idempotency_key: [event.period.split(".")[0],
                                                                        event.amount_fen]}


def _living_cancelled(doc: dict, event):
    if event.idempotency_key not in doc.get("living_keys", {}):
        return UNCHANGED
    doc["living_keys"] = {k: v for k, v in doc["living_keys"].items() if k != event.idempotency_key}


def _placement_next_due(doc: dict) -> str | None:
    """The placement's next living-subsidy month, by the aggregate's rule (PlacementFunding.next_due_on)
    applied to what the document recorded: the term, an expiry or early end, the months released."""
    term = doc.get("term")
    if not term:
        return None
    starts_on = _day(term["starts_on"])
    ends_on = schedule_end(starts_on, _day(term["ends_on"]),
                           expired_on=_day(doc["expired"]["ends_on"]) if doc.get("expired") else None,
                           ended_on=_day(doc["ended"]["ended_on"]) if doc.get("ended") else None)
    released: dict[str, int] = {}
    for month, amount in doc["living_keys"].values():
        released[month] = released.get(month, 0) + amount
    # the figures the appointment recorded; a document built before they were recorded falls back to
    # its edition's, which are the same (a released edition is frozen)
    figures = doc.get("figures") or vice_president_figures(policies.edition(doc["policy_edition"]))
    due = next_living_due(figures, starts_on, ends_on,
                          lambda month: released.get(month, 0))
    return _iso(due)


PLACEMENT_CHANGES = {
    PlacementFunding.Opened: _placement_opened,
    PlacementFunding.EntitlementsGranted: _placement_granted,
    PlacementFunding.TermExtended: _term_extended,
    PlacementFunding.EntitlementRestated: _entitlement_restated,
    PlacementFunding.EndedEarly: _placement_ended,
    PlacementFunding.TermExpired: _term_expired,
    PlacementFunding.PrizeAwarded: _prize_awarded,
    PlacementFunding.BreakthroughSubsidyGranted: _breakthrough_granted,
    ledger.DisbursementScheduled: _living_released,
    ledger.DisbursementCancelled: _living_cancelled,
    ledger.RecoveryClaimed: _recovery_noted,
    ledger.RecoveryWithdrawn: _recovery_withdrawn_noted,
}
