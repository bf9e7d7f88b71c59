"""The rent subsidy's schedule — seed 三(二)(4): 连续三年, 每人每月不超过15000元."""
from datetime import date, timedelta

import pytest

from shared import policy
from shared.errors import Refused

from services.funding.entitlements import deadlines
from services.funding.schedules import idempotency_key, rent_schedule

POLICY = policy.edition("changju-2024")
START = date(2025, 3, 1)
CAP_FEN = 1_500_000          # 15,000 yuan


def test_36_and_only_36_monthly_instalments_named_by_month():
    schedule = rent_schedule(POLICY, "case-1", START, 1_200_000)
    assert len(schedule) == 36
    assert [i.period for i in schedule[:3]] == ["2025-03", "2025-04", "2025-05"]
    assert schedule[-1].period == "2028-02"
    assert all(i.months == 1 and i.monthly_fen == i.amount_fen for i in schedule)


def test_the_default_frequency_is_the_policy_setting():
    edited = {**POLICY, "support": {**POLICY["support"], "housing": {**POLICY["support"]["housing"],
              "rent_subsidy": {**POLICY["support"]["housing"]["rent_subsidy"], "frequency_months": 3}}}}
    assert len(rent_schedule(edited, "case-1", START, 1_200_000)) == 12


def test_instalments_cover_the_36_months_without_gap_or_overlap_and_are_due_in_advance():
    schedule = rent_schedule(POLICY, "case-1", START, 1_200_000)
    assert schedule[0].starts_on == START
    for before, after in zip(schedule, schedule[1:]):
        assert after.starts_on == before.last_day + timedelta(days=1)
    assert schedule[-1].last_day + timedelta(days=1) == deadlines(POLICY, START)["rent_subsidy_ends"]
    assert all(i.due_on == i.starts_on for i in schedule)


def test_rent_below_the_cap_pays_the_rent_actually_paid():
    schedule = rent_schedule(POLICY, "case-1", START, 1_200_000)
    assert {i.amount_fen for i in schedule} == {1_200_000}
    assert sum(i.amount_fen for i in schedule) == 1_200_000 * 36


@pytest.mark.parametrize("paid_fen", [1_500_000, 1_500_100])      # 15,000 and 15,001 yuan
def test_rent_at_and_just_above_15000_yuan_is_paid_at_15000(paid_fen):
    schedule = rent_schedule(POLICY, "case-1", START, paid_fen)
    assert {i.amount_fen for i in schedule} == {CAP_FEN}
    assert schedule[0].computation.inputs["monthly_rent_paid_fen"] == paid_fen


def test_quarterly_instalments_cover_the_same_36_months_with_the_same_total():
    monthly = rent_schedule(POLICY, "case-1", START, 1_600_000)
    quarterly = rent_schedule(POLICY, "case-1", START, 1_600_000, frequency_months=3)
    assert len(quarterly) == 12
    assert [i.period for i in quarterly[:2]] == ["2025-03..2025-05", "2025-06..2025-08"]
    assert quarterly[-1].period == "2027-12..2028-02"
    assert sum(i.amount_fen for i in quarterly) == sum(i.amount_fen for i in monthly) == CAP_FEN * 36
    assert (quarterly[0].starts_on, quarterly[-1].last_day) == (monthly[0].starts_on, monthly[-1].last_day)
    assert quarterly[0].amount_fen == 3 * CAP_FEN


def test_a_frequency_that_does_not_divide_36_never_pays_beyond_the_36th_month():
    schedule = rent_schedule(POLICY, "case-1", START, 1_000_000, frequency_months=5)
    assert [i.months for i in schedule] == [5] * 7 + [1]
    assert schedule[-1].period == "2028-02"
    assert sum(i.amount_fen for i in schedule) == 1_000_000 * 36


def test_a_31_january_start_does_not_drift():
    schedule = rent_schedule(POLICY, "case-1", date(2025, 1, 31), 1_000_000)
    assert [(i.starts_on, i.last_day) for i in schedule[:3]] == [
        (date(2025, 1, 31), date(2025, 2, 27)),
        (date(2025, 2, 28), date(2025, 3, 30)),
        (date(2025, 3, 31), date(2025, 4, 29)),
    ]
    assert len({i.period for i in schedule}) == 36
    assert schedule[-1].last_day == date(2028, 1, 30)


def test_idempotency_keys_are_unique_per_obligation_and_period_and_name_the_case():
    for frequency in (1, 3, 12):
        schedule = rent_schedule(POLICY, "case-1", START, 1_000_000, frequency_months=frequency)
        keys = [i.idempotency_key for i in schedule]
        assert len(set(keys)) == len(keys)
        assert keys[0] == f"case-1:rent_subsidy:{schedule[0].period}"
    mine = {i.idempotency_key for i in rent_schedule(POLICY, "case-1", START, 1_000_000)}
    assert not mine & {i.idempotency_key for i in rent_schedule(POLICY, "case-2", START, 1_000_000)}


def test_the_key_format_is_the_funding_aggregates():
    from services.funding import domain      # the event-sourced aggregate: only this test imports it
    assert idempotency_key("c", "rent_subsidy", "2025-03") == domain.idempotency_key("c", "rent_subsidy", "2025-03")


def test_each_instalment_says_why():
    instalment = rent_schedule(POLICY, "case-1", START, 1_600_000, frequency_months=3)[1]
    why = instalment.computation
    assert (why.rule, why.clause, why.policy_edition, why.amount_fen) == ("A.rent.cap", "三(二)(4)", "changju-2024",
                                                                         instalment.amount_fen)
    assert why.inputs["monthly_rent_paid_fen"] == 1_600_000
    assert why.inputs["monthly_cap_fen"] == CAP_FEN
    assert (why.inputs["first_month"], why.inputs["last_month"], why.inputs["of_months"]) == (4, 6, 36)
    assert why.inputs["starts_on"] == "2025-06-01" and why.inputs["last_day"] == "2025-08-31"


@pytest.mark.parametrize("rent, frequency", [(0, 1), (-1, 1), (1.5, 1), (1_000, 0), (1_000, 37), (1_000, 1.0)])
def test_bad_inputs_are_refused(rent, frequency):
    with pytest.raises(Refused) as caught:
        rent_schedule(POLICY, "case-1", START, rent, frequency_months=frequency)
    assert caught.value.code == "validation_error"
