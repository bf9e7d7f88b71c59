"""What each money decision reserves of the annual budgets (`services.funding.budget`), year by year,
computed from the same figures the decision records. Pure functions: the inbound handlers and the
command handlers call `budget.reserve` with them in the unit of work that records the decision's
consequence, so the reservation and the decision commit together or not at all."""
from __future__ import annotations

from datetime import date

from shared import policy as policies

from services.funding.entitlements import Decision, derive_entitlements


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:                       # 29 February
        return day.replace(year=day.year + years, day=28)


def award_decision(decision: dict, today: date) -> dict[str, dict[int, int]]:
    """Programme A: the award money in the year it falls due, and the service money's yearly ceiling in
    the year each of its years starts. (A rent subsidy reserves when it is chosen: `rent_subsidy`.)"""
    policy = decision.get("figures") or policies.edition(decision["policy_edition"])   # as the decision recorded
    effective_on = decision["effective_on"]
    entitlements = {e.code: e for e in derive_entitlements(policy, Decision(
        case_id="-", award_fen=decision["award_fen"], national_or_beijing_talent=decision["national_or_beijing_talent"],
        housing_choice=None, monthly_rent_fen=None, effective_on=effective_on,
        prior_changju_award_fen=decision["prior_changju_award_fen"]))}
    out: dict[str, dict[int, int]] = {}
    award = entitlements["award_money"]
    if award.status == "granted" and award.amount_fen > 0:
        out["award"] = {max(effective_on, today).year: award.amount_fen}
    service = entitlements["service_money"]
    if service.status == "granted" and service.amount_fen > 0:
        by_year: dict[int, int] = {}
        for i in range(service.units):
            year = add_years(effective_on, i).year
            by_year[year] = by_year.get(year, 0) + service.amount_fen
        out["service_money"] = by_year
    return out


def monthly(amount_fen: int, starts_on: date, months: int) -> dict[int, int]:
    """`amount_fen` for each of `months` months from `starts_on`, by the year each month starts in."""
    by_year: dict[int, int] = {}
    year, month = starts_on.year, starts_on.month
    for _ in range(months):
        by_year[year] = by_year.get(year, 0) + amount_fen
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return by_year


def rent_subsidy(cap_fen: int, monthly_rent_fen: int, starts_on: date, months: int) -> dict[int, int]:
    """A rent subsidy reserves its cap, min(rent paid, 15,000 yuan), for each month in each year."""
    return monthly(min(cap_fen, monthly_rent_fen), starts_on, months)


def placement(funding, today: date) -> dict[str, dict[int, int]]:
    """Programme B's appointment: the project subsidy in the year it falls due, and each living-subsidy
    month in the year it falls due, as the appointment recorded them."""
    out: dict[str, dict[int, int]] = {}
    project = funding.entitlements.get("project_subsidy", {})
    if project.get("status") == "granted" and project.get("amount_fen", 0) > 0:
        out["project_subsidy"] = {max(funding.appointment["starts_on"], today).year: project["amount_fen"]}
    living: dict[int, int] = {}
    for month in funding.living_plan():
        living[month.due_on.year] = living.get(month.due_on.year, 0) + month.amount_fen
    if living:
        out["living_subsidy"] = living
    return out
