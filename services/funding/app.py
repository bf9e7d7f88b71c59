"""The funding service's Application: inbound decisions, commands, the deadline timer's work,
and the read models behind the queries."""
from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from shared import policy as policies
from shared.clock import BEIJING
from shared.errors import forbidden, not_found, rule_violation
from shared.eventstore.application import ServiceApplication, check_version, handles
from shared.eventstore.meta import EventMeta
from shared.eventstore.projection import Projection
from shared.identity import system_actor

from services.funding import commands
from services.funding.domain import (PENDING, PENDING_DEADLINE, RENT, CaseFunding, case_id_of_key)
from services.funding.placement import ExpertSubsidisedTerms, PlacementFunding
from services.funding.placement_money import LIVING, living_months

FUNDED = (CaseFunding, PlacementFunding)
FUNDED_EVENTS = (CaseFunding.Event, PlacementFunding.Event)

DISBURSEMENTS = "disbursements"
FUNDING_CASES = "funding_cases"
TIMER_PAGE = 100


def _case_uuid(key: str) -> UUID:
    try:
        return UUID(case_id_of_key(key))
    except ValueError:
        raise not_found("disbursement", key) from None


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class DisbursementsView(Projection):
    """One document per disbursement, keyed by its idempotency key, with every attempt and any
    recovery claimed against it."""
    name = "disbursements"
    collections = (DISBURSEMENTS,)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, FUNDED_EVENTS):
            return
        kind = type(event).__name__
        if kind == "DisbursementScheduled":
            case = docs.get(FUNDING_CASES, str(event.originator_id)) or {}
            doc = {
                "case_id": str(event.originator_id), "programme": case.get("programme"),
                "unit_id": case.get("unit_id"),
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
        elif kind in ("RecoveryClaimed", "RecoveryWithdrawn"):
            doc = docs.get(DISBURSEMENTS, event.paid_key)
            if doc is None:
                return
            if kind == "RecoveryClaimed":
                doc["recovery"] = {"idempotency_key": event.idempotency_key, "overpaid_fen": event.overpaid_fen,
                                   "ended_on": event.ended_on.isoformat(), "status": "claimed"}
            else:
                doc["recovery"] = {**(doc.get("recovery") or {}), "status": "withdrawn"}
        elif kind.startswith("Disbursement"):
            doc = docs.get(DISBURSEMENTS, event.idempotency_key)
            if doc is None:
                return
            last = doc["attempts"][-1]
            if kind in ("DisbursementPaid", "DisbursementFailed", "DisbursementReturned"):
                status = kind.removeprefix("Disbursement").lower()
                last.update(status=status, office_reference=event.office_reference,
                            effective_on=event.effective_on.isoformat(), reported_at=event.meta["occurred_at"],
                            reported_by=event.meta["actor"]["actor_id"], reason=getattr(event, "reason", None))
                _status(doc, status)
            elif kind == "DisbursementRetried":
                doc["attempts"] = [*doc["attempts"], {"attempt": event.attempt, "status": "retried",
                                                      "due_on": event.due_on.isoformat(), "reason": event.reason,
                                                      "scheduled_at": event.meta["occurred_at"]}]
                doc.update(attempt=event.attempt, due_on=event.due_on.isoformat())
                _status(doc, "retried")
            elif kind == "DisbursementCancelled":
                last.update(status="cancelled", reason=event.reason)
                _status(doc, "cancelled")
        else:
            return
        doc["updated_at"] = event.meta["occurred_at"]
        docs.put(DISBURSEMENTS, doc["idempotency_key"], doc)


def _status(doc: dict, status: str) -> None:
    doc["status"] = status
    doc["unpaid"] = status in PENDING      # due and unpaid: what the office should pay now


class FundingCasesView(Projection):
    """One document per case: entitlements with their computations, deadlines, housing, service
    money used, an early end and recoveries — and when the timer next has work for the case."""
    name = "funding_cases"
    collections = (FUNDING_CASES,)

    def apply(self, event, notification_id, docs):
        if isinstance(event, PlacementFunding.Event):
            return self._placement(event, docs)
        if not isinstance(event, CaseFunding.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(FUNDING_CASES, key) or {"case_id": key}
        kind = type(event).__name__
        if isinstance(event, CaseFunding.Opened):
            doc.update(programme=event.programme, unit_id=str(event.unit_id) if event.unit_id else None,
                       entitlements=[], deadlines={}, housing=None, service_money={"approved_fen_by_year": {},
                                                                                   "claims": []},
                       ended=None, recoveries=[], rent_next_due=None)
        elif kind == "EntitlementsGranted":
            doc.update(decision={"award_fen": event.award_fen, "prior_changju_award_fen": event.prior_changju_award_fen,
                                 "national_or_beijing_talent": event.national_or_beijing_talent,
                                 "category": event.category, "policy_edition": event.policy_edition,
                                 "effective_on": event.effective_on.isoformat(), "decided_by": event.decided_by,
                                 "decision_event_id": event.decision_event_id},
                       entitlements=list(event.entitlements))
        elif kind == "DeadlineSet":
            doc["deadlines"] = {**doc["deadlines"], event.deadline: {
                "due_on": event.due_on.isoformat(), "starts_on": event.starts_on.isoformat(), "rule": event.rule,
                "clause": event.clause, "status": PENDING_DEADLINE}}
        elif kind == "DeadlineReached":
            doc["deadlines"][event.deadline].update(status="reached", reached_at=event.meta["occurred_at"])
        elif kind == "HousingChosen":
            doc["housing"] = {"choice": event.choice, "starts_on": event.starts_on.isoformat(),
                              "monthly_rent_fen": event.monthly_rent_fen, "frequency_months": event.frequency_months,
                              "ends_on": _iso(event.ends_on)}
            replaced = {e["code"]: e for e in event.entitlements}
            doc["entitlements"] = [replaced.get(e["code"], e) for e in doc["entitlements"]]
            if event.choice == "rent_subsidy":
                doc["rent_next_due"] = event.starts_on.isoformat()
        elif kind == "ServiceMoneyClaimApproved":
            money = doc["service_money"]
            by_year = dict(money["approved_fen_by_year"])
            by_year[str(event.year_index)] = by_year.get(str(event.year_index), 0) + event.approved_fen
            doc["service_money"] = {"approved_fen_by_year": by_year, "claims": [*money["claims"], {
                "period": event.period, "idempotency_key": event.idempotency_key,
                "spent_on": event.spent_on.isoformat(), "year_index": event.year_index,
                "claimed_fen": event.claimed_fen, "approved_fen": event.approved_fen, "purpose": event.purpose,
                "document_ref": event.document_ref, "computation": event.computation}]}
        elif kind == "DisbursementScheduled" and event.obligation_id == RENT:
            following = event.period_ends_on + timedelta(days=1)
            ends_on = _day((doc.get("housing") or {}).get("ends_on"))
            doc["rent_next_due"] = following.isoformat() if ends_on and following < ends_on else None
        elif kind == "EndedEarly":
            doc["ended"] = {"ended_on": event.ended_on.isoformat(), "reason": event.reason,
                            "recorded_at": event.meta["occurred_at"]}
            for name in event.deadlines_cancelled:
                doc["deadlines"][name]["status"] = "cancelled"
            if doc.get("rent_next_due") and _day(doc["rent_next_due"]) > event.ended_on:
                doc["rent_next_due"] = None
        elif kind in ("RecoveryClaimed", "RecoveryWithdrawn"):
            _note_recovery(doc, kind, event)
        else:
            return
        pending = [d["due_on"] for d in doc["deadlines"].values() if d["status"] == PENDING_DEADLINE]
        due = min([*pending, *([doc["rent_next_due"]] if doc.get("rent_next_due") else [])], default=None)
        doc.update(next_due_on=due, timer_active=due is not None, version=event.originator_version,
                   updated_at=event.meta["occurred_at"])
        docs.put(FUNDING_CASES, key, doc)


    def _placement(self, event, docs):
        """Programme B: one document per placement, in the same collection, with `programme: B`."""
        key = str(event.originator_id)
        doc = docs.get(FUNDING_CASES, key) or {"case_id": key}
        kind = type(event).__name__
        if isinstance(event, PlacementFunding.Opened):
            doc.update(programme="B", unit_id=str(event.unit_id), expert_id=str(event.expert_id),
                       cooperation_id=str(event.cooperation_id) if event.cooperation_id else None, kind=event.kind,
                       project_funds_fen=event.project_funds_fen, policy_edition=event.policy_edition,
                       appointment=None, term=None, entitlements=[], ended=None, expired=None, prize=None,
                       breakthrough_subsidy=None, recoveries=[], living_keys={})
        elif kind == "EntitlementsGranted":
            doc.update(unit_id=str(event.unit_id), expert_id=str(event.expert_id), kind=event.kind,
                       project_funds_fen=event.project_funds_fen, policy_edition=event.policy_edition,
                       appointment={"starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(),
                                    "appointed_by": event.appointed_by,
                                    "appointment_event_id": event.appointment_event_id},
                       term={"starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(),
                             "extensions": []},
                       entitlements=list(event.entitlements))
        elif kind == "TermExtended":
            doc["term"] = {**doc["term"], "ends_on": event.ends_on.isoformat(), "extensions": [
                *doc["term"]["extensions"], {"previous_ends_on": event.previous_ends_on.isoformat(),
                                             "ends_on": event.ends_on.isoformat(), "reason": event.reason}]}
            doc["entitlements"] = [{**e, "ends_on": event.ends_on.isoformat()} if e["ends_on"] else e
                                   for e in doc["entitlements"]]
        elif kind in ("EndedEarly", "TermExpired"):
            if kind == "EndedEarly":
                doc["ended"] = {"ended_on": event.ended_on.isoformat(), "reason": event.reason,
                                "recorded_at": event.meta["occurred_at"]}
            else:
                doc["expired"] = {"ends_on": event.ends_on.isoformat(), "recorded_at": event.meta["occurred_at"]}
            doc["entitlements"] = [{**e, "status": "ended"} if e["code"] in event.services_ended else e
                                   for e in doc["entitlements"]]
        elif kind == "PrizeAwarded":
            doc["prize"] = {"level": event.level, "year": event.year, "amount_fen": event.amount_fen,
                            "idempotency_key": event.idempotency_key, "decided_by": event.decided_by,
                            "reason": event.reason, "computation": event.computation,
                            "effective_on": event.effective_on.isoformat()}
        elif kind == "BreakthroughSubsidyGranted":
            doc["breakthrough_subsidy"] = {
                "investment_fen": event.investment_fen, "amount_fen": event.amount_fen,
                "idempotency_key": event.idempotency_key, "decided_by": event.decided_by, "reason": event.reason,
                "computation": event.computation, "effective_on": event.effective_on.isoformat()}
        elif kind == "DisbursementScheduled" and event.obligation_id == LIVING:
            doc["living_keys"] = {**doc["living_keys"], event.idempotency_key: [event.period.split(".")[0],
                                                                                event.amount_fen]}
        elif kind == "DisbursementCancelled" and event.idempotency_key in doc.get("living_keys", {}):
            doc["living_keys"] = {k: v for k, v in doc["living_keys"].items() if k != event.idempotency_key}
        elif kind in ("RecoveryClaimed", "RecoveryWithdrawn"):
            _note_recovery(doc, kind, event)
        else:
            return
        due = _placement_next_due(doc)
        doc.update(next_due_on=due, timer_active=due is not None, version=event.originator_version,
                   updated_at=event.meta["occurred_at"])
        docs.put(FUNDING_CASES, key, doc)


def _note_recovery(doc: dict, kind: str, event) -> None:
    """A recovery claimed (or withdrawn, when the payment it recovers was returned) on a case's document."""
    if kind == "RecoveryClaimed":
        doc["recoveries"] = [*[r for r in doc["recoveries"] if r["idempotency_key"] != event.idempotency_key], {
            "idempotency_key": event.idempotency_key, "paid_key": event.paid_key,
            "overpaid_fen": event.overpaid_fen, "period": event.period, "status": "claimed",
            "rule": event.rule, "inputs": event.inputs, "explanation": event.explanation}]
        return
    for recovery in doc["recoveries"]:
        if recovery["idempotency_key"] == event.idempotency_key:
            recovery["status"] = "withdrawn"


def _placement_next_due(doc: dict) -> str | None:
    """When the timer next has a living-subsidy month to release: the same plan as
    PlacementFunding.living_plan, from the document (the aggregate decides; this only finds it)."""
    term = doc.get("term")
    if not term:
        return None
    starts_on, ends_on = _day(term["starts_on"]), _day(term["ends_on"])
    if doc.get("expired"):
        ends_on = min(ends_on, _day(doc["expired"]["ends_on"]))
    if doc.get("ended"):
        ends_on = min(ends_on, _day(doc["ended"]["ended_on"]) + timedelta(days=1))
    ends_on = max(ends_on, starts_on)
    released: dict[str, int] = {}
    for month, amount in doc["living_keys"].values():
        released[month] = released.get(month, 0) + amount
    for month in living_months(policies.edition(doc["policy_edition"]), starts_on, ends_on):
        if released.get(month.name, 0) < month.amount_fen:
            return month.due_on.isoformat()
    return None


def upcast_award_decided(envelope: dict) -> dict:
    """review.case_review.AwardDecided as a decision, whatever its schema version. v1 knew only
    the award: an outstanding talent, first application, not a national/Beijing talent, terms
    starting on the Beijing date the decision occurred."""
    payload = envelope["payload"]
    decision = {key: payload[key] for key in ("award_fen", "rule", "policy_edition", "inputs")}
    if envelope["schema_version"] >= 2:
        decision.update({key: payload[key] for key in ("category", "prior_changju_award_fen",
                                                       "national_or_beijing_talent", "effective_on")})
    else:
        decision.update(category="outstanding", prior_changju_award_fen=0, national_or_beijing_talent=False,
                        effective_on=envelope["occurred_at"].astimezone(BEIJING).date())
    decision.update(decided_by=envelope["actor"]["actor_id"], decision_event_id=str(envelope["event_id"]))
    return decision


class FundingApplication(ServiceApplication):
    name = "funding"
    rent_frequency_months: int | None = None   # FUNDING.rent_frequency_months, set at start-up; None: the edition's

    def projections(self):
        # FundingCasesView first: DisbursementsView reads the case's unit from it in the same batch
        return (FundingCasesView(), DisbursementsView())

    # -- what review (programme A) and application (programme B) tell us ------------------
    def inbound_handlers(self):
        return {"review.case_review.Opened": self._review_opened,
                "review.case_review.AwardDecided": self._award_decided,
                "application.placement.ProjectFiled": self._project_filed,
                "application.placement.Appointed": self._appointed,
                "application.placement.TermExtended": self._term_extended,
                "application.placement.TerminatedEarly": self._terminated_early,
                "application.placement.TermExpired": self._term_expired}

    def _review_opened(self, envelope, uow) -> None:
        payload = envelope["payload"]
        uow.add(CaseFunding(id=envelope["case_id"], programme=payload["programme"], unit_id=payload.get("unit_id")))

    def _award_decided(self, envelope, uow) -> None:
        funding = _funding(uow, envelope["case_id"])   # opened by the same review stream, so present
        funding.grant(upcast_award_decided(envelope), self.clock.today())

    def _project_filed(self, envelope, uow) -> None:
        p = envelope["payload"]
        if uow.find(_placement_id(envelope)) is None:
            uow.add(PlacementFunding(id=_placement_id(envelope), unit_id=p["unit_id"], expert_id=p["expert_id"],
                                     cooperation_id=p["cooperation_id"], kind=p["kind"],
                                     project_funds_fen=p["project_funds_fen"], policy_edition=p["policy_edition"]))

    def _appointed(self, envelope, uow) -> None:
        """The appointment grants the placement's money. An expert's project subsidy goes to one
        placement per term: the expert's claim record (deterministic id) is saved in the same
        transaction, so two placements appointed at once cannot both take it."""
        p, case_id = envelope["payload"], _placement_id(envelope)
        funding = uow.find(case_id)
        if funding is None:   # no ProjectFiled seen (e.g. a stream that began before funding followed it)
            funding = PlacementFunding(id=case_id, unit_id=p["unit_id"], expert_id=p["expert_id"], cooperation_id=None,
                                       kind=p["kind"], project_funds_fen=p["project_funds_fen"],
                                       policy_edition=p["policy_edition"])
        uow.add(funding)       # first: the placement's events are recorded before the claim record's
        terms_id = ExpertSubsidisedTerms.id_for(p["expert_id"])
        terms = uow.find(terms_id) or ExpertSubsidisedTerms(id=terms_id, expert_id=str(p["expert_id"]))
        held_by = terms.holder(case_id, p["starts_on"], p["ends_on"])
        if held_by is None:
            terms.claim(placement_id=str(case_id), starts_on=p["starts_on"], ends_on=p["ends_on"])
            uow.add(terms)
        funding.appoint({**{k: p[k] for k in ("unit_id", "expert_id", "starts_on", "ends_on", "kind",
                                               "project_funds_fen", "policy_edition")},
                         "appointed_by": envelope["actor"]["actor_id"], "appointment_event_id": envelope["event_id"],
                         "project_subsidy_held_by": held_by}, self.clock.today())

    def _term_extended(self, envelope, uow) -> None:
        if (funding := _appointed_placement(uow, envelope)) is not None:
            funding.extend(envelope["payload"]["ends_on"], envelope["payload"]["reason"], self.clock.today())

    def _terminated_early(self, envelope, uow) -> None:
        if (funding := _appointed_placement(uow, envelope)) is not None:
            funding.end_early(envelope["payload"]["ended_on"], envelope["payload"]["reason"], self.clock.today())

    def _term_expired(self, envelope, uow) -> None:
        if (funding := _appointed_placement(uow, envelope)) is not None:
            funding.expire(envelope["payload"]["ends_on"], self.clock.today())   # False: already recorded

    # -- queries ----------------------------------------------------------------------------
    def funding(self, case_id) -> CaseFunding | PlacementFunding:
        """A case's funding, either programme, as it stands."""
        funding = self.get_or_none(case_id if isinstance(case_id, UUID) else UUID(str(case_id)))
        if not isinstance(funding, FUNDED):
            raise not_found("case funding", case_id)
        return funding

    # -- programme A's commands -------------------------------------------------------------
    @handles(commands.ChooseHousing)
    def choose_housing(self, command, uow) -> dict:
        funding = _own_case(uow, command.case_id, command.expected_version)
        funding.choose_housing(command.choice, self.clock.today(), monthly_rent_fen=command.monthly_rent_fen,
                               starts_on=command.starts_on, frequency_months=self.rent_frequency_months)
        return {"case_id": str(command.case_id), "housing": _plain(funding.housing),
                "scheduled": _pending_keys(funding), "version": funding.version}

    @handles(commands.ClaimServiceMoney)
    def claim_service_money(self, command, uow) -> dict:
        funding = _own_case(uow, command.case_id, command.expected_version)
        approved = funding.claim_service_money(command.spent_on, command.amount_fen, command.purpose,
                                               command.document_ref, self.clock.today())
        return {"case_id": str(command.case_id), **approved, "version": funding.version}

    @handles(commands.EndEarly)
    def end_early(self, command, uow) -> dict:
        funding = _own_case(uow, command.case_id, command.expected_version)
        funding.end_early(command.ended_on, command.reason, self.clock.today())
        return {"case_id": str(command.case_id), "ended_on": command.ended_on.isoformat(),
                "recovered_fen": funding.recovered_fen(),
                "recoveries": sorted(k for k, r in funding.recoveries.items() if r["status"] == "claimed"),
                "version": funding.version}

    # -- the funding office (either programme; a report names no version: the key is what it acts on)
    @handles(commands.ReportPayment)
    def report_payment(self, command, uow) -> dict:
        funding = _funding(uow, _case_uuid(command.idempotency_key))
        today = self.clock.today()
        d = funding.report_payment(uow.actor.actor_id, command.idempotency_key, command.attempt, command.outcome,
                                   command.office_reference, command.effective_on or today, today, command.reason)
        return _disbursement_result(funding, d)

    @handles(commands.RetryDisbursement)
    def retry_disbursement(self, command, uow) -> dict:
        funding = _funding(uow, _case_uuid(command.idempotency_key))
        d = funding.retry(uow.actor.actor_id, command.idempotency_key, command.reason, self.clock.today())
        return _disbursement_result(funding, d)

    # -- programme B's decisions (working group) ------------------------------------------
    @handles(commands.AwardPrize)
    def award_prize(self, command, uow) -> dict:
        funding = _placement(uow, command.case_id, command.expected_version)
        awarded = funding.award_prize(uow.actor.actor_id, command.level, command.year, command.reason,
                                      self.clock.today())
        return {"case_id": str(command.case_id), **awarded, "version": funding.version}

    @handles(commands.GrantBreakthroughSubsidy)
    def grant_breakthrough_subsidy(self, command, uow) -> dict:
        funding = _placement(uow, command.case_id, command.expected_version)
        granted = funding.grant_breakthrough(uow.actor.actor_id, command.investment_fen, command.reason,
                                             self.clock.today())
        return {"case_id": str(command.case_id), **granted, "version": funding.version}

    # -- the timer --------------------------------------------------------------------------
    def due_case_ids(self, views, today: date) -> list[str]:
        """Cases whose next due date has come, from the read model (lagging is harmless: the
        aggregate decides, and a case missed now is found on the next tick)."""
        found, offset = [], 0
        while True:
            page, _ = views.find(FUNDING_CASES, {"timer_active": True}, order_by="next_due_on",
                                 limit=TIMER_PAGE, offset=offset)
            due = [doc["case_id"] for doc in page if doc["next_due_on"] <= today.isoformat()]
            found += due
            if len(due) < TIMER_PAGE:
                return found
            offset += TIMER_PAGE

    def fire_due(self, case_ids, today: date | None = None) -> dict:
        """Release every due instalment and record every reached deadline of these cases, as the
        system actor. Each case is its own command and transaction, as the office's commands are:
        a case whose record moved meanwhile (a report on it) retries alone, and what the tick
        recorded for the cases before an error stays recorded (the next tick resumes from there).
        Safe to run twice or concurrently."""
        today = today or self.clock.today()
        meta = EventMeta(actor=system_actor(self.name), occurred_at=self.clock.now(),
                         correlation_id=f"funding-timer-{uuid4()}")
        recorded = {}
        for case_id in case_ids:
            events = self.handle(commands.FireDue(case_id=case_id, today=today), meta).result["events"]
            if events:
                recorded[str(case_id)] = events
        return {"today": today.isoformat(), "cases": recorded}

    @handles(commands.FireDue)
    def fire_due_of_case(self, command, uow) -> dict:
        return {"events": _funding(uow, command.case_id).tick(command.today)}


def _funding(uow, case_id) -> CaseFunding | PlacementFunding:
    """A case's funding, either programme (the office's commands and the timer work on both)."""
    return uow.get(FUNDED, case_id, "case funding")


def _own_case(uow, case_id, expected_version) -> CaseFunding:
    """A programme A case that the actor may act on (a unit contact: their own unit's), at the version named."""
    funding = _funding(uow, case_id)
    if not isinstance(funding, CaseFunding):
        raise rule_violation("funding.programme", "this command is for programme A cases; this is a placement")
    check_unit_access(uow.actor, str(funding.unit_id) if funding.unit_id else None)
    check_version(funding, expected_version)
    return funding


def _placement(uow, case_id, expected_version) -> PlacementFunding:
    funding = _funding(uow, case_id)
    if not isinstance(funding, PlacementFunding):
        raise rule_violation("funding.programme", "this command is for programme B placements")
    check_version(funding, expected_version)
    return funding


def _appointed_placement(uow, envelope) -> PlacementFunding | None:
    """The placement's funding once appointed; None before (a placement that ends before its
    appointment, or that funding never saw filed, has no money to change)."""
    funding = uow.find(_placement_id(envelope))
    if isinstance(funding, PlacementFunding) and funding.appointment is not None:
        return funding
    return None


def _placement_id(envelope: dict) -> UUID:
    """A placement's stream id is its case id."""
    return UUID(str(envelope.get("case_id") or envelope["stream_id"]))


def check_unit_access(identity, unit_id: str | None) -> None:
    """A unit contact acts on and reads only their own unit's cases (for a placement: the company)."""
    if identity is not None and identity.role == "unit_contact" and (not unit_id or identity.unit_id != unit_id):
        raise forbidden("a unit contact may act only on their own unit's cases", rule="roles.own_unit")


def check_read_access(identity, doc: dict) -> None:
    """Unit contacts read their own unit's cases; an expert reads only their own placements (the
    token's actor id is the expert id)."""
    check_unit_access(identity, doc.get("unit_id"))
    if identity is not None and identity.role == "expert" and identity.actor_id != doc.get("expert_id"):
        raise forbidden("an expert may read only their own placements", rule="roles.own_placement")


def _pending_keys(funding: CaseFunding) -> list[str]:
    return [k for k, d in funding.disbursements.items() if d.pending]


def _disbursement_result(funding: CaseFunding, d) -> dict:
    return {"case_id": str(funding.id), "idempotency_key": d.idempotency_key, "status": d.status,
            "attempt": d.attempt, "amount_fen": d.amount_fen, "version": funding.version}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, date) else value
