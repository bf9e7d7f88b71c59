"""The rent subsidy's payment schedule — seed 三(二)(4): 连续三年的租房补贴, 杰出类人才每人每月不超过15000元.

Conventions (ours; the seed fixes none of them):

* **Subsidy months** are anchored at the start date: month k (k = 0 … 35) covers
  `add_months(start, k)` up to the day before `add_months(start, k + 1)` (see `shared.calendar`).
  A start on the 1st gives calendar months. Month k is named after the calendar month it begins
  in ('2025-03'); these names never repeat within one schedule.
* **Instalments** group `frequency_months` consecutive subsidy months (an office setting, policy
  `support.housing.rent_subsidy.frequency_months`, monthly by default). A multi-month instalment
  is named 'first..last' ('2025-03..2025-05'); the last instalment is shortened so that nothing is
  ever paid beyond the 36th month.
* Each instalment is **due on its first day** (paid in advance), which is why an early end can
  leave periods to recover (`services.funding.recovery`).
* Every (obligation, period) has one idempotency key `<case_id>:<obligation_id>:<period>`, the
  format of `services.funding.ledger.idempotency_key`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from shared.calendar import add_months, month_name
from shared.errors import validation_error
from shared.money import fen_to_yuan_str

from services.funding.computation import Computation
from services.funding.entitlements import monthly_rent_computation
from services.funding.figures import support_figures
from services.funding.ledger import idempotency_key

RENT_OBLIGATION = "rent_subsidy"


@dataclass(frozen=True)
class SubsidyMonth:
    number: int              # 1 … 36
    name: str                # the calendar month it begins in: '2025-03'
    starts_on: date
    last_day: date           # inclusive

    @property
    def days(self) -> int:
        return (self.last_day - self.starts_on).days + 1


@dataclass(frozen=True)
class Instalment:
    case_id: str
    obligation_id: str
    period: str
    starts_on: date          # first day covered
    last_day: date           # last day covered (inclusive)
    due_on: date
    monthly_fen: int         # the subsidy for one month
    subsidy_months: tuple[SubsidyMonth, ...]
    amount_fen: int          # monthly_fen × the months covered
    idempotency_key: str
    computation: Computation

    @property
    def months(self) -> int:
        return len(self.subsidy_months)

    @property
    def days(self) -> int:
        return (self.last_day - self.starts_on).days + 1


def subsidy_month(start: date, index: int) -> SubsidyMonth:
    """Month `index` (0-based) of a subsidy starting on `start`, anchored at the start (no drift)."""
    starts_on = add_months(start, index)
    return SubsidyMonth(number=index + 1, name=month_name(starts_on), starts_on=starts_on,
                        last_day=add_months(start, index + 1) - timedelta(days=1))


def rent_schedule(policy: dict, case_id: UUID | str, start: date, monthly_rent_fen: int,
                  frequency_months: int | None = None) -> list[Instalment]:
    """Every instalment of a granted rent subsidy starting on `start`: min(rent paid, 15,000 yuan)
    per subsidy month, `frequency_months` months an instalment, 36 months in all (三(二)(4))."""
    figures = support_figures(policy)
    frequency = figures.rent_frequency_months if frequency_months is None else frequency_months
    _check(monthly_rent_fen, frequency, figures.rent_months, start)
    monthly = monthly_rent_computation(policy, monthly_rent_fen)
    out = []
    for first in range(0, figures.rent_months, frequency):
        last = min(first + frequency, figures.rent_months) - 1          # never beyond month 36
        out.append(_instalment(case_id, start, first, last, monthly, frequency, figures.rent_months))
    return out


def rent_due_after(period_ends_on: date, plan_ends_on: date | None) -> date | None:
    """When the instalment after one ending on `period_ends_on` is due: instalments are back to back,
    each due on its first day, up to the plan's end (`plan_ends_on`, exclusive). None: it was the last."""
    following = period_ends_on + timedelta(days=1)
    return following if plan_ends_on and following < plan_ends_on else None


def _instalment(case_id, start: date, first: int, last: int, monthly: Computation, frequency: int,
                total_months: int) -> Instalment:
    months = tuple(subsidy_month(start, k) for k in range(first, last + 1))
    starts_on, last_day = months[0].starts_on, months[-1].last_day
    period = months[0].name if len(months) == 1 else f"{months[0].name}..{months[-1].name}"
    amount = monthly.amount_fen * len(months)
    why = Computation(
        rule=monthly.rule, clause=monthly.clause, policy_edition=monthly.policy_edition, amount_fen=amount,
        inputs={**monthly.inputs, "monthly_fen": monthly.amount_fen, "frequency_months": frequency,
                "months_in_instalment": len(months), "first_month": first + 1, "last_month": last + 1,
                "of_months": total_months, "starts_on": starts_on.isoformat(), "last_day": last_day.isoformat()},
        explanation=f"{fen_to_yuan_str(monthly.amount_fen)} yuan a month × {len(months)} month(s):"
                    f" subsidy months {first + 1}–{last + 1} of {total_months}; {monthly.explanation}")
    return Instalment(case_id=str(case_id), obligation_id=RENT_OBLIGATION, period=period, starts_on=starts_on,
                      last_day=last_day, due_on=starts_on, monthly_fen=monthly.amount_fen, subsidy_months=months,
                      amount_fen=amount, idempotency_key=idempotency_key(case_id, RENT_OBLIGATION, period),
                      computation=why)


def _check(monthly_rent_fen, frequency, total_months: int, start) -> None:
    errors: dict[str, list[str]] = {}
    if isinstance(monthly_rent_fen, bool) or not isinstance(monthly_rent_fen, int) or monthly_rent_fen <= 0:
        errors["monthly_rent_fen"] = ["the rent actually paid, a positive number of fen"]
    if isinstance(frequency, bool) or not isinstance(frequency, int) or not 1 <= frequency <= total_months:
        errors["frequency_months"] = [f"a whole number of months from 1 to {total_months}"]
    if not isinstance(start, date) or isinstance(start, datetime):
        errors["start"] = ["a date"]
    if errors:
        raise validation_error(errors, "the rent schedule's inputs are invalid")
