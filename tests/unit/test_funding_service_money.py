"""Service-guarantee money claims — seed 三(二)(7): 连续两年、每人每年5万元, 实报实销; none after award money."""
from datetime import date

import pytest

from shared import policy
from shared.errors import Refused

from services.funding.entitlements import Decision, derive_entitlements
from services.funding.service_money import ServiceMoneyState, service_money_claim, service_year

POLICY = policy.edition("changju-2024")
START = date(2025, 3, 1)
YEARLY = 5_000_000           # 50,000 yuan


def state_for(award_fen: int, national: bool = False) -> ServiceMoneyState:
    d = Decision(case_id="case-1", award_fen=award_fen, national_or_beijing_talent=national,
                 housing_choice=None, monthly_rent_fen=None, effective_on=START)
    return ServiceMoneyState.of(next(e for e in derive_entitlements(POLICY, d) if e.code == "service_money"))


def claim(state, year, fen, **kw):
    approval = service_money_claim(POLICY, state, year, fen, **kw)
    return approval, state.record(approval)


def test_a_claim_within_the_year_is_approved_in_full_and_explained():
    approval, state = claim(state_for(0, national=True), 1, 1_234_500)
    assert approval.approved_fen == 1_234_500
    assert approval.computation.rule == "A.service_money.yearly"
    assert approval.computation.inputs["remaining_fen"] == YEARLY
    assert state.approved_in(1) == 1_234_500


def test_exactly_50000_yuan_in_a_year_is_approved():
    approval, _ = claim(state_for(0), 1, YEARLY)
    assert approval.approved_fen == YEARLY


def test_a_claim_above_the_yearly_remainder_is_reduced_to_it():
    state = state_for(0)
    _, state = claim(state, 1, 3_000_000)
    approval, state = claim(state, 1, 3_000_000)
    assert approval.approved_fen == 2_000_000
    assert approval.computation.inputs["approved_before_fen"] == 3_000_000
    nothing_left, state = claim(state, 1, 1)
    assert nothing_left.approved_fen == 0
    assert state.approved_in(1) == YEARLY


def test_an_unused_year_does_not_carry_over():
    approval, state = claim(state_for(0), 2, YEARLY + 1)
    assert approval.approved_fen == YEARLY
    assert state.total_approved_fen == YEARLY


@pytest.mark.parametrize("year", [0, 3, -1])
def test_only_years_1_and_2(year):
    with pytest.raises(Refused) as caught:
        service_money_claim(POLICY, state_for(0), year, 100)
    assert caught.value.rule == "A.service_money.years"


def test_no_claim_is_approved_after_award_money():
    with pytest.raises(Refused) as caught:
        service_money_claim(POLICY, state_for(1), 1, 100)
    assert (caught.value.code, caught.value.rule) == ("rule_violation", "A.service_money.excluded_after_award")


def test_a_claim_for_a_purpose_the_policy_does_not_list_is_refused():
    approval, _ = claim(state_for(0), 1, 100, purpose="medical_insurance")
    assert approval.computation.inputs["purpose"] == "medical_insurance"
    with pytest.raises(Refused) as caught:
        service_money_claim(POLICY, state_for(0), 1, 100, purpose="car")
    assert caught.value.rule == "A.service_money.purpose"


@pytest.mark.parametrize("fen", [-1, 1.5, True])
def test_a_claim_must_be_a_non_negative_number_of_fen(fen):
    with pytest.raises(Refused) as caught:
        service_money_claim(POLICY, state_for(0), 1, fen)
    assert caught.value.code == "validation_error"


@pytest.mark.parametrize("spent_on, year", [
    (date(2025, 3, 1), 1), (date(2026, 2, 28), 1), (date(2026, 3, 1), 2), (date(2027, 2, 28), 2),
])
def test_an_expense_belongs_to_the_year_it_was_made_in(spent_on, year):
    assert service_year(POLICY, START, spent_on) == year


@pytest.mark.parametrize("spent_on", [date(2025, 2, 28), date(2027, 3, 1)])
def test_an_expense_outside_the_two_years_is_refused(spent_on):
    with pytest.raises(Refused) as caught:
        service_year(POLICY, START, spent_on)
    assert caught.value.rule == "A.service_money.years"
