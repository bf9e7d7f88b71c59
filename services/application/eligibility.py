"""Programme A: is this talent eligible for the 昌聚工程 杰出类人才 call? Pure domain rules.

Framework-free and clock-free: the caller passes the policy edition (``shared.policy.edition``)
and plain data; every date used comes from the edition and is recorded on the assessment.

Seed clauses (000_9e0f4b4d776a3228.txt):
  一(1)–(5)   recognition criteria — at least one; (1)–(4) "近三年", (5) has no time limit
  二(一)2(2)  age 60周岁(含)以下, may be relaxed for urgently needed talent (a recorded waiver)
  二(一)2(3)  formal contract with the unit; 每年实际工作时间须在六个月以上
  二(一)2(4)  field fits Changping; commits to keep working in Changping 三年以上
  二(一)2 注  national/Beijing talents: covered, but no local award money
  三(一)      re-applying 昌聚 talents: a higher category only; the award is topped up (补差)

"以上/以下" include the number itself (民法典 第1259条: 以上、以下、以内、届满，包括本数), hence ≥ 6 months,
≥ 3 years and ≤ 60 years.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from shared.errors import rule_violation, validation_error

PRIZE_LEVELS = ("national_first", "national_second", "beijing_special", "beijing_first")


# ---------------------------------------------------------------- inputs

def _require_date(value, name: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise validation_error({name: ["must be a calendar date (not a datetime)"]})


def _require_count(value, name: str, low: int = 0, high: int | None = None) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)
    if not ok:
        upto = "" if high is None else f" to {high}"
        raise validation_error({name: [f"must be a whole number from {low}{upto}"]})


@dataclass(frozen=True)
class Talent:
    """The applicant (申报人), as the unit declared them. 二(一)2."""
    birth_date: date
    has_contract: bool
    months_worked_per_year: int
    field_fits_changping: bool
    commits_years: int
    national_or_beijing_talent: bool = False
    earlier_changju_category: str | None = None   # the 昌聚 category already held, if re-applying
    earlier_award_fen: int = 0                    # the 昌聚 award money already received

    def __post_init__(self):
        _require_date(self.birth_date, "birth_date")
        _require_count(self.months_worked_per_year, "months_worked_per_year", 0, 12)
        _require_count(self.commits_years, "commits_years")
        _require_count(self.earlier_award_fen, "earlier_award_fen")


@dataclass(frozen=True)
class CriterionClaim:
    """A claim to meet one recognition criterion (一(1)–(5)).

    ``achieved_on`` is the date the qualifying fact held: the prize was awarded (1), the grant or
    the lead role was obtained (2), the post was held (3, 4). Criterion 5 needs no date.
    """
    criterion: str                      # "1".."5"
    prize_level: str | None = None      # criterion 1 only: one of PRIZE_LEVELS (others do not qualify)
    rank: int | None = None             # criterion 1 only: the applicant's rank among the winners, 1 = first
    achieved_on: date | None = None
    project_completed: bool | None = None   # criterion 2 only: the funded project has been completed

    def __post_init__(self):
        if self.achieved_on is not None:
            _require_date(self.achieved_on, "achieved_on")
        if self.rank is not None:
            _require_count(self.rank, "rank", 1)


@dataclass(frozen=True)
class AgeWaiver:
    """The recorded decision relaxing the age limit for urgently needed talent. 二(一)2(2)."""
    decided_by: str
    reason: str

    def __post_init__(self):
        bad = {name: ["must not be empty"] for name in ("decided_by", "reason")
               if not isinstance(getattr(self, name), str) or not getattr(self, name).strip()}
        if bad:
            raise validation_error(bad, "an age waiver names who decided and why")


# ---------------------------------------------------------------- output

@dataclass(frozen=True)
class Check:
    """One rule applied: its id, the outcome, why, and the inputs it read.
    ``claim`` is the index of the criterion claim a check belongs to (None for the talent's own rules)."""
    rule: str
    passed: bool
    explanation: str
    inputs: Mapping[str, Any]
    field: str
    claim: int | None = None


@dataclass(frozen=True)
class EligibilityAssessment:
    edition: str
    category: str
    age_reference_date: date
    recent_years_reference_date: date
    recent_years_earliest: date
    checks: tuple[Check, ...]
    age_waiver: AgeWaiver | None
    award_money_allowed: bool
    satisfied_claims: tuple[int, ...] = ()

    @property
    def failures(self) -> tuple[Check, ...]:
        """The failed checks that make the talent ineligible, in rule order. A failed check of one
        criterion claim does not count when another claim is satisfied."""
        return tuple(c for c in self.checks
                     if not c.passed and (c.claim is None or not self.satisfied_claims))

    @property
    def eligible(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        """JSON-ready, for recording on the decision event."""
        return _jsonable({
            "edition": self.edition, "category": self.category, "eligible": self.eligible,
            "age_reference_date": self.age_reference_date,
            "recent_years_reference_date": self.recent_years_reference_date,
            "recent_years_earliest": self.recent_years_earliest,
            "age_waiver": None if self.age_waiver is None else
            {"decided_by": self.age_waiver.decided_by, "reason": self.age_waiver.reason},
            "award_money_allowed": self.award_money_allowed,
            "satisfied_claims": list(self.satisfied_claims),
            "checks": [{"rule": c.rule, "passed": c.passed, "explanation": c.explanation,
                        "inputs": dict(c.inputs), "field": c.field, "claim": c.claim} for c in self.checks],
        })


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- dates

def _policy_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on a day, by the calendar: one year older on each birthday; someone born
    on 29 February becomes a year older on 1 March in common years."""
    if birth_date > on:
        raise validation_error({"birth_date": [f"{birth_date} is after {on}"]})
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def years_before(day: date, years: int) -> date:
    """The same month and day ``years`` earlier; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def within_recent_years(achieved_on: date, reference: date, years: int) -> bool:
    """"近三年" (一(1)–(4)): ``achieved_on`` lies in the closed interval
    [the same day ``years`` calendar years before ``reference``, ``reference``].
    With reference 2024-10-20 and 3 years: 2021-10-20 passes, 2021-10-19 fails, 2024-10-21 fails."""
    return years_before(reference, years) <= achieved_on <= reference


# ---------------------------------------------------------------- the rules

def _age_check(talent: Talent, talent_policy: dict, reference: date, waiver: AgeWaiver | None) -> Check:
    limit = talent_policy["max_age"]
    age = age_on(talent.birth_date, reference)
    inputs = {"birth_date": talent.birth_date, "reference_date": reference, "age": age, "max_age": limit,
              "waiver": None if waiver is None else {"decided_by": waiver.decided_by, "reason": waiver.reason}}
    if age <= limit:
        return Check("A.talent.age", True, f"aged {age} on {reference}, at most {limit} (二(一)2(2))",
                     inputs, "birth_date")
    if waiver is not None:
        return Check("A.talent.age", True, f"aged {age} on {reference}, above {limit}, but waived by "
                     f"{waiver.decided_by}: {waiver.reason} (二(一)2(2))", inputs, "birth_date")
    return Check("A.talent.age", False, f"aged {age} on {reference}, above the limit of {limit} "
                 f"and no age waiver is recorded (二(一)2(2))", inputs, "birth_date")


def _talent_checks(talent: Talent, talent_policy: dict) -> list[Check]:
    months, years = talent_policy["min_months_worked_per_year"], talent_policy["commitment_years"]
    return [
        Check("A.talent.contract", talent.has_contract,
              "a formal contract with the applying unit " + ("is" if talent.has_contract else "is not") +
              " declared (二(一)2(3))", {"has_contract": talent.has_contract}, "has_contract"),
        Check("A.talent.months_worked", talent.months_worked_per_year >= months,
              f"works {talent.months_worked_per_year} months a year at the unit; at least {months} "
              f"required (二(一)2(3))", {"months_worked_per_year": talent.months_worked_per_year,
                                          "min_months": months}, "months_worked_per_year"),
        Check("A.talent.field", talent.field_fits_changping,
              "the work field " + ("fits" if talent.field_fits_changping else "does not fit") +
              " Changping's industrial direction (二(一)2(4))",
              {"field_fits_changping": talent.field_fits_changping}, "field_fits_changping"),
        Check("A.talent.commitment", talent.commits_years >= years,
              f"commits to {talent.commits_years} years in Changping; at least {years} required (二(一)2(4))",
              {"commits_years": talent.commits_years, "min_years": years}, "commits_years"),
    ]


def _claim_checks(i: int, claim: CriterionClaim, criteria: dict, reference: date, years: int) -> list[Check]:
    rule = criteria[claim.criterion]
    where = f"claims[{i}]"
    checks: list[Check] = []
    if claim.criterion == "1":
        limits = rule["max_rank"]
        level_ok = claim.prize_level in limits
        checks.append(Check("A.criterion.1.prize_level", level_ok,
                            f"prize level {claim.prize_level!r} " + ("qualifies" if level_ok else
                            f"is not one of {', '.join(limits)}") + " (一(1))",
                            {"prize_level": claim.prize_level}, f"{where}.prize_level", i))
        if level_ok:
            limit = limits[claim.prize_level]
            rank_ok = claim.rank is not None and claim.rank <= limit
            checks.append(Check("A.criterion.1.rank", rank_ok,
                                f"ranked {claim.rank} for a {claim.prize_level} prize; at most {limit} (一(1))",
                                {"prize_level": claim.prize_level, "rank": claim.rank, "max_rank": limit},
                                f"{where}.rank", i))
    if rule.get("requires_completed_project"):
        done = claim.project_completed is True
        checks.append(Check(f"A.criterion.{claim.criterion}.completed", done,
                            "the funded project " + ("has" if done else "has not been shown to have") +
                            " been completed (一(2))", {"project_completed": claim.project_completed},
                            f"{where}.project_completed", i))
    inputs = {"criterion": claim.criterion, "achieved_on": claim.achieved_on, "reference_date": reference,
              "earliest": years_before(reference, years)}
    if not rule["within_recent_years"]:
        checks.append(Check("A.criterion.recent_years", True, f"criterion {claim.criterion} has no time limit "
                            f"(一({claim.criterion}))", inputs, f"{where}.achieved_on", i))
    elif claim.achieved_on is None:
        checks.append(Check("A.criterion.recent_years", False, f"criterion {claim.criterion} must fall within the "
                            f"last {years} years, but no date is given (一({claim.criterion}))",
                            inputs, f"{where}.achieved_on", i))
    else:
        ok = within_recent_years(claim.achieved_on, reference, years)
        checks.append(Check("A.criterion.recent_years", ok, f"achieved on {claim.achieved_on}; criterion "
                            f"{claim.criterion} must fall from {inputs['earliest']} to {reference} "
                            f"(一({claim.criterion}) 近三年)", inputs, f"{where}.achieved_on", i))
    return checks


def _category_checks(talent: Talent, category: str, order: list[str]) -> tuple[list[Check], list[Check]]:
    known = Check("A.category.known", category in order,
                  f"category {category!r} " + ("is" if category in order else "is not") +
                  f" one of this call's categories {order}", {"category": category, "order": order}, "category")
    held = talent.earlier_changju_category
    inputs = {"category": category, "earlier_changju_category": held, "order": order}
    if held is None:
        higher = Check("A.reapplicant.higher_category", True, "not an earlier 昌聚 talent (三(一))",
                       inputs, "earlier_changju_category")
    elif held not in order or category not in order:
        higher = Check("A.reapplicant.higher_category", False, f"cannot rank {category!r} against the held "
                       f"category {held!r}: not both in the policy's categories.order (三(一))",
                       inputs, "earlier_changju_category")
    else:
        ok = order.index(category) > order.index(held)
        higher = Check("A.reapplicant.higher_category", ok, f"already a 昌聚 {held!r} talent; must apply for a "
                       f"higher category than {held!r}, applied for {category!r} (三(一))",
                       inputs, "earlier_changju_category")
    return [known], [higher]


def assess(policy: dict, talent: Talent, claims: Iterable[CriterionClaim], *,
           category: str = "outstanding", waiver: AgeWaiver | None = None) -> EligibilityAssessment:
    """Apply every programme A talent rule of this edition; never raises for a failed rule."""
    call, criteria = policy["call"], policy["criteria"]
    age_reference = _policy_date(call["age_reference_date"])
    recent_reference = _policy_date(call["recent_years_reference_date"])
    years = call["recent_years"]
    claims = list(claims)
    for i, claim in enumerate(claims):
        if claim.criterion not in criteria:
            raise validation_error({f"claims[{i}].criterion": [f"must be one of {', '.join(criteria)}"]})

    known, higher = _category_checks(talent, category, list(policy["categories"]["order"]))
    checks = known + [_age_check(talent, policy["talent"], age_reference, waiver)]
    checks += _talent_checks(talent, policy["talent"])
    satisfied = []
    for i, claim in enumerate(claims):
        own = _claim_checks(i, claim, criteria, recent_reference, years)
        checks += own
        if all(c.passed for c in own):
            satisfied.append(i)
    checks.append(Check("A.criterion.at_least_one", bool(satisfied),
                        f"claims satisfying a criterion: {satisfied}" if satisfied else
                        "no claimed recognition criterion is satisfied (一: 应符合下列条件之一)",
                        {"claims": len(claims), "satisfied": satisfied}, "claims"))
    checks += higher
    return EligibilityAssessment(
        edition=policy["edition"], category=category, age_reference_date=age_reference,
        recent_years_reference_date=recent_reference, recent_years_earliest=years_before(recent_reference, years),
        checks=tuple(checks), age_waiver=waiver, award_money_allowed=award_money_allowed(talent, policy),
        satisfied_claims=tuple(satisfied))


def assert_eligible(policy: dict, talent: Talent, claims: Iterable[CriterionClaim], *,
                    category: str = "outstanding", waiver: AgeWaiver | None = None) -> EligibilityAssessment:
    """The assessment, or a ``rule_violation`` naming the first failed rule; its ``fields`` list every failure."""
    assessment = assess(policy, talent, claims, category=category, waiver=waiver)
    if assessment.failures:
        first = assessment.failures[0]
        fields: dict[str, list[str]] = {}
        for check in assessment.failures:
            fields.setdefault(check.field, []).append(f"{check.rule}: {check.explanation}")
        raise rule_violation(first.rule, first.explanation, fields=fields)
    return assessment


# ---------------------------------------------------------------- money consequences

def award_money_allowed(talent: Talent, policy: dict) -> bool:
    """National/Beijing programme talents are eligible and covered by the services, but receive no
    local award money (二(一)2 注)."""
    return not talent.national_or_beijing_talent or bool(policy["award"]["national_or_beijing_talent_award_money"])
