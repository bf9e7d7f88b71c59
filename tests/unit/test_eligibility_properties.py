"""The age rule (二(一)2(2)) against an independent oracle, for any birth and reference date."""
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from shared import policy

from services.application.eligibility import CriterionClaim, Talent, assess

POLICY = policy.edition("changju-2024")
BASE = Talent(birth_date=date(1970, 1, 1), has_contract=True, months_worked_per_year=12,
              field_fits_changping=True, commits_years=3)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


def oracle_age(born: date, on: date) -> int:
    """Whole years from the digits of YYYYMMDD: independent of the rule's month/day comparison."""
    return (int(on.strftime("%Y%m%d")) - int(born.strftime("%Y%m%d"))) // 10000


@st.composite
def birth_and_reference(draw):
    """Any ordered pair of dates, and often a reference within a few days of the 60th/61st birthday."""
    born = draw(DATES.filter(lambda d: d.year <= 2030))
    if draw(st.booleans()):
        other = draw(DATES)
        return min(born, other), max(born, other)
    years = draw(st.sampled_from([60, 61]))
    birthday = born.replace(year=born.year + years) if (born.month, born.day) != (2, 29) \
        else date(born.year + years, 3, 1)
    return born, birthday + timedelta(days=draw(st.integers(-2, 2)))


@given(birth_and_reference())
@example((date(1964, 2, 29), date(2025, 2, 28)))
@example((date(1964, 2, 29), date(2025, 3, 1)))
def test_age_rule_agrees_with_an_independent_oracle(dates):
    born, reference = dates
    edition = {**POLICY, "call": {**POLICY["call"], "age_reference_date": reference}}
    assessment = assess(edition, replace(BASE, birth_date=born), [CriterionClaim("5")])
    [age] = [c for c in assessment.checks if c.rule == "A.talent.age"]
    assert age.inputs["age"] == oracle_age(born, reference)
    assert age.passed is (oracle_age(born, reference) <= POLICY["talent"]["max_age"])
    assert assessment.age_reference_date == reference
