"""What a programme A decision entitles the talent to — seed 三(一), 三(二)(4), 三(二)(7), 二(一)2 注."""
from dataclasses import replace
from datetime import date

import pytest

from shared import policy
from shared.errors import Refused

from services.funding.entitlements import (GRANTED, NOT_AWARDED, NOT_CHOSEN, REFUSED, Decision,
                                           derive_entitlements)

POLICY = policy.edition("changju-2024")
START = date(2025, 3, 1)
CAP_FEN = 200_000_000
SERVICES = ["hukou_residence", "children_schooling", "medical_green_channel", "government_services",
            "financial_services"]


def decision(**changes) -> Decision:
    base = Decision(case_id="case-1", award_fen=CAP_FEN, national_or_beijing_talent=False,
                    housing_choice="rent_subsidy", monthly_rent_fen=1_200_000, effective_on=START)
    return replace(base, **changes)


def by_code(d: Decision) -> dict:
    return {e.code: e for e in derive_entitlements(POLICY, d)}


def refused(d: Decision) -> Refused:
    with pytest.raises(Refused) as caught:
        derive_entitlements(POLICY, d)
    return caught.value


def test_every_code_is_derived_once_in_a_fixed_order():
    codes = [e.code for e in derive_entitlements(POLICY, decision())]
    assert codes == ["award_money", "housing_flat", "rent_subsidy", "service_money", *SERVICES]


def test_every_money_entitlement_says_why_with_rule_edition_and_inputs():
    for d in (decision(), decision(award_fen=0, national_or_beijing_talent=True, housing_choice="flat")):
        for e in derive_entitlements(POLICY, d):
            if e.kind == "money":
                why = e.computation
                assert why.rule.startswith("A.") and why.policy_edition == "changju-2024"
                assert why.clause and why.inputs and why.explanation
                assert why.amount_fen == e.amount_fen


# 三(一) award money

def test_an_award_of_exactly_two_million_yuan_is_accepted():
    award = by_code(decision(award_fen=CAP_FEN))["award_money"]
    assert (award.status, award.amount_fen, award.unit, award.units) == (GRANTED, CAP_FEN, "once", 1)
    assert award.computation.rule == "A.award.cap"
    assert award.computation.inputs == {"award_fen": CAP_FEN, "cap_fen": CAP_FEN, "prior_changju_award_fen": 0}


def test_an_award_one_fen_above_the_cap_is_refused():
    error = refused(decision(award_fen=CAP_FEN + 1))
    assert (error.code, error.rule) == ("rule_violation", "A.award.cap")
    assert error.fields == {"award_fen": [f"at most {CAP_FEN}"]}


def test_a_negative_award_is_refused():
    assert refused(decision(award_fen=-1)).rule == "A.award.cap"


def test_a_reapplicant_gets_only_the_top_up_to_the_cap():
    top_up = by_code(decision(award_fen=CAP_FEN - 50_000_000, prior_changju_award_fen=50_000_000))["award_money"]
    assert top_up.amount_fen == 150_000_000
    error = refused(decision(award_fen=CAP_FEN - 50_000_000 + 1, prior_changju_award_fen=50_000_000))
    assert error.rule == "A.award.cap"


def test_a_zero_award_is_not_awarded_but_still_explained():
    award = by_code(decision(award_fen=0))["award_money"]
    assert (award.status, award.amount_fen, award.ceiling_fen) == (NOT_AWARDED, 0, 0)
    assert award.computation.rule == "A.award.cap"


# 二(一)2 注: national or Beijing talents

def test_a_national_or_beijing_talent_gets_no_award_money_but_everything_else():
    got = by_code(decision(award_fen=0, national_or_beijing_talent=True))
    assert got["award_money"].status == REFUSED
    assert got["award_money"].computation.rule == "A.award.national_or_beijing_talent"
    assert got["award_money"].amount_fen == 0
    assert got["rent_subsidy"].status == GRANTED
    assert got["service_money"].status == GRANTED
    assert all(got[code].status == GRANTED for code in SERVICES)


def test_award_money_for_a_national_or_beijing_talent_is_refused_not_silently_dropped():
    error = refused(decision(award_fen=1, national_or_beijing_talent=True))
    assert (error.code, error.rule) == ("rule_violation", "A.award.national_or_beijing_talent")


# 三(二)(4) housing

def test_rent_below_the_cap_pays_the_rent_actually_paid():
    rent = by_code(decision(monthly_rent_fen=1_200_000))["rent_subsidy"]
    assert (rent.status, rent.amount_fen, rent.unit, rent.units) == (GRANTED, 1_200_000, "month", 36)
    assert rent.ceiling_fen == 1_200_000 * 36
    assert (rent.starts_on, rent.ends_on) == (START, date(2028, 3, 1))
    assert rent.computation.rule == "A.rent.cap"
    assert rent.computation.inputs["monthly_rent_paid_fen"] == 1_200_000
    assert rent.computation.inputs["monthly_cap_fen"] == 1_500_000


@pytest.mark.parametrize("paid_fen", [1_500_000, 1_500_100, 9_000_000])   # 15,000 / 15,001 / 90,000 yuan
def test_rent_at_or_above_the_cap_is_capped_at_15000_yuan_a_month(paid_fen):
    assert by_code(decision(monthly_rent_fen=paid_fen))["rent_subsidy"].amount_fen == 1_500_000


def test_a_flat_instead_of_a_rent_subsidy_means_no_rent_money():
    got = by_code(decision(housing_choice="flat", monthly_rent_fen=None))
    assert got["housing_flat"].status == GRANTED and got["housing_flat"].kind == "in_kind"
    rent = got["rent_subsidy"]
    assert (rent.status, rent.amount_fen, rent.ceiling_fen) == (NOT_CHOSEN, 0, 0)
    assert rent.computation.rule == "A.rent.flat_instead"


def test_a_flat_ignores_any_rent_figure():
    assert by_code(decision(housing_choice="flat", monthly_rent_fen=1_000_000))["rent_subsidy"].ceiling_fen == 0


def test_no_housing_choice_means_neither():
    got = by_code(decision(housing_choice=None, monthly_rent_fen=None))
    assert got["housing_flat"].status == NOT_CHOSEN
    assert (got["rent_subsidy"].status, got["rent_subsidy"].computation.rule) == (NOT_CHOSEN, "A.rent.not_chosen")


@pytest.mark.parametrize("changes, field", [
    ({"monthly_rent_fen": None}, "monthly_rent_fen"),
    ({"monthly_rent_fen": 0}, "monthly_rent_fen"),
    ({"monthly_rent_fen": 1.5}, "monthly_rent_fen"),
    ({"housing_choice": "house"}, "housing_choice"),
    ({"award_fen": 1.0}, "award_fen"),
])
def test_bad_inputs_are_validation_errors(changes, field):
    error = refused(decision(**changes))
    assert error.code == "validation_error" and field in error.fields


# 三(二)(7) service money

def test_service_money_is_refused_entirely_after_award_money():
    money = by_code(decision(award_fen=1))["service_money"]
    assert (money.status, money.amount_fen, money.ceiling_fen) == (REFUSED, 0, 0)
    assert money.computation.rule == "A.service_money.excluded_after_award"
    assert money.computation.inputs["award_fen"] == 1


def test_service_money_is_refused_after_award_money_from_an_earlier_changju_selection():
    money = by_code(decision(award_fen=0, prior_changju_award_fen=50_000_000))["service_money"]
    assert money.status == REFUSED


def test_service_money_without_award_money_is_50000_yuan_a_year_for_two_years():
    money = by_code(decision(award_fen=0, national_or_beijing_talent=True))["service_money"]
    assert (money.status, money.amount_fen, money.unit, money.units) == (GRANTED, 5_000_000, "year", 2)
    assert money.ceiling_fen == 10_000_000
    assert (money.starts_on, money.ends_on) == (START, date(2027, 3, 1))
    assert money.computation.rule == "A.service_money.yearly"


def test_services_are_granted_without_money():
    got = by_code(decision())
    for code in SERVICES:
        assert (got[code].kind, got[code].status, got[code].computation) == ("service", GRANTED, None)
    assert got["hukou_residence"].clause == "三(二)(1)"
    assert got["financial_services"].clause == "三(二)(6)"
