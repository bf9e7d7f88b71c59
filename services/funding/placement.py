"""A placement's funding (programme B, 科技副总 vice-president 2.0): what the appointment entitles the
company and the expert to, the living subsidy released month by month, prizes, the breakthrough
subsidy, what the funding office reported, and what an early end claims back. Pure domain: no
nameko, no kombu, no clock — business dates are passed in.

The disbursements, the office's reports and retries, and recoveries are `services.funding.ledger`'s,
shared with programme A's `CaseFunding`: the same idempotency keys `<case_id>:<obligation_id>:<period>`,
attempts, paid-once rule and event shapes.

The rules, by the ids a refusal names:

* `funding.appointment.required` / `funding.appointment.once` — money follows one appointment.
* `B.project_subsidy.cap` (applied, never refused: min(50% of the funds, 300,000 / 100,000 yuan));
  `B.project_subsidy.one_per_term` — an expert's project subsidy for only one placement per term
  (a second placement whose term overlaps a subsidised one gets the subsidy *refused*, recorded).
* `B.living.monthly` (applied): 2,000 yuan a month, partial months pro rata by days, in arrears.
* `B.prize.concluded` (the term has expired: a project that ended early has not concluded),
  `B.prize.once` (one prize per placement — our reading of 每年度对结题的课题进行评选), `B.prize.year`
  (a selection year from the one the term ended in up to this year), `B.prize.level`.
* `B.breakthrough.once` (one breakthrough subsidy per placement); `B.breakthrough.cap` (applied).
* `B.term.extension_later` — an extension moves the end later.
* `separation_of_duties.decide_release` — whoever decided a prize or a breakthrough subsidy neither
  reports nor retries that payment.
* `funding.ended.once` — one early end.
* `policy.edition.not_in_force` — a prize or breakthrough subsidy is a new decision: it uses the
  edition of the placement's series in force on its date, and is refused when none is.

The living subsidy, its recoveries and the timer derive from the figures the appointment recorded
(`EntitlementsGranted.figures`), never from the policy file as it is now (docs/policy.md).
"""
from __future__ import annotations

from datetime import date, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared import policy as policies
from shared.actors import same_actor
from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream
from shared.money import fen_to_yuan_str
from shared.policy.figures import vice_president_figures

from services.funding import ledger
from services.funding.computation import Computation
from services.funding.ledger import CANCELLED, PAID, Disbursement, Ledger, idempotency_key
from services.funding.placement_money import (BREAKTHROUGH, CLAUSES, LIVING, LIVING_RECOVERY, PRIZE, PROJECT,
                                              LivingMonth, breakthrough_subsidy, living_monthly_fen, living_months,
                                              next_living_due, prize, project_subsidy, schedule_end, term_months)

PURPOSES = {PROJECT: "project subsidy (项目资金补贴)", LIVING: "living subsidy (人才生活补贴)",
            PRIZE: "prize (课题奖励)", BREAKTHROUGH: "breakthrough subsidy (重大技术突破资金补贴)"}
SERVICES = {"medical_green_channel": ("service", "四(一)1"), "public_rental_housing": ("in_kind", "四(一)2")}
GRANTED, REFUSED, ENDED = "granted", "refused", "ended"
EXPERT_TERMS = uuid5(NAMESPACE_URL, "urn:changping:funding:expert-subsidised-terms")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _entitlement(code: str, kind: str, status: str, clause: str, title: str, *, starts_on: date, ends_on: date,
                 computation: Computation | None = None, unit: str | None = None, units: int = 0,
                 ceiling_fen: int = 0) -> dict:
    """The same shape as programme A's entitlements (services.funding.domain.entitlement_dict)."""
    amount = computation.amount_fen if computation else 0
    return {"code": code, "kind": kind, "status": status, "clause": clause, "title": title, "unit": unit,
            "units": units, "amount_fen": amount, "ceiling_fen": ceiling_fen if status == GRANTED else 0,
            "starts_on": _iso(starts_on), "ends_on": _iso(ends_on),
            "computation": computation.to_dict() if computation else None}


def _project_entitlement(policy: dict, appointment: dict) -> tuple[dict, Computation]:
    """The project subsidy (四(二)1), refused if another placement of the expert holds it this term
    (`project_subsidy_held_by`); with its computation."""
    starts_on, ends_on = appointment["starts_on"], appointment["ends_on"]
    held_by = appointment.get("project_subsidy_held_by")
    if held_by:
        why = Computation(rule="B.project_subsidy.one_per_term", clause=CLAUSES[PROJECT],
                          policy_edition=policy["edition"], amount_fen=0,
                          inputs={"expert_id": str(appointment["expert_id"]), "held_by_placement": str(held_by)},
                          explanation="an expert's project subsidy is for one placement per service term"
                                      " (一个服务期内仅可获得一个合作项目资金补贴支持): another placement holds it")
        return _entitlement(PROJECT, "money", REFUSED, CLAUSES[PROJECT], PURPOSES[PROJECT], starts_on=starts_on,
                            ends_on=ends_on, computation=why, unit="once", units=1), why
    why = project_subsidy(policy, appointment["kind"], appointment["project_funds_fen"])
    return _entitlement(PROJECT, "money", GRANTED, CLAUSES[PROJECT], PURPOSES[PROJECT], starts_on=starts_on,
                        ends_on=ends_on, computation=why, unit="once", units=1, ceiling_fen=why.amount_fen), why


def _living_entitlement(policy: dict, starts_on: date, ends_on: date) -> dict:
    """The living subsidy (四(二)2): so much a month for the term's months."""
    months = term_months(starts_on, ends_on)
    monthly = living_monthly_fen(policy)
    why = Computation(
        rule="B.living.monthly", clause=CLAUSES[LIVING], policy_edition=policy["edition"], amount_fen=monthly,
        inputs={"monthly_fen": monthly, "term_starts_on": starts_on.isoformat(),
                "term_ends_on": ends_on.isoformat(), "months": months,
                "partial_month": policy["living_partial_month"]},
        explanation=f"{fen_to_yuan_str(monthly)} yuan a month for the {months} month(s) of the term, months"
                    " anchored at its start, a part month pro rata by days, paid in arrears")
    return _entitlement(LIVING, "money", GRANTED, CLAUSES[LIVING], PURPOSES[LIVING], starts_on=starts_on,
                        ends_on=ends_on, computation=why, unit="month", units=months, ceiling_fen=monthly * months)


class PlacementFunding(Ledger, Stream):
    STREAM = "placement_funding"
    CASE_STREAM = True

    # the ledger's events, redefined here as PlacementFunding's own (see services.funding.ledger)
    DisbursementScheduled = ledger.DisbursementScheduled
    DisbursementPaid = ledger.DisbursementPaid
    DisbursementFailed = ledger.DisbursementFailed
    DisbursementReturned = ledger.DisbursementReturned
    DisbursementRetried = ledger.DisbursementRetried
    DisbursementCancelled = ledger.DisbursementCancelled
    RecoveryClaimed = ledger.RecoveryClaimed
    RecoveryWithdrawn = ledger.RecoveryWithdrawn

    class EntitlementsGranted(Stream.Event):
        """v2 records the figures the appointment used; a v1 event is upcast with the figures of the
        edition it names (frozen, so they are the figures it was decided on)."""
        class_version = 2
        unit_id: UUID
        expert_id: UUID
        starts_on: date
        ends_on: date
        kind: str
        project_funds_fen: int
        policy_edition: str
        appointed_by: str
        appointment_event_id: str
        effective_on: date
        entitlements: list
        figures: dict

        @staticmethod
        def upcast_v1_v2(state):
            state["figures"] = vice_president_figures(policies.edition(state["policy_edition"]))

    @event("Opened")
    def __init__(self, id: UUID, unit_id: UUID, expert_id: UUID, cooperation_id: UUID | None,  # noqa: A002
                 kind: str, project_funds_fen: int, policy_edition: str):
        self.unit_id, self.expert_id, self.cooperation_id = unit_id, expert_id, cooperation_id
        self.kind, self.project_funds_fen, self.policy_edition = kind, project_funds_fen, policy_edition
        self.appointment: dict | None = None
        self.figures: dict | None = None            # what the appointment recorded (shared/policy/figures.py)
        self.term_ends_on: date | None = None       # first day no longer in the term (extensions included)
        self.ended: dict | None = None              # an early end: ended_on = last day in the term
        self.expired: dict | None = None
        self.entitlements: dict[str, dict] = {}
        self.prize: dict | None = None
        self.breakthrough: dict | None = None
        self.deciders: dict[str, str] = {}          # idempotency key -> who decided that money
        self._open_ledger()

    # -- reading --------------------------------------------------------------------------------------
    def policy_in_force(self, today: date) -> dict:
        """The figures a new decision on this placement (a prize, a breakthrough subsidy) uses: the
        edition of its series in force today; refused with policy.edition.not_in_force."""
        return vice_president_figures(policies.in_force(policies.series_of(self.policy_edition), today))

    @property
    def schedule_ends_on(self) -> date | None:
        """The first day no longer paid: the term's end (extensions included), or earlier the expiry's
        date or the day after an early end. Never later than the term: an expiry or end after it pays
        nothing more."""
        if self.appointment is None:
            return None
        return schedule_end(self.appointment["starts_on"], self.term_ends_on,
                            expired_on=self.expired["ends_on"] if self.expired else None,
                            ended_on=self.ended["ended_on"] if self.ended else None)

    def living_plan(self) -> list[LivingMonth]:
        if self.appointment is None:
            return []
        return living_months(self.figures, self.appointment["starts_on"], self.schedule_ends_on)

    def living_keys(self, month: str) -> list[Disbursement]:
        return [d for d in self.disbursements.values()
                if d.obligation_id == LIVING and d.period.split(".")[0] == month]

    def released_fen(self, month: str) -> int:
        return sum(d.amount_fen for d in self.living_keys(month) if d.status != CANCELLED)

    @property
    def stopped_on(self) -> date | None:
        """The last day paid once the placement has ended or expired (None while it runs)."""
        if self.expired or self.ended:
            return self.schedule_ends_on - timedelta(days=1)
        return None

    # -- the appointment ------------------------------------------------------------------------------
    def appoint(self, appointment: dict, today: date) -> None:
        """The appointment letters are issued: record the entitlements, schedule the project subsidy to
        the company and start the living subsidy. `appointment`: unit_id, expert_id, starts_on, ends_on,
        kind, project_funds_fen, policy_edition, appointed_by, appointment_event_id, and optionally
        `project_subsidy_held_by` (another placement of the expert whose term overlaps and that holds
        the project subsidy)."""
        if self.appointment is not None:
            raise rule_violation("funding.appointment.once", "this placement was already appointed")
        policy = vice_president_figures(policies.edition(appointment["policy_edition"]))
        starts_on, ends_on = appointment["starts_on"], appointment["ends_on"]
        project, why = _project_entitlement(policy, appointment)
        living = _living_entitlement(policy, starts_on, ends_on)
        titles = {s["code"]: s["title"] for s in policy["services"]}
        services = [_entitlement(code, kind, GRANTED, clause, titles.get(code, code), starts_on=starts_on,
                                 ends_on=ends_on) for code, (kind, clause) in SERVICES.items()]
        self._entitlements_granted(
            unit_id=appointment["unit_id"], expert_id=appointment["expert_id"], starts_on=starts_on, ends_on=ends_on,
            kind=appointment["kind"], project_funds_fen=appointment["project_funds_fen"],
            policy_edition=policy["edition"], appointed_by=appointment["appointed_by"],
            appointment_event_id=str(appointment["appointment_event_id"]), effective_on=starts_on,
            entitlements=[project, living, *services], figures=policy)
        if project["status"] == GRANTED and why.amount_fen > 0:
            key = idempotency_key(self.id, PROJECT, "once")
            self._scheduled(obligation_id=PROJECT, period="once", idempotency_key=key, amount_fen=why.amount_fen,
                            payee="company", payee_ref=f"unit:{self.unit_id}", purpose=PURPOSES[PROJECT],
                            due_on=max(starts_on, today), rule=why.rule, policy_edition=why.policy_edition,
                            case_id=str(self.id), clause=why.clause, period_starts_on=starts_on,
                            period_ends_on=ends_on - timedelta(days=1), effective_on=starts_on,
                            inputs=dict(why.inputs), explanation=why.explanation, attempt=1)
        self.tick(today)   # an appointment learnt late may already owe months

    def extend(self, ends_on: date, reason: str, today: date) -> None:
        """六(一)2: after a major breakthrough the same term runs to a later end; the living subsidy
        follows it (months not yet released; a part month already released is topped up)."""
        self._require_appointment()
        if ends_on <= self.term_ends_on:
            raise rule_violation("B.term.extension_later", f"an extension ends after {self.term_ends_on}",
                                 fields={"ends_on": [f"after {self.term_ends_on}"]})
        previous = self.term_ends_on
        self._term_extended(previous_ends_on=previous, ends_on=ends_on, reason=reason, effective_on=today)
        self._entitlement_restated(entitlement=self._extended_living(previous, ends_on),
                                   cause="term_extended", effective_on=today)
        self.tick(today)

    def _extended_living(self, previous_ends_on: date, ends_on: date) -> dict:
        """The living-subsidy entitlement restated for the extended term: its months and ceiling follow
        the new end, at the monthly figure the appointment recorded (not today's policy file)."""
        recorded = self.entitlements[LIVING]
        monthly = recorded["computation"]["amount_fen"]
        starts_on = self.appointment["starts_on"]
        months = term_months(starts_on, ends_on)
        inputs = {**recorded["computation"]["inputs"], "monthly_fen": monthly, "term_ends_on": ends_on.isoformat(),
                  "months": months, "extended_from": previous_ends_on.isoformat()}
        why = Computation(
            rule="B.living.monthly", clause=CLAUSES[LIVING], policy_edition=recorded["computation"]["policy_edition"],
            amount_fen=monthly, inputs=inputs,
            explanation=f"{fen_to_yuan_str(monthly)} yuan a month for the {months} month(s) of the term extended"
                        f" from {previous_ends_on} to {ends_on} (六(一)2), months anchored at its start, a part"
                        " month pro rata by days, paid in arrears")
        return _entitlement(LIVING, "money", GRANTED, CLAUSES[LIVING], PURPOSES[LIVING], starts_on=starts_on,
                            ends_on=ends_on, computation=why, unit="month", units=months,
                            ceiling_fen=monthly * months)

    def end_early(self, ended_on: date, reason: str, today: date) -> None:
        """The placement ended before its term; `ended_on` is the last day still in the term. The living
        subsidy stops after it: unpaid months reaching past it are cancelled (the part month is released
        again for its days), paid days after it are claimed back, the in-term services end."""
        self._require_appointment()
        if self.ended or self.expired:
            raise rule_violation("funding.ended.once", "this placement's term already ended")
        self._ended_early(ended_on=ended_on, reason=reason, services_ended=self._running_services(),
                          effective_on=ended_on)
        self._stop(today)

    def expire(self, ends_on: date, today: date) -> bool:
        """The term expired (`ends_on`: the first day no longer in it). Recorded once; ends the in-term
        services; an expiry earlier than the end we knew stops the living subsidy there, as an early end
        would. Returns False (nothing recorded) if the expiry or an early end is already recorded."""
        self._require_appointment()
        if self.expired or self.ended:
            return False
        self._term_expired(ends_on=ends_on, services_ended=self._running_services(), effective_on=ends_on)
        self._stop(today)
        return True

    def _running_services(self) -> list[str]:
        return [code for code in SERVICES if self.entitlements.get(code, {}).get("status") == GRANTED]

    def _stop(self, today: date) -> None:
        last_day = self.stopped_on
        for d in list(self.disbursements.values()):
            if d.obligation_id == LIVING and d.status not in (PAID, CANCELLED) and d.period_ends_on > last_day:
                self._cancel_unpaid(d, f"the placement's term ended on {last_day}, before this period ends",
                                    effective_on=last_day + timedelta(days=1))
            elif d.obligation_id == PROJECT and d.status not in (PAID, CANCELLED) \
                    and last_day < self.appointment["starts_on"]:
                self._cancel_unpaid(d, "the placement ended before its term started",
                                    effective_on=last_day + timedelta(days=1))
        self._claim_living_recoveries()
        self.tick(today)

    # -- the living subsidy's recovery ----------------------------------------------------------------
    def _claim_living_recoveries(self) -> None:
        """Claim back living subsidy paid for days after the end: per month, what was paid beyond what
        the shortened month is worth (a month wholly after the end is worth nothing)."""
        last_day = self.stopped_on
        if last_day is None:
            return
        worth = {m.name: m for m in self.living_plan()}
        months = sorted({d.period.split(".")[0] for d in self.disbursements.values()
                         if d.obligation_id == LIVING and d.status == PAID and d.period_ends_on > last_day})
        for month in months:
            entitled = worth[month].amount_fen if month in worth else 0
            kept_left = entitled
            for d in sorted(self.living_keys(month), key=lambda d: d.period_starts_on.isoformat() + d.period):
                if d.status != PAID:
                    continue
                kept = max(0, min(d.amount_fen, kept_left))
                kept_left -= kept
                overpaid = d.amount_fen - kept
                key = idempotency_key(self.id, LIVING_RECOVERY, d.period)
                if overpaid <= 0 or self.recoveries.get(key, {}).get("status") == "claimed":
                    continue
                inputs = {"paid_key": d.idempotency_key, "paid_fen": d.amount_fen, "month": month,
                          "month_worth_fen": entitled, "kept_fen": kept, "last_day": last_day.isoformat(),
                          "period_starts_on": d.period_starts_on.isoformat(),
                          "period_ends_on": d.period_ends_on.isoformat(),
                          "convention": f"the month is worth {fen_to_yuan_str(self.figures['living_monthly_fen'])}"
                                        " yuan × days up to the last day in the term / days of the anchored"
                                        " month, half-up; a month after it nothing"}
                self._recovery_claimed(
                    idempotency_key=key, obligation_id=LIVING_RECOVERY, period=d.period, paid_key=d.idempotency_key,
                    overpaid_fen=overpaid, ended_on=last_day, rule="B.living.recovery.early_end",
                    clause=CLAUSES[LIVING], policy_edition=self.policy_edition, inputs=inputs,
                    explanation=f"paid {fen_to_yuan_str(d.amount_fen)} for {month}, worth"
                                f" {fen_to_yuan_str(kept)} up to {last_day}: {fen_to_yuan_str(overpaid)} overpaid",
                    effective_on=last_day)

    def _after_paid(self, d: Disbursement) -> None:
        if self.stopped_on is not None and d.obligation_id == LIVING and d.period_ends_on > self.stopped_on:
            self._claim_living_recoveries()

    # -- prizes and the breakthrough subsidy ----------------------------------------------------------
    def award_prize(self, actor_id: str, level: str, year: int, reason: str, today: date) -> dict:
        """四(二)3: a yearly prize for a concluded project, to the expert; one per placement."""
        self._require_appointment()
        if not self.expired:
            raise rule_violation("B.prize.concluded", "a prize is for a concluded project: this placement's term"
                                 + (" ended early" if self.ended else " has not expired"))
        if self.prize is not None:
            raise rule_violation("B.prize.once", f"this placement already has a {self.prize['level']} prize")
        concluded_in = (self.expired["ends_on"] - timedelta(days=1)).year
        if not concluded_in <= year <= today.year:
            raise rule_violation("B.prize.year", f"the selection year is from {concluded_in} (the term ended then)"
                                 f" to {today.year}", fields={"year": [f"{concluded_in}–{today.year}"]})
        why = prize(self.policy_in_force(today), level, year)
        key = idempotency_key(self.id, PRIZE, str(year))
        self._prize_awarded(level=level, year=year, amount_fen=why.amount_fen, idempotency_key=key,
                            decided_by=actor_id, reason=reason, computation=why.to_dict(), effective_on=today)
        self._schedule_decided(PRIZE, str(year), key, why, "expert", f"expert:{self.expert_id}", today)
        return {"idempotency_key": key, "amount_fen": why.amount_fen, "level": level, "year": year}

    def grant_breakthrough(self, actor_id: str, investment_fen: int, reason: str, today: date) -> dict:
        """四(二)4: 30% of the transformation/industrialisation investment, at most 5,000,000 yuan, to
        the company; once per placement."""
        self._require_appointment()
        if self.breakthrough is not None:
            raise rule_violation("B.breakthrough.once", "this placement already has its breakthrough subsidy")
        why = breakthrough_subsidy(self.policy_in_force(today), investment_fen)
        key = idempotency_key(self.id, BREAKTHROUGH, "once")
        self._breakthrough_granted(investment_fen=investment_fen, amount_fen=why.amount_fen, idempotency_key=key,
                                   decided_by=actor_id, reason=reason, computation=why.to_dict(), effective_on=today)
        self._schedule_decided(BREAKTHROUGH, "once", key, why, "company", f"unit:{self.unit_id}", today)
        return {"idempotency_key": key, "amount_fen": why.amount_fen, "investment_fen": investment_fen}

    def _schedule_decided(self, obligation: str, period: str, key: str, why: Computation, payee: str,
                          payee_ref: str, today: date) -> None:
        self._scheduled(obligation_id=obligation, period=period, idempotency_key=key, amount_fen=why.amount_fen,
                        payee=payee, payee_ref=payee_ref, purpose=PURPOSES[obligation], due_on=today, rule=why.rule,
                        policy_edition=why.policy_edition, case_id=str(self.id), clause=why.clause,
                        period_starts_on=today, period_ends_on=None, effective_on=today, inputs=dict(why.inputs),
                        explanation=why.explanation, attempt=1)

    def _check_separation(self, actor_id: str, disbursement: Disbursement) -> None:
        if same_actor(self.deciders.get(disbursement.idempotency_key), actor_id):
            raise rule_violation("separation_of_duties.decide_release",
                                 "whoever decided a prize or a breakthrough subsidy cannot report or retry its"
                                 " payment")

    # -- time -----------------------------------------------------------------------------------------
    def tick(self, today: date) -> int:
        """Release every living-subsidy month due by `today` (in arrears) not yet released in full, in
        order, each exactly once (a month's first key is its name, '2025-03'; a later top-up or
        re-release after a cancellation is '2025-03.2', …). Safe to call any number of times."""
        count = 0
        for month in self.living_plan():
            if month.due_on > today:
                break
            owed = month.amount_fen - self.released_fen(month.name)
            if owed > 0:
                self._release(month, owed)
                count += 1
        return count

    def next_due_on(self) -> date | None:
        """When `tick` next has a month to release (None: nothing left); the read model asks the same rule."""
        if self.appointment is None:
            return None
        return next_living_due(self.figures, self.appointment["starts_on"], self.schedule_ends_on, self.released_fen)

    def _release(self, month: LivingMonth, owed: int) -> None:
        keys = self.living_keys(month.name)
        period = month.name if not keys else f"{month.name}.{len(keys) + 1}"
        why = month.computation
        inputs = dict(why.inputs)
        if owed != month.amount_fen:
            inputs.update(month_fen=month.amount_fen, released_before_fen=month.amount_fen - owed)
        self._scheduled(obligation_id=LIVING, period=period, idempotency_key=idempotency_key(self.id, LIVING, period),
                        amount_fen=owed, payee="expert", payee_ref=f"expert:{self.expert_id}",
                        purpose=PURPOSES[LIVING], due_on=month.due_on, rule=why.rule,
                        policy_edition=why.policy_edition, case_id=str(self.id), clause=why.clause,
                        period_starts_on=month.starts_on, period_ends_on=month.last_day, effective_on=month.due_on,
                        inputs=inputs, explanation=why.explanation
                        + ("" if owed == month.amount_fen else f"; {fen_to_yuan_str(owed)} still owed"),
                        attempt=1)

    # -- guards ---------------------------------------------------------------------------------------
    def _require_appointment(self) -> None:
        if self.appointment is None:
            raise rule_violation("funding.appointment.required", "this placement has no appointment yet")

    # -- events ---------------------------------------------------------------------------------------
    @event(EntitlementsGranted)
    def _entitlements_granted(self, unit_id: UUID, expert_id: UUID, starts_on: date, ends_on: date, kind: str,
                              project_funds_fen: int, policy_edition: str, appointed_by: str,
                              appointment_event_id: str, effective_on: date, entitlements: list, figures: dict):
        self.unit_id, self.expert_id, self.kind = unit_id, expert_id, kind
        self.project_funds_fen, self.policy_edition = project_funds_fen, policy_edition
        self.figures = figures
        self.appointment = {"starts_on": starts_on, "ends_on": ends_on, "appointed_by": appointed_by,
                            "appointment_event_id": appointment_event_id}
        self.term_ends_on = ends_on
        self.entitlements = {e["code"]: e for e in entitlements}

    @event("TermExtended")
    def _term_extended(self, previous_ends_on: date, ends_on: date, reason: str, effective_on: date):
        self.term_ends_on = ends_on

    @event("EntitlementRestated")
    def _entitlement_restated(self, entitlement: dict, cause: str, effective_on: date):
        self.entitlements[entitlement["code"]] = entitlement

    @event("EndedEarly")
    def _ended_early(self, ended_on: date, reason: str, services_ended: list, effective_on: date):
        self.ended = {"ended_on": ended_on, "reason": reason}
        for code in services_ended:
            self.entitlements[code] = {**self.entitlements[code], "status": ENDED}

    @event("TermExpired")
    def _term_expired(self, ends_on: date, services_ended: list, effective_on: date):
        self.expired = {"ends_on": ends_on}
        for code in services_ended:
            self.entitlements[code] = {**self.entitlements[code], "status": ENDED}

    @event("PrizeAwarded")
    def _prize_awarded(self, level: str, year: int, amount_fen: int, idempotency_key: str, decided_by: str,
                       reason: str, computation: dict, effective_on: date):
        self.prize = {"level": level, "year": year, "amount_fen": amount_fen, "idempotency_key": idempotency_key}
        self.deciders[idempotency_key] = decided_by

    @event("BreakthroughSubsidyGranted")
    def _breakthrough_granted(self, investment_fen: int, amount_fen: int, idempotency_key: str, decided_by: str,
                              reason: str, computation: dict, effective_on: date):
        self.breakthrough = {"investment_fen": investment_fen, "amount_fen": amount_fen,
                             "idempotency_key": idempotency_key}
        self.deciders[idempotency_key] = decided_by


class ExpertSubsidisedTerms(Stream):
    """The terms in which an expert's placements hold a project subsidy (一个服务期内仅可获得一个合作项目资金
    补贴支持). One per expert, with a deterministic id, so two placements appointed at once meet a version
    conflict instead of both taking the subsidy. Bookkeeping: never published."""
    PUBLISHED = False

    @staticmethod
    def id_for(expert_id) -> UUID:
        return uuid5(EXPERT_TERMS, str(expert_id))

    @event("Opened")
    def __init__(self, id: UUID, expert_id: str):  # noqa: A002
        self.expert_id = expert_id
        self.terms: list[dict] = []

    def holder(self, placement_id, starts_on: date, ends_on: date) -> str | None:
        """Another placement whose subsidised term overlaps [starts_on, ends_on), if any."""
        for term in self.terms:
            if term["placement_id"] != str(placement_id) and term["starts_on"] < ends_on \
                    and starts_on < term["ends_on"]:
                return term["placement_id"]
        return None

    @event("Claimed")
    def claim(self, placement_id: str, starts_on: date, ends_on: date):
        self.terms.append({"placement_id": placement_id, "starts_on": starts_on, "ends_on": ends_on})
