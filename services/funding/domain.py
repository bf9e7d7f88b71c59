"""A case's funding (programme A): what the decision entitles the talent to, what is scheduled
to be paid, what the funding office reported, the terms' deadlines and what an early end claims
back. Pure domain: no nameko, no kombu, no clock — business dates are passed in.

The disbursements, the office's reports and retries and the recoveries are `services.funding.ledger`'s,
shared with programme B's `services.funding.placement.PlacementFunding`.

Each obligation is paid in periods; every (obligation, period) has one idempotency key
`<case_id>:<obligation_id>:<period>`, which the funding office uses so that no period can ever
be paid twice. A failed or returned payment is retried as a new *attempt* under the same key.

The rules, by the ids a refusal names:

* `funding.decision.required` / `funding.decision.once` — support follows one decision.
* `A.housing.chosen_once`, `A.rent.start_after_decision`, `A.rent.start_within_commitment` — housing
  is chosen once, after the decision, a rent subsidy starting within the 3-year commitment.
  `A.rent.cap` (min(rent paid, 15,000 yuan) a month, 36 months) is applied, never refused.
* `A.service_money.excluded_after_award`, `A.service_money.years`, `A.service_money.purpose`,
  `A.service_money.exhausted`, `A.service_money.actual_expense` — service-money claims.
* `funding.payment.paid_once`, `funding.payment.current_attempt`, `funding.payment.transition`,
  `funding.payment.not_in_future`, `funding.retry.pending`, `funding.disbursement.cancelled` — the
  funding office's reports and retries.
* `separation_of_duties.decide_release` — whoever decided the award neither reports nor retries
  the case's payments.
* `funding.ended`, `funding.ended.once`, `funding.ended.after_end`, `funding.early_end.not_in_future`,
  `funding.early_end.before_start` — an early end.

Rent instalments are *released when due*: the housing choice records the plan, and the timer
(`tick`) schedules each instalment on its due date (its first day, paid in advance), so every
`DisbursementScheduled` is payable at once and nothing is ever scheduled past the subsidy's 36th
month or an early end.

Every figure (caps, months, years, frequency) comes from the figures the decision recorded
(`EntitlementsGranted.figures`, taken from review's AwardDecided), never from the policy file as it
is now: a new edition changes new decisions only (docs/policy.md).
"""
from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from eventsourcing.domain import event

from shared import policy as policies
from shared.calendar import add_years
from shared.actors import same_actor
from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream
from shared.policy.figures import changju_figures

from services.funding import ledger
from services.funding.ledger import PAID, Disbursement, Ledger, idempotency_key

from services.funding.computation import Computation
from services.funding.entitlements import GRANTED, Decision, Entitlement, deadlines, derive_entitlements
from services.funding.recovery import recovery_on_early_end
from services.funding.schedules import Instalment, rent_schedule
from services.funding.service_money import ServiceMoneyState, service_money_claim, service_year

AWARD, RENT, SERVICE_MONEY = "award", "rent_subsidy", "service_money"
PURPOSES = {AWARD: "award money (奖励资金)", RENT: "rent subsidy (租房补贴)",
            SERVICE_MONEY: "service-guarantee money (服务保障资金)"}

# deadlines
COMMITMENT, SERVICE_PERIOD, RENT_PERIOD = "commitment", "service_money", "rent_subsidy"
DEADLINE_RULES = {
    COMMITMENT: ("A.commitment.years", "二(一)2(4)"),
    SERVICE_PERIOD: ("A.service_money.years", "三(二)(7)"),
    RENT_PERIOD: ("A.rent.months", "三(二)(4)"),
}
PENDING_DEADLINE, REACHED, DEADLINE_CANCELLED = "pending", "reached", "cancelled"


def entitlement_dict(entitlement: Entitlement) -> dict:
    """An entitlement as plain JSON-able data, as events carry it."""
    return {
        "code": entitlement.code, "kind": entitlement.kind, "status": entitlement.status,
        "clause": entitlement.clause, "title": entitlement.title, "unit": entitlement.unit,
        "units": entitlement.units, "amount_fen": entitlement.amount_fen, "ceiling_fen": entitlement.ceiling_fen,
        "starts_on": _iso(entitlement.starts_on), "ends_on": _iso(entitlement.ends_on),
        "computation": entitlement.computation.to_dict() if entitlement.computation else None,
    }


class CaseFunding(Ledger, Stream):
    STREAM = "case_funding"
    CASE_STREAM = True

    # -- explicit event classes: these two existed in v1, and stored v1 events are upcast ------------
    class Opened(Stream.Created):
        class_version = 2
        programme: str
        unit_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state):
            state["unit_id"] = None

    # the ledger's events, redefined here as CaseFunding's own (see services.funding.ledger)
    DisbursementScheduled = ledger.DisbursementScheduled
    DisbursementPaid = ledger.DisbursementPaid
    DisbursementFailed = ledger.DisbursementFailed
    DisbursementReturned = ledger.DisbursementReturned
    DisbursementRetried = ledger.DisbursementRetried
    DisbursementCancelled = ledger.DisbursementCancelled
    RecoveryClaimed = ledger.RecoveryClaimed
    RecoveryWithdrawn = ledger.RecoveryWithdrawn

    class EntitlementsGranted(Stream.Event):
        """v2 records the figures the decision used; a v1 event is upcast with the figures of the
        edition it names (frozen, so they are the figures it was decided on)."""
        class_version = 2
        award_fen: int
        prior_changju_award_fen: int
        national_or_beijing_talent: bool
        category: str
        policy_edition: str
        decision_rule: str
        decision_inputs: dict
        decided_by: str
        decision_event_id: str
        effective_on: date
        entitlements: list
        figures: dict

        @staticmethod
        def upcast_v1_v2(state):
            state["figures"] = changju_figures(policies.edition(state["policy_edition"]), state["category"])

    @event(Opened)
    def __init__(self, id: UUID, programme: str, unit_id: UUID | None = None):  # noqa: A002
        self.programme = programme
        self.unit_id = unit_id
        self.decision: dict | None = None
        self.figures: dict | None = None           # what the decision recorded (shared/policy/figures.py)
        self.entitlements: dict[str, dict] = {}
        self.deadlines: dict[str, dict] = {}
        self.housing: dict | None = None
        self._open_ledger()
        self.service_money_approved: dict[int, int] = {}
        self.claims = 0
        self.ended: dict | None = None

    # -- reading --------------------------------------------------------------------------------------
    @property
    def decided_by(self) -> str | None:
        return self.decision["decided_by"] if self.decision else None

    @property
    def policy_edition(self) -> str:
        return self.decision["policy_edition"]

    def rent_instalments(self) -> list[Instalment]:
        """The whole rent plan (36 months), as the housing choice fixed it; [] without a rent subsidy."""
        if not self.housing or self.housing["choice"] != "rent_subsidy":
            return []
        return rent_schedule(self.figures, self.id, self.housing["starts_on"], self.housing["monthly_rent_fen"],
                             frequency_months=self.housing["frequency_months"])

    # -- the decision ---------------------------------------------------------------------------------
    def grant(self, decision: dict, today: date) -> None:
        """Record what an award decision entitles the talent to, the terms' deadlines, and schedule
        the award money. `decision`: award_fen, prior_changju_award_fen, national_or_beijing_talent,
        category, effective_on, policy_edition, rule, inputs, figures (as the decision recorded them),
        decided_by, decision_event_id."""
        if self.decision is not None:
            raise rule_violation("funding.decision.once", "this case's support was already granted")
        figures = decision["figures"]
        effective_on = decision["effective_on"]
        entitlements = derive_entitlements(figures, Decision(
            case_id=self.id, award_fen=decision["award_fen"],
            national_or_beijing_talent=decision["national_or_beijing_talent"], housing_choice=None,
            monthly_rent_fen=None, effective_on=effective_on,
            prior_changju_award_fen=decision["prior_changju_award_fen"]))
        self._entitlements_granted(
            award_fen=decision["award_fen"], prior_changju_award_fen=decision["prior_changju_award_fen"],
            national_or_beijing_talent=decision["national_or_beijing_talent"], category=decision["category"],
            policy_edition=decision["policy_edition"], decision_rule=decision["rule"],
            decision_inputs=dict(decision["inputs"]), decided_by=decision["decided_by"],
            decision_event_id=str(decision["decision_event_id"]), effective_on=effective_on,
            entitlements=[entitlement_dict(e) for e in entitlements], figures=dict(figures))
        ends = deadlines(figures, effective_on)
        self._set_deadline(COMMITMENT, ends["commitment_ends"], effective_on)
        if self.entitlements[SERVICE_MONEY]["status"] == GRANTED:
            self._set_deadline(SERVICE_PERIOD, ends["service_money_ends"], effective_on)
        award = self.entitlements["award_money"]
        if award["status"] == GRANTED:
            why = award["computation"]
            self.schedule_award(award["amount_fen"], max(effective_on, today), why["rule"], why["policy_edition"],
                                clause=award["clause"], inputs=why["inputs"], explanation=why["explanation"],
                                effective_on=effective_on)
        self.tick(today)   # a decision recorded late may already have passed a deadline

    def decline(self, decision: dict, refusal) -> None:
        """The decision would exceed the year's budget (`funding.budget.exceeded`): nothing is granted,
        scheduled or reserved; the decline names the budget, the year and what remains. A new decision
        (once the office raised the budget) is granted as usual."""
        if self.decision is not None:
            raise rule_violation("funding.decision.once", "this case's support was already granted")
        self._declined(rule=refusal.rule, message=refusal.message, budget=refusal.fields["budget"][0],
                       year=int(refusal.fields["year"][0]), remaining_fen=int(refusal.fields["remaining_fen"][0]),
                       requested_fen=int(refusal.fields["requested_fen"][0]), award_fen=decision["award_fen"],
                       decided_by=decision["decided_by"], decision_event_id=str(decision["decision_event_id"]),
                       effective_on=decision["effective_on"])

    def schedule_award(self, award_fen: int, due_on: date, rule: str, policy_edition: str, *, clause: str = "三(一)",
                       inputs: dict | None = None, explanation: str = "the decided award money",
                       effective_on: date | None = None) -> None:
        """Award money is one obligation paid once; nothing is scheduled for a zero award."""
        key = idempotency_key(self.id, AWARD, "once")
        if award_fen <= 0 or key in self.disbursements:
            return
        self._scheduled(obligation_id=AWARD, period="once", idempotency_key=key, amount_fen=award_fen,
                        payee="talent", purpose=PURPOSES[AWARD], due_on=due_on, rule=rule,
                        policy_edition=policy_edition, case_id=str(self.id), payee_ref=f"case:{self.id}",
                        clause=clause, period_starts_on=effective_on or due_on, period_ends_on=None,
                        effective_on=effective_on or due_on, inputs=dict(inputs or {"award_fen": award_fen}),
                        explanation=explanation, attempt=1)

    def _set_deadline(self, name: str, due_on: date, starts_on: date) -> None:
        rule, clause = DEADLINE_RULES[name]
        self._deadline_set(deadline=name, due_on=due_on, starts_on=starts_on, rule=rule, clause=clause,
                           policy_edition=self.policy_edition, effective_on=starts_on)

    # -- housing --------------------------------------------------------------------------------------
    def choose_housing(self, choice: str, today: date, *, monthly_rent_fen: int | None = None,
                       starts_on: date | None = None, frequency_months: int | None = None) -> None:
        """三(二)(4): a free flat, or a rent subsidy of min(rent paid, 15,000 yuan) a month for 36
        months from `starts_on`; chosen once. Due rent instalments are released at once."""
        self._require_decision()
        self._require_not_ended()
        if self.housing is not None:
            raise rule_violation("A.housing.chosen_once", f"housing was already chosen ({self.housing['choice']})")
        figures = self.figures
        effective_on = self.decision["effective_on"]
        starts_on = starts_on or max(today, effective_on)
        if starts_on < effective_on:
            raise rule_violation("A.rent.start_after_decision", f"housing support starts on or after the decision's"
                                 f" date {effective_on}", fields={"starts_on": [f"on or after {effective_on}"]})
        commitment_ends = self.deadlines[COMMITMENT]["due_on"]
        if starts_on >= commitment_ends:
            raise rule_violation("A.rent.start_within_commitment", "housing support starts within the 3-year"
                                 f" commitment, before {commitment_ends}",
                                 fields={"starts_on": [f"before {commitment_ends}"]})
        if choice == "rent_subsidy":
            frequency = frequency_months or figures["rent_frequency_months"]
            plan = rent_schedule(figures, self.id, starts_on, monthly_rent_fen, frequency_months=frequency)
            ends_on = plan[-1].last_day + timedelta(days=1)
        else:
            monthly_rent_fen, frequency, ends_on = None, None, None
        derived = {e.code: e for e in derive_entitlements(figures, Decision(
            case_id=self.id, award_fen=self.decision["award_fen"],
            national_or_beijing_talent=self.decision["national_or_beijing_talent"], housing_choice=choice,
            monthly_rent_fen=monthly_rent_fen, effective_on=starts_on,
            prior_changju_award_fen=self.decision["prior_changju_award_fen"]))}
        self._housing_chosen(choice=choice, starts_on=starts_on, monthly_rent_fen=monthly_rent_fen,
                             frequency_months=frequency, ends_on=ends_on, effective_on=starts_on,
                             entitlements=[entitlement_dict(derived["housing_flat"]),
                                           entitlement_dict(derived[RENT])])
        if choice == "rent_subsidy":
            self._set_deadline(RENT_PERIOD, ends_on, starts_on)
        self.tick(today)

    # -- service money --------------------------------------------------------------------------------
    def claim_service_money(self, spent_on: date, claimed_fen: int, purpose: str, document_ref: str,
                            today: date) -> dict:
        """三(二)(7): approve an expense claim up to what remains of its service year; schedules the
        approved amount, paid through the employing unit. Returns {period, idempotency_key, approved_fen}."""
        self._require_decision()
        entitlement = self.entitlements[SERVICE_MONEY]
        state = ServiceMoneyState(granted=entitlement["status"] == GRANTED,
                                  approved_fen=dict(self.service_money_approved),
                                  refused_by=None if entitlement["status"] == GRANTED
                                  else entitlement["computation"]["rule"])
        if not state.granted:
            raise rule_violation(state.refused_by or "A.service_money.excluded_after_award",
                                 "this talent has no service money (已获奖励资金的人才不再享受服务保障资金)")
        if spent_on > today:
            raise rule_violation("A.service_money.actual_expense", "service money reimburses expenses already made"
                                 " (实报实销)", fields={"spent_on": [f"on or before {today}"]})
        if self.ended and spent_on > self.ended["ended_on"]:
            raise rule_violation("funding.ended.after_end", f"support ended on {self.ended['ended_on']}: no"
                                 " service money for later expenses", fields={"spent_on": ["after the early end"]})
        figures = self.figures
        year = service_year(figures, self.decision["effective_on"], spent_on)
        approval = service_money_claim(figures, state, year, claimed_fen, purpose)
        if approval.approved_fen <= 0:
            raise rule_violation("A.service_money.exhausted", f"the service money of year {year} is used up",
                                 fields={"amount_fen": [f"nothing remains of year {year}"]})
        period = f"year{year}-claim{self.claims + 1:03d}"
        key = idempotency_key(self.id, SERVICE_MONEY, period)
        why = approval.computation
        self._service_money_claim_approved(
            period=period, idempotency_key=key, spent_on=spent_on, year_index=year, claimed_fen=claimed_fen,
            approved_fen=approval.approved_fen, purpose=purpose, document_ref=document_ref,
            computation=why.to_dict(), effective_on=today)
        effective_on = self.decision["effective_on"]
        self._scheduled(obligation_id=SERVICE_MONEY, period=period, idempotency_key=key,
                        amount_fen=approval.approved_fen, payee="unit",
                        payee_ref=f"unit:{self.unit_id}" if self.unit_id else f"case:{self.id}",
                        purpose=f"{PURPOSES[SERVICE_MONEY]}: {purpose}", due_on=today, rule=why.rule,
                        policy_edition=why.policy_edition, case_id=str(self.id), clause=why.clause,
                        period_starts_on=add_years(effective_on, year - 1),
                        period_ends_on=add_years(effective_on, year) - timedelta(days=1), effective_on=today,
                        inputs=dict(why.inputs), explanation=why.explanation, attempt=1)
        return {"period": period, "idempotency_key": key, "approved_fen": approval.approved_fen,
                "claimed_fen": claimed_fen, "year_index": year}

    # -- the funding office (reports and retries: services.funding.ledger) ---------------------------
    def _check_separation(self, actor_id: str, disbursement: Disbursement) -> None:
        if same_actor(self.decided_by, actor_id):
            raise rule_violation("separation_of_duties.decide_release",
                                 "whoever decided a case's award cannot report or retry its payments")

    def _after_paid(self, d: Disbursement) -> None:
        if self.ended and d.obligation_id == RENT:
            self._claim_recoveries([i for i in self.rent_instalments() if i.idempotency_key == d.idempotency_key])

    # -- time -----------------------------------------------------------------------------------------
    def tick(self, today: date) -> int:
        """Everything due by `today` that has not happened yet, in date order, each exactly once:
        release due rent instalments and record reached deadlines. Safe to call any number of
        times; after downtime it catches up every missed date. Returns how many events it recorded."""
        if self.decision is None:
            return 0
        todo: list[tuple[date, int, object]] = []
        released = set(self.disbursements)
        last_day = self.ended["ended_on"] if self.ended else None
        for instalment in self.rent_instalments():
            if (instalment.due_on <= today and instalment.idempotency_key not in released
                    and (last_day is None or instalment.starts_on <= last_day)):
                todo.append((instalment.due_on, 0, instalment))
        for name, deadline in self.deadlines.items():
            if deadline["status"] == PENDING_DEADLINE and deadline["due_on"] <= today:
                todo.append((deadline["due_on"], 1, name))
        for _, _, item in sorted(todo, key=lambda t: (t[0], t[1], str(getattr(t[2], "period", t[2])))):
            if isinstance(item, Instalment):
                self._release(item)
            else:
                deadline = self.deadlines[item]
                self._deadline_reached(deadline=item, due_on=deadline["due_on"], effective_on=deadline["due_on"],
                                       rule=deadline["rule"], clause=deadline["clause"])
        return len(todo)

    def _release(self, instalment: Instalment) -> None:
        why: Computation = instalment.computation
        self._scheduled(obligation_id=RENT, period=instalment.period, idempotency_key=instalment.idempotency_key,
                        amount_fen=instalment.amount_fen, payee="talent", payee_ref=f"case:{self.id}",
                        purpose=PURPOSES[RENT], due_on=instalment.due_on, rule=why.rule,
                        policy_edition=why.policy_edition, case_id=str(self.id), clause=why.clause,
                        period_starts_on=instalment.starts_on, period_ends_on=instalment.last_day,
                        effective_on=instalment.starts_on, inputs=dict(why.inputs), explanation=why.explanation,
                        attempt=1)

    # -- an early end ---------------------------------------------------------------------------------
    def end_early(self, ended_on: date, reason: str, today: date) -> None:
        """The talent left the unit or Changping; `ended_on` is the last day still supported. Claims
        back rent paid for later days, cancels unpaid instalments that start after it, stops further
        instalments and claims, and cancels the deadlines the end pre-empts."""
        self._require_decision()
        if self.ended:
            raise rule_violation("funding.ended.once", f"support already ended on {self.ended['ended_on']}")
        if ended_on > today:
            raise rule_violation("funding.early_end.not_in_future", "record an end once it has happened",
                                 fields={"ended_on": [f"on or before {today}"]})
        if ended_on < self.decision["effective_on"]:
            raise rule_violation("funding.early_end.before_start", "support cannot end before it started",
                                 fields={"ended_on": [f"on or after {self.decision['effective_on']}"]})
        cancelled = sorted(name for name, d in self.deadlines.items()
                           if d["status"] == PENDING_DEADLINE and d["due_on"] > ended_on + timedelta(days=1))
        self._ended_early(ended_on=ended_on, reason=reason, deadlines_cancelled=cancelled, effective_on=ended_on)
        instalments = self.rent_instalments()
        paid = [i for i in instalments
                if i.idempotency_key in self.disbursements and self.disbursements[i.idempotency_key].status == PAID]
        self._claim_recoveries(paid)
        for instalment in instalments:
            d = self.disbursements.get(instalment.idempotency_key)
            if d is not None and d.status != PAID and instalment.starts_on > ended_on:
                self._cancelled(idempotency_key=d.idempotency_key, attempt=d.attempt, rule="funding.ended",
                                reason=f"support ended on {ended_on}, before this period starts",
                                effective_on=ended_on)
        self.tick(today)

    def _claim_recoveries(self, paid: list[Instalment]) -> None:
        for claim in recovery_on_early_end(paid, self.ended["ended_on"]):
            if self.recoveries.get(claim.idempotency_key, {}).get("status") == "claimed":
                continue   # a period is recovered once
            why = claim.computation
            self._recovery_claimed(idempotency_key=claim.idempotency_key, obligation_id=claim.obligation_id,
                                   period=claim.period, paid_key=why.inputs["paid_key"],
                                   overpaid_fen=claim.overpaid_fen, ended_on=self.ended["ended_on"],
                                   rule=why.rule, clause=why.clause, policy_edition=why.policy_edition,
                                   inputs=dict(why.inputs), explanation=why.explanation,
                                   effective_on=self.ended["ended_on"])

    # -- guards ---------------------------------------------------------------------------------------
    def _require_decision(self) -> None:
        if self.decision is None:
            raise rule_violation("funding.decision.required", "no award decision has been recorded for this case")

    def _require_not_ended(self) -> None:
        if self.ended:
            raise rule_violation("funding.ended", f"support ended on {self.ended['ended_on']}")

    # -- events ---------------------------------------------------------------------------------------
    @event(EntitlementsGranted)
    def _entitlements_granted(self, award_fen: int, prior_changju_award_fen: int, national_or_beijing_talent: bool,
                              category: str, policy_edition: str, decision_rule: str, decision_inputs: dict,
                              decided_by: str, decision_event_id: str, effective_on: date, entitlements: list,
                              figures: dict):
        self.decision = {"award_fen": award_fen, "prior_changju_award_fen": prior_changju_award_fen,
                         "national_or_beijing_talent": national_or_beijing_talent, "category": category,
                         "policy_edition": policy_edition, "decided_by": decided_by, "effective_on": effective_on}
        self.figures = figures
        self.entitlements = {e["code"]: e for e in entitlements}

    @event("AwardDeclined")
    def _declined(self, rule: str, message: str, budget: str, year: int, remaining_fen: int, requested_fen: int,
                  award_fen: int, decided_by: str, decision_event_id: str, effective_on: date):
        self.declined = {"rule": rule, "budget": budget, "year": year, "remaining_fen": remaining_fen,
                         "decision_event_id": decision_event_id}

    @event("DeadlineSet")
    def _deadline_set(self, deadline: str, due_on: date, starts_on: date, rule: str, clause: str,
                      policy_edition: str, effective_on: date):
        self.deadlines[deadline] = {"due_on": due_on, "starts_on": starts_on, "rule": rule, "clause": clause,
                                    "status": PENDING_DEADLINE}

    @event("DeadlineReached")
    def _deadline_reached(self, deadline: str, due_on: date, effective_on: date, rule: str, clause: str):
        self.deadlines[deadline]["status"] = REACHED

    @event("HousingChosen")
    def _housing_chosen(self, choice: str, starts_on: date, monthly_rent_fen: int | None,
                        frequency_months: int | None, ends_on: date | None, effective_on: date, entitlements: list):
        self.housing = {"choice": choice, "starts_on": starts_on, "monthly_rent_fen": monthly_rent_fen,
                        "frequency_months": frequency_months, "ends_on": ends_on}
        self.entitlements.update({e["code"]: e for e in entitlements})

    @event("ServiceMoneyClaimApproved")
    def _service_money_claim_approved(self, period: str, idempotency_key: str, spent_on: date, year_index: int,
                                      claimed_fen: int, approved_fen: int, purpose: str, document_ref: str,
                                      computation: dict, effective_on: date):
        self.claims += 1
        self.service_money_approved[year_index] = self.service_money_approved.get(year_index, 0) + approved_fen

    @event("EndedEarly")
    def _ended_early(self, ended_on: date, reason: str, deadlines_cancelled: list, effective_on: date):
        self.ended = {"ended_on": ended_on, "reason": reason}
        for name in deadlines_cancelled:
            self.deadlines[name]["status"] = DEADLINE_CANCELLED


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
