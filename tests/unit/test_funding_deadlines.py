"""Calendar arithmetic and a decision's deadlines (二(一)2(4), 三(二)(4), 三(二)(7)): same day-of-month
N years/months later, clamped to month end; each deadline is the first day no longer covered."""
from datetime import date

import pytest

from shared import policy

from shared.calendar import add_months, add_years, month_name
from services.funding.entitlements import deadlines

POLICY = policy.edition("changju-2024")


@pytest.mark.parametrize("day, months, expected", [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),     # leap year
    (date(2025, 1, 31), 2, date(2025, 3, 31)),     # computed from the start, no drift
    (date(2025, 3, 15), 36, date(2028, 3, 15)),
    (date(2025, 12, 1), 1, date(2026, 1, 1)),      # across a year
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 5, 31), 0, date(2025, 5, 31)),
])
def test_add_months_keeps_the_day_of_month_clamped_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_add_years_turns_29_february_into_28_february_in_a_common_year():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_month_name():
    assert month_name(date(2025, 3, 9)) == "2025-03"


def test_deadlines_of_a_first_of_month_start():
    assert deadlines(POLICY, date(2025, 3, 1)) == {
        "commitment_ends": date(2028, 3, 1),
        "service_money_ends": date(2027, 3, 1),
        "rent_subsidy_ends": date(2028, 3, 1),
    }


def test_deadlines_of_a_31_january_start():
    assert deadlines(POLICY, date(2025, 1, 31)) == {
        "commitment_ends": date(2028, 1, 31),
        "service_money_ends": date(2027, 1, 31),
        "rent_subsidy_ends": date(2028, 1, 31),
    }


def test_deadlines_of_a_29_february_start_are_clamped_in_common_years():
    assert deadlines(POLICY, date(2024, 2, 29)) == {
        "commitment_ends": date(2027, 2, 28),
        "service_money_ends": date(2026, 2, 28),
        "rent_subsidy_ends": date(2027, 2, 28),
    }


def test_deadlines_read_the_policy_figures():
    edited = {**POLICY, "talent": {**POLICY["talent"], "commitment_years": 5}}
    assert deadlines(edited, date(2025, 3, 1))["commitment_ends"] == date(2030, 3, 1)
