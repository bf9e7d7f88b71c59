"""Recovering rent subsidy paid in advance for time after an early end — seed 三(二)(4) (the subsidy is
for a talent working in Changping; the seed says nothing of recovery: the rule is ours).

Convention: the talent left the unit or Changping with effect from `ended_on`, and `ended_on` is the
**last day still subsidised**. The unit of account is the subsidy month (see `services.funding.schedules`):

* a subsidy month wholly after `ended_on` (it starts on a later day) is overpaid in full;
* the subsidy month containing `ended_on` is overpaid pro rata by days:
  monthly subsidy × (days of that month after ended_on) / (days in that month), rounded half-up to
  the fen;
* a subsidy month ending on or before `ended_on` is not overpaid at all.

A multi-month (e.g. quarterly) instalment is recovered month by month by the same rule, so what a
talent keeps never depends on how often the office pays, and never exceeds the rent of the months
begun by `ended_on`. One claim per paid instalment that has anything to recover, with its own
idempotency key `<case_id>:rent_subsidy_recovery:<period>`, so a period is never recovered twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from shared.errors import validation_error
from shared.money import fen_to_yuan_str

from services.funding.computation import Computation, half_up
from services.funding.schedules import Instalment, SubsidyMonth, idempotency_key

CONVENTION = ("ended_on is the last subsidised day; per subsidy month: months wholly after ended_on in full,"
              " the month containing it monthly × days after ended_on / days in that month, half-up to the fen")


@dataclass(frozen=True)
class RecoveryClaim:
    case_id: str
    obligation_id: str       # e.g. "rent_subsidy_recovery"
    period: str              # the period of the instalment being recovered
    overpaid_fen: int
    idempotency_key: str
    computation: Computation


def recovery_on_early_end(schedule_paid: list[Instalment], ended_on: date) -> list[RecoveryClaim]:
    """What to claim back from the instalments already paid when the talent's entitlement ended early
    with effect from `ended_on` (see the module's convention). Instalments with nothing to recover
    give no claim."""
    keys = [i.idempotency_key for i in schedule_paid]
    if len(keys) != len(set(keys)):
        raise validation_error({"schedule_paid": ["each period at most once"]}, "a period appears twice as paid")
    claims = []
    for instalment in sorted(schedule_paid, key=lambda i: i.starts_on):
        if ended_on < instalment.last_day:
            claim = _claim(instalment, ended_on)
            if claim.overpaid_fen > 0:          # a tiny subsidy can round to nothing
                claims.append(claim)
    return claims


def days_after(month: SubsidyMonth, ended_on: date) -> int:
    """Days of a subsidy month strictly after ended_on."""
    if ended_on >= month.last_day:
        return 0
    if ended_on < month.starts_on:
        return month.days
    return (month.last_day - ended_on).days


def _claim(instalment: Instalment, ended_on: date) -> RecoveryClaim:
    monthly = instalment.monthly_fen
    whole = [m for m in instalment.subsidy_months if ended_on < m.starts_on]
    partial = next((m for m in instalment.subsidy_months if m.starts_on <= ended_on < m.last_day), None)
    partial_fen = half_up(Fraction(monthly * days_after(partial, ended_on), partial.days)) if partial else 0
    overpaid = monthly * len(whole) + partial_fen
    inputs = {"paid_fen": instalment.amount_fen, "monthly_fen": monthly, "ended_on": ended_on.isoformat(),
              "period": instalment.period, "paid_key": instalment.idempotency_key,
              "months_wholly_after_end": len(whole), "convention": CONVENTION}
    parts = [f"{len(whole)} whole month(s) × {fen_to_yuan_str(monthly)}"] if whole else []
    if partial:
        inputs.update({"partial_month": partial.name, "partial_month_starts_on": partial.starts_on.isoformat(),
                       "partial_month_last_day": partial.last_day.isoformat(), "days_in_month": partial.days,
                       "days_after_end": days_after(partial, ended_on), "partial_fen": partial_fen})
        parts.append(f"{fen_to_yuan_str(monthly)} × {days_after(partial, ended_on)}/{partial.days} days of"
                     f" {partial.name} after {ended_on}, half-up")
    obligation = f"{instalment.obligation_id}_recovery"
    why = Computation(rule="A.rent.recovery.early_end", clause="三(二)(4)",
                      policy_edition=instalment.computation.policy_edition, amount_fen=overpaid, inputs=inputs,
                      explanation=" + ".join(parts) + f" = {fen_to_yuan_str(overpaid)} yuan overpaid")
    return RecoveryClaim(case_id=instalment.case_id, obligation_id=obligation, period=instalment.period,
                         overpaid_fen=overpaid,
                         idempotency_key=idempotency_key(instalment.case_id, obligation, instalment.period),
                         computation=why)
