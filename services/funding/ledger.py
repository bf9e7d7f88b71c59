"""The disbursement ledger both funding aggregates share: programme A's `CaseFunding` and
programme B's `PlacementFunding`. Pure domain: no nameko, no clock — business dates are passed in.

Each obligation is paid in periods; every (obligation, period) has one idempotency key
`<case_id>:<obligation_id>:<period>`, which the funding office uses so that no period can ever
be paid twice. A failed or returned payment is retried as a new *attempt* under the same key.

The event classes are defined once, here, and each aggregate names them in its own body
(`DisbursementPaid = ledger.DisbursementPaid`): eventsourcing then redefines them as the
aggregate's own nested events (`CaseFunding.DisbursementPaid`,
`PlacementFunding.DisbursementPaid`), so each stream keeps its own event types and topics,
while the state they change and the rules of the funding office's reports live in one place
(`Ledger`). Both redefinitions subclass the class defined here, so a reader of either stream's
events matches this one (`isinstance`, or `services.funding.views.change_for`).

The rules, by the ids a refusal names: `funding.payment.paid_once`,
`funding.payment.current_attempt`, `funding.payment.transition`, `funding.payment.not_in_future`,
`funding.payment.outcome`, `funding.retry.pending`, `funding.disbursement.cancelled`, and
`separation_of_duties.decide_release` (who may not report or retry is each aggregate's
`_check_separation`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.errors import not_found, rule_violation
from shared.eventstore.aggregate import Stream

# disbursement statuses
SCHEDULED, RETRIED, PAID, FAILED, RETURNED, CANCELLED = \
    "scheduled", "retried", "paid", "failed", "returned", "cancelled"
PENDING = (SCHEDULED, RETRIED)          # due and unpaid: the office should pay it
OUTCOMES = (PAID, FAILED, RETURNED)     # what the office reports


def idempotency_key(case_id, obligation_id: str, period: str) -> str:
    return f"{case_id}:{obligation_id}:{period}"


def case_id_of_key(key: str) -> str:
    return key.split(":", 1)[0]


@dataclass
class Disbursement:
    """One obligation-period as it stands (state, not an event)."""
    idempotency_key: str
    obligation_id: str
    period: str
    amount_fen: int
    due_on: date
    period_starts_on: date
    period_ends_on: date | None
    attempt: int = 1
    status: str = SCHEDULED
    attempts: list[dict] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.status in PENDING


# -- the shared events ------------------------------------------------------------------------------
class DisbursementScheduled(Stream.Event):
    class_version = 2
    obligation_id: str
    period: str
    idempotency_key: str
    amount_fen: int
    payee: str
    purpose: str
    due_on: date
    rule: str
    policy_edition: str
    case_id: str
    payee_ref: str
    clause: str
    period_starts_on: date
    period_ends_on: date | None
    effective_on: date
    inputs: dict
    explanation: str
    attempt: int

    @staticmethod
    def upcast_v1_v2(state):
        """Only programme A ever stored v1 (its award money, clause 三(一))."""
        case_id = str(state["originator_id"])
        state.update(case_id=case_id, payee_ref=f"case:{case_id}", clause="三(一)",
                     period_starts_on=state["due_on"], period_ends_on=None, effective_on=state["due_on"],
                     inputs={}, explanation=state["purpose"], attempt=1)

    def apply(self, aggregate) -> None:
        aggregate.disbursements[self.idempotency_key] = Disbursement(
            idempotency_key=self.idempotency_key, obligation_id=self.obligation_id, period=self.period,
            amount_fen=self.amount_fen, due_on=self.due_on, period_starts_on=self.period_starts_on,
            period_ends_on=self.period_ends_on, attempts=[{"attempt": 1, "status": SCHEDULED, "due_on": self.due_on}])


class DisbursementPaid(Stream.Event):
    idempotency_key: str
    attempt: int
    office_reference: str
    amount_fen: int
    effective_on: date

    def apply(self, aggregate) -> None:
        aggregate._attempt_outcome(self.idempotency_key, PAID, self.office_reference, self.effective_on)


class DisbursementFailed(Stream.Event):
    idempotency_key: str
    attempt: int
    office_reference: str
    reason: str | None
    effective_on: date

    def apply(self, aggregate) -> None:
        aggregate._attempt_outcome(self.idempotency_key, FAILED, self.office_reference, self.effective_on)


class DisbursementReturned(Stream.Event):
    idempotency_key: str
    attempt: int
    office_reference: str
    reason: str | None
    amount_fen: int
    effective_on: date

    def apply(self, aggregate) -> None:
        aggregate._attempt_outcome(self.idempotency_key, RETURNED, self.office_reference, self.effective_on)


class DisbursementRetried(Stream.Event):
    idempotency_key: str
    attempt: int
    previous_attempt: int
    reason: str
    due_on: date
    amount_fen: int
    obligation_id: str
    period: str
    effective_on: date

    def apply(self, aggregate) -> None:
        d = aggregate.disbursements[self.idempotency_key]
        d.attempt, d.status, d.due_on = self.attempt, RETRIED, self.due_on
        d.attempts.append({"attempt": self.attempt, "status": RETRIED, "due_on": self.due_on})


class DisbursementCancelled(Stream.Event):
    idempotency_key: str
    attempt: int
    rule: str
    reason: str
    effective_on: date

    def apply(self, aggregate) -> None:
        d = aggregate.disbursements[self.idempotency_key]
        d.status = CANCELLED
        d.attempts[-1]["status"] = CANCELLED


class RecoveryClaimed(Stream.Event):
    idempotency_key: str
    obligation_id: str
    period: str
    paid_key: str
    overpaid_fen: int
    ended_on: date
    rule: str
    clause: str
    policy_edition: str
    inputs: dict
    explanation: str
    effective_on: date

    def apply(self, aggregate) -> None:
        aggregate.recoveries[self.idempotency_key] = {"paid_key": self.paid_key, "overpaid_fen": self.overpaid_fen,
                                                      "status": "claimed"}


class RecoveryWithdrawn(Stream.Event):
    idempotency_key: str
    paid_key: str
    reason: str
    effective_on: date

    def apply(self, aggregate) -> None:
        aggregate.recoveries[self.idempotency_key]["status"] = "withdrawn"


class Ledger:
    """Disbursements, the funding office's reports and retries, and recoveries. Mixed into a
    `Stream` aggregate whose body names the event classes above (see the module's docstring) and
    whose creation calls `_open_ledger()`.

    Hooks: `_check_separation(actor_id, disbursement)` refuses a report or retry by someone who
    decided the money; `_after_paid(disbursement)` lets the aggregate react to a payment (a
    recovery, when support already ended before this period was paid)."""

    disbursements: dict[str, Disbursement]
    recoveries: dict[str, dict]

    def _open_ledger(self) -> None:
        self.disbursements = {}
        self.recoveries = {}

    # -- reading --------------------------------------------------------------------------------------
    @property
    def scheduled(self) -> dict[str, int]:
        """Every disbursement ever scheduled: idempotency key -> amount in fen."""
        return {key: d.amount_fen for key, d in self.disbursements.items()}

    def paid_fen(self, obligation_id: str | None = None) -> int:
        """What the office reported paid and not returned."""
        return sum(d.amount_fen for d in self.disbursements.values()
                   if d.status == PAID and obligation_id in (None, d.obligation_id))

    def recovered_fen(self) -> int:
        return sum(r["overpaid_fen"] for r in self.recoveries.values() if r["status"] == "claimed")

    def disbursement(self, key: str) -> Disbursement:
        found = self.disbursements.get(key)
        if found is None:
            raise not_found("disbursement", key)
        return found

    # -- the funding office ---------------------------------------------------------------------------
    def report_payment(self, actor_id: str, key: str, attempt: int, outcome: str, office_reference: str,
                       effective_on: date, today: date, reason: str | None = None) -> Disbursement:
        """The office reports an attempt paid, failed or returned. A key is paid at most once at a
        time: a second `paid` is refused; a `returned` undoes a `paid` (the money came back)."""
        d = self.disbursement(key)
        self._check_separation(actor_id, d)
        if d.status == CANCELLED:
            raise rule_violation("funding.disbursement.cancelled", f"{key} was cancelled: it must not be paid")
        if attempt != d.attempt:
            raise rule_violation("funding.payment.current_attempt", f"{key} is at attempt {d.attempt}; reports"
                                 f" name the current attempt", fields={"attempt": [f"{d.attempt}"]})
        if effective_on > today:
            raise rule_violation("funding.payment.not_in_future", "a payment is reported once it happened",
                                 fields={"effective_on": [f"on or before {today}"]})
        if outcome == PAID:
            if d.status == PAID:
                raise rule_violation("funding.payment.paid_once", f"{key} is already paid (attempt {d.attempt})")
            if not d.pending:
                raise rule_violation("funding.payment.transition", f"attempt {d.attempt} of {key} is {d.status};"
                                     " retry it first")
            self._paid(idempotency_key=key, attempt=attempt, office_reference=office_reference,
                       amount_fen=d.amount_fen, effective_on=effective_on)
            self._after_paid(d)
        elif outcome == FAILED:
            if not d.pending:
                raise rule_violation("funding.payment.transition", f"attempt {d.attempt} of {key} is {d.status}:"
                                     " only a pending payment can fail (a paid one is returned)")
            self._failed(idempotency_key=key, attempt=attempt, office_reference=office_reference, reason=reason,
                         effective_on=effective_on)
        elif outcome == RETURNED:
            if not (d.pending or d.status == PAID):
                raise rule_violation("funding.payment.transition", f"attempt {d.attempt} of {key} is {d.status}")
            self._returned(idempotency_key=key, attempt=attempt, office_reference=office_reference, reason=reason,
                           amount_fen=d.amount_fen, effective_on=effective_on)
            for recovery_key, recovery in list(self.recoveries.items()):
                if recovery["paid_key"] == key and recovery["status"] == "claimed":
                    self._recovery_withdrawn(idempotency_key=recovery_key, paid_key=key, effective_on=effective_on,
                                             reason="the payment it recovered was returned")
        else:
            raise rule_violation("funding.payment.outcome", f"unknown outcome {outcome!r}",
                                 fields={"outcome": [", ".join(OUTCOMES)]})
        return d

    def retry(self, actor_id: str, key: str, reason: str, today: date) -> Disbursement:
        """A failed or returned payment is tried again as a new attempt under the same key."""
        d = self.disbursement(key)
        self._check_separation(actor_id, d)
        if d.status == CANCELLED:
            raise rule_violation("funding.disbursement.cancelled", f"{key} was cancelled: it must not be paid")
        if d.status == PAID:
            raise rule_violation("funding.payment.paid_once", f"{key} is paid: a retry would pay it twice")
        if d.pending:
            raise rule_violation("funding.retry.pending", f"attempt {d.attempt} of {key} is still awaiting its"
                                 " report")
        self._retried(idempotency_key=key, attempt=d.attempt + 1, previous_attempt=d.attempt, reason=reason,
                      due_on=today, amount_fen=d.amount_fen, obligation_id=d.obligation_id, period=d.period,
                      effective_on=today)
        return d

    # -- hooks ----------------------------------------------------------------------------------------
    def _check_separation(self, actor_id: str, disbursement: Disbursement) -> None:
        raise NotImplementedError

    def _after_paid(self, disbursement: Disbursement) -> None:
        """Nothing by default."""

    def _cancel_unpaid(self, d: Disbursement, reason: str, effective_on: date, rule: str = "funding.ended") -> None:
        self._cancelled(idempotency_key=d.idempotency_key, attempt=d.attempt, rule=rule, reason=reason,
                        effective_on=effective_on)

    # -- recording the shared events ------------------------------------------------------------------
    def _scheduled(self, **kwargs) -> None:
        self.trigger_event(self.DisbursementScheduled, **kwargs)

    def _paid(self, **kwargs) -> None:
        self.trigger_event(self.DisbursementPaid, **kwargs)

    def _failed(self, **kwargs) -> None:
        self.trigger_event(self.DisbursementFailed, **kwargs)

    def _returned(self, **kwargs) -> None:
        self.trigger_event(self.DisbursementReturned, **kwargs)

    def _retried(self, **kwargs) -> None:
        self.trigger_event(self.DisbursementRetried, **kwargs)

    def _cancelled(self, **kwargs) -> None:
        self.trigger_event(self.DisbursementCancelled, **kwargs)

    def _recovery_claimed(self, **kwargs) -> None:
        self.trigger_event(self.RecoveryClaimed, **kwargs)

    def _recovery_withdrawn(self, **kwargs) -> None:
        self.trigger_event(self.RecoveryWithdrawn, **kwargs)

    def _attempt_outcome(self, key: str, status: str, office_reference: str, effective_on: date) -> None:
        d = self.disbursements[key]
        d.status = status
        d.attempts[-1].update(status=status, office_reference=office_reference, effective_on=effective_on)
