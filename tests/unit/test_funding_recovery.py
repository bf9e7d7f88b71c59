"""Recovering prepaid rent subsidy after an early end (三(二)(4)): subsidy months wholly after ended_on in
full, the month containing it pro rata by days (days after ended_on / days in that month, half-up to the
fen), nothing before; ended_on itself is still subsidised."""
from datetime import date

import pytest

from shared import policy
from shared.errors import Refused

from services.funding.recovery import recovery_on_early_end
from services.funding.schedules import rent_schedule

POLICY = policy.edition("changju-2024")
START = date(2025, 3, 1)


def monthly(rent_fen=1_200_000):
    return rent_schedule(POLICY, "case-1", START, rent_fen)


def test_an_end_mid_month_recovers_the_rest_of_that_month_pro_rata_and_later_months_in_full():
    paid = monthly()[:6]                                     # 2025-03 … 2025-08 paid in advance
    claims = recovery_on_early_end(paid, date(2025, 5, 10))  # 10 May is still subsidised
    assert [c.period for c in claims] == ["2025-05", "2025-06", "2025-07", "2025-08"]
    may = claims[0]
    assert may.overpaid_fen == 812_903                       # 1,200,000 × 21/31 = 812,903.2 → 812,903
    assert may.computation.inputs["days_after_end"] == 21
    assert may.computation.inputs["days_in_month"] == 31
    assert may.computation.inputs["months_wholly_after_end"] == 0
    assert may.computation.inputs["ended_on"] == "2025-05-10"
    assert "half-up" in may.computation.inputs["convention"]
    assert [c.overpaid_fen for c in claims[1:]] == [1_200_000] * 3


def test_pro_rata_rounds_half_up_to_the_fen():
    paid = rent_schedule(POLICY, "case-1", date(2025, 2, 1), 1_000_001)[:1]   # February 2025: 28 days
    [claim] = recovery_on_early_end(paid, date(2025, 2, 14))                  # 14 days after
    assert claim.overpaid_fen == 500_001                                       # 500,000.5 → 500,001


def test_an_end_on_a_period_boundary_recovers_only_the_later_periods_in_full():
    paid = monthly()[:4]
    claims = recovery_on_early_end(paid, date(2025, 4, 30))
    assert [(c.period, c.overpaid_fen) for c in claims] == [("2025-05", 1_200_000), ("2025-06", 1_200_000)]


def test_an_end_after_the_last_period_recovers_nothing():
    assert recovery_on_early_end(monthly(), date(2028, 2, 29)) == []
    assert recovery_on_early_end(monthly(), date(2030, 1, 1)) == []


def test_an_end_before_the_first_period_recovers_everything_paid():
    paid = monthly()[:5]
    claims = recovery_on_early_end(paid, date(2025, 2, 28))
    assert sum(c.overpaid_fen for c in claims) == sum(i.amount_fen for i in paid)
    assert all(c.overpaid_fen == c.computation.inputs["paid_fen"] for c in claims)


def test_a_quarterly_instalment_is_recovered_month_by_month():
    [first] = rent_schedule(POLICY, "case-1", START, 1_500_000, frequency_months=3)[:1]   # Mar–May
    [at_boundary] = recovery_on_early_end([first], date(2025, 3, 31))
    assert at_boundary.overpaid_fen == 2 * 1_500_000                                     # April and May
    assert at_boundary.computation.inputs["months_wholly_after_end"] == 2
    assert "partial_month" not in at_boundary.computation.inputs
    [mid_april] = recovery_on_early_end([first], date(2025, 4, 10))
    assert mid_april.overpaid_fen == 1_500_000 + 1_000_000                               # May + 20/30 of April
    assert mid_april.computation.inputs["partial_month"] == "2025-04"


def test_what_a_talent_keeps_does_not_depend_on_the_payment_frequency():
    for ended_on in (date(2025, 2, 1), date(2025, 4, 10), date(2026, 7, 31), date(2027, 11, 3), date(2028, 3, 1)):
        kept = []
        for frequency in (1, 3, 5, 12):
            paid = rent_schedule(POLICY, "case-1", START, 1_333_333, frequency_months=frequency)
            kept.append(sum(i.amount_fen for i in paid)
                        - sum(c.overpaid_fen for c in recovery_on_early_end(paid, ended_on)))
        assert len(set(kept)) == 1, (ended_on, kept)


def test_a_31_january_start_recovers_by_the_anchored_months():
    paid = rent_schedule(POLICY, "case-1", date(2025, 1, 31), 2_800_000)[:2]    # 31 Jan–27 Feb, 28 Feb–30 Mar
    [claim] = recovery_on_early_end(paid, date(2025, 3, 14))
    assert claim.period == "2025-02"
    assert (claim.computation.inputs["days_in_month"], claim.computation.inputs["days_after_end"]) == (31, 16)
    assert claim.overpaid_fen == 774_194                  # 1,500,000 × 16/31 = 774,193.55 → 774,194


def test_only_paid_instalments_are_recovered():
    assert recovery_on_early_end([], date(2025, 5, 10)) == []


def test_recovery_claims_have_their_own_idempotency_keys_and_provenance():
    claims = recovery_on_early_end(monthly()[:3], date(2025, 3, 15))
    keys = [c.idempotency_key for c in claims]
    assert keys == ["case-1:rent_subsidy_recovery:2025-03", "case-1:rent_subsidy_recovery:2025-04",
                    "case-1:rent_subsidy_recovery:2025-05"]
    why = claims[0].computation
    assert (why.rule, why.clause, why.policy_edition) == ("A.rent.recovery.early_end", "三(二)(4)", "changju-2024")
    assert why.inputs["paid_key"] == "case-1:rent_subsidy:2025-03"


def test_a_period_listed_twice_as_paid_is_refused():
    paid = monthly()[:1]
    with pytest.raises(Refused):
        recovery_on_early_end(paid + paid, date(2025, 3, 15))
