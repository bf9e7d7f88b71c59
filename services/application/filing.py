"""Programme A filing rules that read the call's calendar, and the shapes a submission
records. Pure: the business date is handed in.

四(一)1: the system is open for registration and filing from the window's first to its last
day, both included, in Beijing time. A case returned for correction may be resubmitted
after the window closes, until the correction deadline the officer set.
"""
from __future__ import annotations

from datetime import date

from shared.errors import rule_violation

from shared.materials import Document, ordered_materials


def filing_window(policy: dict) -> tuple[date, date]:
    window = policy["call"]["registration_window"]
    return _date(window["opens"]), _date(window["closes"])


def require_filing_open(policy: dict, today: date) -> None:
    opens, closes = filing_window(policy)
    if not opens <= today <= closes:
        raise rule_violation("A.call.window", f"the {policy['edition']} call takes applications from {opens} to "
                             f"{closes} (Beijing time); today is {today}",
                             fields={"programme": [f"outside the filing window {opens}..{closes}"]})


def assessment_summary(assessment: dict) -> dict:
    """What other services learn of an eligibility assessment: which rules, which edition and
    dates, and the outcome — not the inputs (a birth date stays in this service)."""
    return {
        "edition": assessment["edition"], "eligible": assessment["eligible"],
        "age_reference_date": assessment["age_reference_date"],
        "recent_years_reference_date": assessment["recent_years_reference_date"],
        "recent_years_earliest": assessment["recent_years_earliest"],
        "age_waived": assessment["age_waiver"] is not None,
        "award_money_allowed": assessment["award_money_allowed"],
        "satisfied_claims": assessment["satisfied_claims"],
        "rules": [{"rule": c["rule"], "passed": c["passed"]} for c in assessment["checks"]],
    }


def require_entered_order(policy: dict, entries: dict[str, list[str]], attached: dict[str, list[Document]]) -> None:
    """二(二)3: awards, patents, projects, standards and papers are attached in the order they were
    entered in the system (several documents may evidence one entry)."""
    problems = {}
    for code, check in ordered_materials(policy, entries, attached).items():
        if check.unknown:
            problems[f"documents.{code}"] = [f"documents name entries not entered: {list(check.unknown)}"]
        elif check.out_of_order:
            problems[f"documents.{code}"] = [f"attached out of the order entered at {list(check.out_of_order)}"]
    if problems:
        raise rule_violation("A.materials.order", "awards, patents, projects, standards and papers are attached "
                             "in the order entered in the system (二(二)3)", fields=problems)


def documents_by_code(documents: dict[str, list[dict]]) -> dict[str, list[Document]]:
    return {code: [Document(**d) for d in docs] for code, docs in documents.items()}


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
