"""Programme A eligibility rules (services.application.eligibility): each rule at its edges.
Reference dates come from the edition: both are 2024-10-20 in changju-2024."""
import json
from dataclasses import replace
from datetime import date

import pytest

from shared import policy
from shared.policy import category_cap_fen
from shared.errors import Refused

from services.application.eligibility import (
    AgeWaiver, CriterionClaim, Talent, age_on, assert_eligible, assess, award_money_allowed,
    within_recent_years, years_before)

POLICY = policy.edition("changju-2024")
REF = date(2024, 10, 20)
RECENT = CriterionClaim("3", achieved_on=date(2023, 5, 1))


def talent(**changes) -> Talent:
    base = Talent(birth_date=date(1970, 1, 1), has_contract=True, months_worked_per_year=12,
                  field_fits_changping=True, commits_years=3)
    return replace(base, **changes)


def check(assessment, rule, claim=None):
    [found] = [c for c in assessment.checks if c.rule == rule and c.claim == claim]
    return found


def refused_rule(t=None, claims=(RECENT,), **kwargs) -> str:
    with pytest.raises(Refused) as raised:
        assert_eligible(POLICY, t or talent(), claims, **kwargs)
    assert raised.value.code == "rule_violation"
    return raised.value.rule


def test_a_fitting_talent_is_eligible_and_the_assessment_records_edition_and_dates():
    assessment = assert_eligible(POLICY, talent(), [RECENT])
    assert assessment.eligible and assessment.failures == ()
    assert assessment.edition == "changju-2024"
    assert assessment.age_reference_date == REF == assessment.recent_years_reference_date
    assert assessment.recent_years_earliest == date(2021, 10, 20)
    assert {c.rule for c in assessment.checks} >= {
        "A.talent.age", "A.talent.contract", "A.talent.months_worked", "A.talent.field", "A.talent.commitment",
        "A.criterion.recent_years", "A.criterion.at_least_one", "A.reapplicant.higher_category"}
    recorded = json.loads(json.dumps(assessment.to_dict(), ensure_ascii=False))
    assert recorded["age_reference_date"] == "2024-10-20" and recorded["eligible"] is True


# ---------------------------------------------------------------- A.talent.age  二(一)2(2)

@pytest.mark.parametrize("born, age, passed", [
    (date(1964, 10, 20), 60, True),    # 60th birthday on the reference date
    (date(1964, 10, 19), 60, True),    # the day after the 60th birthday
    (date(1963, 10, 21), 60, True),    # the day before the 61st birthday
    (date(1963, 10, 20), 61, False),   # 61st birthday on the reference date
    (date(1963, 10, 19), 61, False),   # the day after the 61st birthday
])
def test_age_rule_60_passes_61_fails_on_the_reference_date(born, age, passed):
    assessment = assess(POLICY, talent(birth_date=born), [RECENT])
    age_check = check(assessment, "A.talent.age")
    assert (age_check.inputs["age"], age_check.passed) == (age, passed)
    assert age_check.inputs["reference_date"] == REF
    if not passed:
        assert refused_rule(talent(birth_date=born)) == "A.talent.age"


def test_age_of_a_29_february_birth_turns_on_1_march_in_common_years():
    assert age_on(date(1964, 2, 29), date(2025, 2, 28)) == 60
    assert age_on(date(1964, 2, 29), date(2025, 3, 1)) == 61
    assert age_on(date(1964, 2, 29), date(2024, 2, 29)) == 60


def test_age_rule_a_recorded_waiver_lets_61_pass_and_the_assessment_shows_it():
    waiver = AgeWaiver(decided_by="working-group-1", reason="急需紧缺高层次人才")
    assessment = assert_eligible(POLICY, talent(birth_date=date(1963, 10, 20)), [RECENT], waiver=waiver)
    age_check = check(assessment, "A.talent.age")
    assert age_check.passed and "waived" in age_check.explanation
    assert age_check.inputs["waiver"] == {"decided_by": "working-group-1", "reason": "急需紧缺高层次人才"}
    assert assessment.age_waiver == waiver
    assert assessment.to_dict()["age_waiver"]["decided_by"] == "working-group-1"


@pytest.mark.parametrize("decided_by, reason", [("", "urgent"), ("officer", "  ")])
def test_age_rule_a_waiver_must_say_who_and_why(decided_by, reason):
    with pytest.raises(Refused) as raised:
        AgeWaiver(decided_by, reason)
    assert raised.value.code == "validation_error"


def test_age_rule_a_birth_after_the_reference_date_is_invalid():
    with pytest.raises(Refused) as raised:
        assess(POLICY, talent(birth_date=date(2025, 1, 1)), [RECENT])
    assert raised.value.fields == {"birth_date": ["2025-01-01 is after 2024-10-20"]}


# ---------------------------------------------------------------- A.talent.*  二(一)2(3)(4)

def test_contract_rule_needs_a_formal_contract():
    assert refused_rule(talent(has_contract=False)) == "A.talent.contract"


@pytest.mark.parametrize("months, passed", [(6, True), (5, False), (12, True), (0, False)])
def test_months_worked_rule_six_pass_five_fail(months, passed):
    assessment = assess(POLICY, talent(months_worked_per_year=months), [RECENT])
    assert check(assessment, "A.talent.months_worked").passed is passed
    assert assessment.eligible is passed


def test_months_worked_rule_more_than_twelve_is_invalid():
    with pytest.raises(Refused):
        talent(months_worked_per_year=13)


def test_field_rule_needs_a_field_that_fits_changping():
    assert refused_rule(talent(field_fits_changping=False)) == "A.talent.field"


@pytest.mark.parametrize("years, passed", [(3, True), (2, False), (10, True)])
def test_commitment_rule_at_least_three_years(years, passed):
    assessment = assess(POLICY, talent(commits_years=years), [RECENT])
    assert check(assessment, "A.talent.commitment").passed is passed
    if not passed:
        assert refused_rule(talent(commits_years=years)) == "A.talent.commitment"


# ---------------------------------------------------------------- A.criterion.1  一(1)

@pytest.mark.parametrize("level, rank, passed", [
    ("national_first", 5, True), ("national_first", 6, False),
    ("national_second", 2, True), ("national_second", 3, False),
    ("beijing_special", 5, True), ("beijing_special", 6, False),
    ("beijing_first", 2, True), ("beijing_first", 3, False),
    ("national_first", 1, True),
])
def test_criterion_1_rank_limits(level, rank, passed):
    prize = CriterionClaim("1", prize_level=level, rank=rank, achieved_on=date(2023, 1, 1))
    assessment = assess(POLICY, talent(), [prize])
    rank_check = check(assessment, "A.criterion.1.rank", claim=0)
    assert rank_check.passed is passed
    assert rank_check.inputs["max_rank"] == {"national_first": 5, "national_second": 2,
                                             "beijing_special": 5, "beijing_first": 2}[level]
    assert assessment.eligible is passed
    if not passed:
        assert refused_rule(claims=[prize]) == "A.criterion.1.rank"


@pytest.mark.parametrize("level", ["beijing_second", None])
def test_criterion_1_prize_level_other_levels_do_not_qualify(level):
    prize = CriterionClaim("1", prize_level=level, rank=1, achieved_on=date(2023, 1, 1))
    assert refused_rule(claims=[prize]) == "A.criterion.1.prize_level"


def test_criterion_1_rank_must_be_given():
    prize = CriterionClaim("1", prize_level="national_first", achieved_on=date(2023, 1, 1))
    assert refused_rule(claims=[prize]) == "A.criterion.1.rank"


def test_criterion_1_rank_below_one_is_invalid():
    with pytest.raises(Refused):
        CriterionClaim("1", prize_level="national_first", rank=0)


# ---------------------------------------------------------------- A.criterion.recent_years  一(1)–(4)

@pytest.mark.parametrize("criterion", ["1", "2", "3", "4"])
@pytest.mark.parametrize("achieved, passed", [
    (date(2021, 10, 20), True),    # exactly three years before the reference date
    (date(2021, 10, 19), False),   # one day earlier
    (date(2024, 10, 20), True),    # the reference date itself
    (date(2024, 10, 21), False),   # after the reference date
])
def test_recent_years_rule_boundary(criterion, achieved, passed):
    claim = CriterionClaim(criterion, prize_level="national_first", rank=1, achieved_on=achieved,
                           project_completed=True)
    assessment = assess(POLICY, talent(), [claim])
    assert check(assessment, "A.criterion.recent_years", claim=0).passed is passed
    assert assessment.eligible is passed
    if not passed:
        assert refused_rule(claims=[claim]) == "A.criterion.recent_years"


def test_recent_years_rule_needs_a_date_for_criteria_1_to_4():
    assert refused_rule(claims=[CriterionClaim("4")]) == "A.criterion.recent_years"


def test_recent_years_rule_three_years_before_29_february_is_28_february():
    assert years_before(date(2024, 2, 29), 3) == date(2021, 2, 28)
    assert within_recent_years(date(2021, 2, 28), date(2024, 2, 29), 3)
    assert not within_recent_years(date(2021, 2, 27), date(2024, 2, 29), 3)


@pytest.mark.parametrize("achieved", [date(1990, 1, 1), None])
def test_criterion_5_has_no_time_limit(achieved):
    assessment = assert_eligible(POLICY, talent(), [CriterionClaim("5", achieved_on=achieved)])
    assert check(assessment, "A.criterion.recent_years", claim=0).passed


# ---------------------------------------------------------------- A.criterion.2.completed  一(2)

@pytest.mark.parametrize("completed, passed", [(True, True), (False, False), (None, False)])
def test_criterion_2_completed_project_required(completed, passed):
    grant = CriterionClaim("2", achieved_on=date(2022, 6, 1), project_completed=completed)
    assert assess(POLICY, talent(), [grant]).eligible is passed
    if not passed:
        assert refused_rule(claims=[grant]) == "A.criterion.2.completed"


# ---------------------------------------------------------------- at least one criterion  一

def test_at_least_one_criterion_one_satisfied_claim_outweighs_failed_ones():
    failed = CriterionClaim("1", prize_level="national_second", rank=3, achieved_on=date(2023, 1, 1))
    assessment = assert_eligible(POLICY, talent(), [failed, CriterionClaim("5")])
    assert assessment.satisfied_claims == (1,)
    assert not check(assessment, "A.criterion.1.rank", claim=0).passed   # still listed


def test_at_least_one_criterion_none_claimed_is_refused():
    assert refused_rule(claims=[]) == "A.criterion.at_least_one"


def test_at_least_one_criterion_refusal_lists_every_failure_in_its_fields():
    old = CriterionClaim("3", achieved_on=date(2020, 1, 1))
    with pytest.raises(Refused) as raised:
        assert_eligible(POLICY, talent(has_contract=False), [old])
    assert raised.value.rule == "A.talent.contract"
    assert set(raised.value.fields) == {"has_contract", "claims[0].achieved_on", "claims"}


def test_an_unknown_criterion_is_invalid():
    with pytest.raises(Refused) as raised:
        assess(POLICY, talent(), [CriterionClaim("6")])
    assert raised.value.code == "validation_error"


# ---------------------------------------------------------------- national / Beijing talents  二(一)2 注

def test_national_or_beijing_talent_is_eligible_without_award_money():
    expert = talent(national_or_beijing_talent=True)
    assessment = assert_eligible(POLICY, expert, [RECENT])
    assert assessment.award_money_allowed is False
    assert award_money_allowed(expert, POLICY) is False
    assert award_money_allowed(talent(), POLICY) is True


# ---------------------------------------------------------------- re-applicants  三(一)

def test_reapplicant_higher_category_same_category_refused():
    again = talent(earlier_changju_category="outstanding", earlier_award_fen=200_000_000)
    assert refused_rule(again) == "A.reapplicant.higher_category"


def test_reapplicant_higher_category_unknown_held_category_refused():
    assert refused_rule(talent(earlier_changju_category="top")) == "A.reapplicant.higher_category"


def test_reapplicant_higher_category_a_higher_category_passes():
    ranked = {**POLICY, "categories": {**POLICY["categories"], "order": ["leading", "outstanding"]}}
    again = talent(earlier_changju_category="leading")
    assert check(assess(ranked, again, [RECENT]), "A.reapplicant.higher_category").passed


def test_category_known_rule_refuses_a_category_the_call_does_not_have():
    assert refused_rule(category="top") == "A.category.known"


def test_category_cap_comes_from_the_edition():
    assert category_cap_fen(POLICY, "outstanding") == 200_000_000
    with pytest.raises(Refused) as raised:
        category_cap_fen(POLICY, "top")
    assert raised.value.rule == "A.category.award_cap"


def test_the_cached_edition_is_not_mutated_by_an_assessment():
    before = repr(POLICY)
    assess(POLICY, talent(), [RECENT, CriterionClaim("1", prize_level="national_first", rank=9)])
    assert repr(POLICY) == before

