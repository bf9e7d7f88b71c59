"""Properties of programme A's support money over arbitrary inputs (pure domain; seed 三(二)(4), 三(二)(7), 三(一))."""
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import policy
from shared.errors import Refused

from services.funding.computation import half_up
from shared.calendar import add_months
from services.funding.entitlements import GRANTED, Decision, deadlines, derive_entitlements
from services.funding.recovery import days_after, recovery_on_early_end
from services.funding.schedules import rent_schedule
from services.funding.service_money import ServiceMoneyState, service_money_claim

POLICY = policy.edition("changju-2024")
RENT_CAP = 1_500_000                 # 15,000 yuan a month
MONTHS = 36
YEARLY = 5_000_000                   # 50,000 yuan
AWARD_CAP = 200_000_000

rents = st.one_of(st.integers(1, 10_000_000), st.integers(RENT_CAP - 2, RENT_CAP + 2))
starts = st.dates(date(2024, 1, 1), date(2030, 12, 31))
frequencies = st.one_of(st.sampled_from([1, 2, 3, 6, 12]), st.integers(1, MONTHS))


def rent_owed_up_to(instalment, rent_fen: int, ended_on: date) -> int:
    """The rent the talent actually paid for the days of an instalment up to ended_on, month by month,
    by the recovery's own day-count and rounding convention."""
    return sum(rent_fen - half_up(Fraction(rent_fen * days_after(m, ended_on), m.days))
               for m in instalment.subsidy_months)


@settings(max_examples=400, deadline=None)
@given(rents, starts, frequencies, st.integers(0, MONTHS), st.integers(-120, 40 * 31))
def test_rent_paid_minus_recoveries_never_exceeds_the_cap_or_the_rent_paid_before_the_end(
        rent, start, frequency, paid_count, end_offset):
    schedule = rent_schedule(POLICY, "case-1", start, rent, frequency_months=frequency)
    assert sum(i.months for i in schedule) == MONTHS
    paid = schedule[:paid_count]                             # paid in advance, in order
    ended_on = start + timedelta(days=end_offset)
    claims = recovery_on_early_end(paid, ended_on)
    by_period = {i.period: i for i in paid}
    assert all(0 < c.overpaid_fen <= by_period[c.period].amount_fen for c in claims)
    net = sum(i.amount_fen for i in paid) - sum(c.overpaid_fen for c in claims)
    assert 0 <= net <= min(rent, RENT_CAP) * MONTHS
    assert net <= sum(rent_owed_up_to(i, rent, ended_on) for i in paid)
    months_begun = sum(1 for k in range(MONTHS) if add_months(start, k) <= ended_on)
    assert net <= rent * months_begun                        # never a subsidy for a month not begun
    if len(paid) == len(schedule):                           # all paid: frequency makes no difference
        monthly = rent_schedule(POLICY, "case-1", start, rent)
        assert net == sum(i.amount_fen for i in monthly) - sum(
            c.overpaid_fen for c in recovery_on_early_end(monthly, ended_on))


@settings(max_examples=200, deadline=None)
@given(rents, starts, st.integers(1, MONTHS))
def test_every_frequency_pays_the_same_36_months_and_total(rent, start, frequency):
    monthly = rent_schedule(POLICY, "case-1", start, rent)
    grouped = rent_schedule(POLICY, "case-1", start, rent, frequency_months=frequency)
    assert sum(i.amount_fen for i in grouped) == sum(i.amount_fen for i in monthly) == min(rent, RENT_CAP) * MONTHS
    assert (grouped[0].starts_on, grouped[-1].last_day) == (monthly[0].starts_on, monthly[-1].last_day)
    assert grouped[-1].last_day + timedelta(days=1) == deadlines(POLICY, start)["rent_subsidy_ends"]
    assert len({i.idempotency_key for i in grouped}) == len(grouped)


claim_amounts = st.one_of(st.integers(0, 20_000_000), st.integers(YEARLY - 2, YEARLY + 2))
claims = st.lists(st.tuples(st.integers(0, 4), claim_amounts), max_size=12)


@settings(max_examples=400, deadline=None)
@given(claims)
def test_service_money_approved_never_exceeds_100000_yuan_whatever_the_claims(sequence):
    state = ServiceMoneyState(granted=True)
    claimed = {1: 0, 2: 0}
    for year, fen in sequence:
        try:
            approval = service_money_claim(POLICY, state, year, fen)
        except Refused as error:
            assert error.rule == "A.service_money.years" and year not in (1, 2)
            continue
        assert 0 <= approval.approved_fen <= fen
        state = state.record(approval)
        claimed[year] += fen
    assert state.total_approved_fen <= 2 * YEARLY
    for year in (1, 2):
        assert state.approved_in(year) == min(claimed[year], YEARLY)   # reduced only when the year is used up
    assert set(state.approved_fen) <= {1, 2}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, AWARD_CAP + 10), st.integers(AWARD_CAP - 2, AWARD_CAP + 2)), st.booleans(),
       st.sampled_from(["flat", "rent_subsidy", None]), rents, starts)
def test_derived_entitlements_keep_every_limit(award, national, housing, rent, start):
    decision = Decision(case_id="case-1", award_fen=award, national_or_beijing_talent=national,
                        housing_choice=housing, monthly_rent_fen=rent, effective_on=start)
    try:
        got = {e.code: e for e in derive_entitlements(POLICY, decision)}
    except Refused as error:
        assert error.rule in {"A.award.cap", "A.award.national_or_beijing_talent"}
        assert award > AWARD_CAP or (national and award > 0)
        return
    assert got["award_money"].ceiling_fen == (0 if national else award) <= AWARD_CAP
    assert (got["service_money"].status == GRANTED) == (award == 0)
    assert got["service_money"].ceiling_fen <= 2 * YEARLY
    assert got["rent_subsidy"].ceiling_fen <= min(rent, RENT_CAP) * MONTHS
    assert not (got["rent_subsidy"].status == GRANTED and got["housing_flat"].status == GRANTED)
    assert all(e.computation is not None for e in got.values() if e.kind == "money")


@settings(max_examples=300, deadline=None)
@given(starts, st.integers(-240, 240))
def test_add_months_lands_in_the_right_month_on_the_same_or_last_day(day, months):
    later = add_months(day, months)
    assert later.year * 12 + later.month == day.year * 12 + day.month + months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)
