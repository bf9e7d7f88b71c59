"""Programme B (科技副总, policy `vice-president-2.0`, section `money`): what a placement's money
comes to. Pure: dates passed in, exact integer fen, and the figures as the appointment (or the prize
or breakthrough decision) recorded them (shared/policy/figures.py), never the policy file as it is
now; the `policy` argument is that record (`recorded` also accepts a whole edition: tests, tools).

Seed 003, 四(二) 经费支持:

* 1. project subsidy (项目资金补贴), during the term, to the company: 50% of the cooperation
  project's funds, at most 300,000 yuan (100,000 for a social science / humanities project).
  50% of an odd number of fen is rounded half-up to the fen before the cap.
* 2. living subsidy (人才生活补贴), 2,000 yuan a month to the expert during the term.
* 3. yearly prizes for concluded projects (一等奖/二等奖/三等奖): 200,000 / 100,000 / 50,000, to the expert.
* 4. major breakthrough (重大技术突破): 30% of the transformation/industrialisation investment, at most
  5,000,000 yuan, to the company (30% rounded half-up to the fen before the cap).

Living-subsidy conventions (ours; the seed fixes none of them):

* **Months are anchored at the term's start** (`shared.calendar`): month k covers
  `add_months(starts_on, k)` up to the day before `add_months(starts_on, k + 1)`. It is named after the
  calendar month it begins in ('2025-03').
* The term covers `starts_on` up to, not including, its end (`ends_on`, or the day after an early
  end's `ended_on`). A month cut short by the end is a **partial month**, paid as the policy's
  `partial_month` setting says: `pro_rata_days` = monthly × days covered / days of that anchored
  month, half-up to the fen.
* **Paid in arrears**: a month is due on the day after its last covered day (the next month's start,
  or the term's end). So an extension or an early end known in time changes only months not yet
  released; what was released for days after an end (an end recorded late) is claimed back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from shared.calendar import add_months, month_name
from shared.errors import rule_violation
from shared.money import fen_to_yuan_str

from shared.policy.figures import vice_president_figures

from services.funding.computation import Computation, computed, half_up

PROJECT, LIVING, PRIZE, BREAKTHROUGH = "project_subsidy", "living_subsidy", "prize", "breakthrough_subsidy"
LIVING_RECOVERY = "living_subsidy_recovery"
SOCIAL_SCIENCE = "social_science_humanities"
PRIZE_LEVELS = ("first", "second", "third")
CLAUSES = {PROJECT: "四(二)1", LIVING: "四(二)2", PRIZE: "四(二)3", BREAKTHROUGH: "四(二)4"}
PARTIAL_MONTH_SETTINGS = ("pro_rata_days",)


def recorded(source: dict) -> dict:
    """The recorded figures; given a whole edition instead, the figures an appointment on it records."""
    return vice_president_figures(source) if "money" in source else source


# -- 1. project subsidy -------------------------------------------------------------------------------
def project_subsidy(policy: dict, kind: str, project_funds_fen: int) -> Computation:
    policy = recorded(policy)
    percent = int(policy["project_subsidy_percent"])
    social = kind == SOCIAL_SCIENCE
    cap = int(policy["project_subsidy_cap_social_science_fen"] if social else policy["project_subsidy_cap_fen"])
    share = half_up(Fraction(project_funds_fen * percent, 100))
    amount = min(share, cap)
    return computed(policy, "B.project_subsidy.cap", CLAUSES[PROJECT], amount,
                    f"min({percent}% × {fen_to_yuan_str(project_funds_fen)} = {fen_to_yuan_str(share)},"
                    f" cap {fen_to_yuan_str(cap)}{' (social science / humanities)' if social else ''})"
                    f" = {fen_to_yuan_str(amount)} yuan, to the company",
                    project_funds_fen=project_funds_fen, kind=kind, percent=percent, share_fen=share, cap_fen=cap,
                    rounding="half_up_to_fen")


# -- 2. living subsidy --------------------------------------------------------------------------------
@dataclass(frozen=True)
class LivingMonth:
    number: int              # 1, 2, …
    name: str                # the calendar month it begins in: '2025-03'
    starts_on: date
    last_day: date           # the last day covered (inclusive)
    days: int                # days covered
    days_in_month: int       # days of the whole anchored month
    amount_fen: int
    computation: Computation

    @property
    def due_on(self) -> date:
        """In arrears: the day after its last covered day."""
        return self.last_day + timedelta(days=1)

    @property
    def partial(self) -> bool:
        return self.days < self.days_in_month


def living_monthly_fen(policy: dict) -> int:
    return int(recorded(policy)["living_monthly_fen"])


def living_months(policy: dict, starts_on: date, ends_on: date) -> list[LivingMonth]:
    """Every month of the living subsidy for a term covering `starts_on` up to, not including,
    `ends_on` (see the module's conventions). [] when the term covers no day."""
    policy = recorded(policy)
    setting = policy["living_partial_month"]
    if setting not in PARTIAL_MONTH_SETTINGS:
        raise ValueError(f"unknown living_subsidy.partial_month setting {setting!r}")
    monthly = living_monthly_fen(policy)
    out, k = [], 0
    while (first := add_months(starts_on, k)) < ends_on:
        following = add_months(starts_on, k + 1)
        covered_to = min(following, ends_on)
        days, whole = (covered_to - first).days, (following - first).days
        amount = monthly if days == whole else half_up(Fraction(monthly * days, whole))
        explanation = (f"{fen_to_yuan_str(monthly)} yuan for month {k + 1} ({first} to {covered_to - timedelta(days=1)})"
                       if days == whole else
                       f"{fen_to_yuan_str(monthly)} × {days}/{whole} days of month {k + 1} (from {first}),"
                       f" half-up = {fen_to_yuan_str(amount)} yuan")
        why = computed(policy, "B.living.monthly", CLAUSES[LIVING], amount,
                       explanation + ", to the expert, in arrears",
                       monthly_fen=monthly, month_number=k + 1, month_starts_on=first,
                       last_day=covered_to - timedelta(days=1), days_covered=days, days_in_month=whole,
                       partial_month=setting, term_starts_on=starts_on, term_ends_on=ends_on)
        out.append(LivingMonth(number=k + 1, name=month_name(first), starts_on=first,
                               last_day=covered_to - timedelta(days=1), days=days, days_in_month=whole,
                               amount_fen=amount, computation=why))
        k += 1
    return out


def schedule_end(starts_on: date, term_ends_on: date, *, expired_on: date | None = None,
                 ended_on: date | None = None) -> date:
    """The first day the living subsidy no longer pays: the term's end (`term_ends_on`, extensions
    included), or earlier an expiry's date or the day after an early end (`ended_on`: its last day);
    never before the term starts."""
    ends_on = term_ends_on
    if expired_on is not None:
        ends_on = min(ends_on, expired_on)
    if ended_on is not None:
        ends_on = min(ends_on, ended_on + timedelta(days=1))
    return max(ends_on, starts_on)


def next_living_due(policy: dict, starts_on: date, ends_on: date, released_fen) -> date | None:
    """When the next living-subsidy month is due: the first month of the plan not yet released in
    full (`released_fen(month name)`: what was released for it, cancellations left out). None: none."""
    months = living_months(policy, starts_on, ends_on)
    return next((m.due_on for m in months if released_fen(m.name) < m.amount_fen), None)


def term_months(starts_on: date, ends_on: date) -> int:
    """How many (anchored) months a term touches, a partial one counting as one."""
    k = 0
    while add_months(starts_on, k) < ends_on:
        k += 1
    return k


# -- 3. prizes ----------------------------------------------------------------------------------------
def prize(policy: dict, level: str, year: int) -> Computation:
    if level not in PRIZE_LEVELS:
        raise rule_violation("B.prize.level", f"unknown prize level {level!r}",
                             fields={"level": [", ".join(PRIZE_LEVELS)]})
    amount = int(recorded(policy)[f"prize_{level}_fen"])
    return computed(policy, "B.prize.amount", CLAUSES[PRIZE], amount,
                    f"{level} prize of the {year} selection: {fen_to_yuan_str(amount)} yuan, to the expert",
                    level=level, year=year)


# -- 4. breakthrough subsidy --------------------------------------------------------------------------
def breakthrough_subsidy(policy: dict, investment_fen: int) -> Computation:
    policy = recorded(policy)
    percent, cap = int(policy["breakthrough_percent"]), int(policy["breakthrough_cap_fen"])
    share = half_up(Fraction(investment_fen * percent, 100))
    amount = min(share, cap)
    return computed(policy, "B.breakthrough.cap", CLAUSES[BREAKTHROUGH], amount,
                    f"min({percent}% × {fen_to_yuan_str(investment_fen)} = {fen_to_yuan_str(share)},"
                    f" cap {fen_to_yuan_str(cap)}) = {fen_to_yuan_str(amount)} yuan, to the company",
                    investment_fen=investment_fen, percent=percent, share_fen=share, cap_fen=cap,
                    rounding="half_up_to_fen")
