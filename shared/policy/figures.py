"""The figures a decision uses, taken from its edition once and recorded on the decision's event, so
that later instalments, the timer and recoveries derive from the record, never from a policy file.

Plain JSON-able dicts (integers in fen, strings, booleans, lists), canonical for signing. A stored
event that predates these records is upcast with the figures of the edition it names: safe, because
a released edition is frozen (shared/policy/__init__.py verifies it at load).
"""
from __future__ import annotations

from shared.money import yuan
from shared.policy import category_cap_fen


def changju_figures(policy: dict, category: str = "outstanding") -> dict:
    """Programme A: what an award decision of `category` and the support it grants use (seed 000)."""
    rent = policy["support"]["housing"]["rent_subsidy"]
    service = policy["support"]["service_money"]
    return {
        "edition": policy["edition"],
        "category": category,
        "award_cap_fen": category_cap_fen(policy, category),                       # 三(一)
        "national_or_beijing_talent_award_money": bool(policy["award"]["national_or_beijing_talent_award_money"]),
        "rent_monthly_cap_fen": yuan(rent["monthly_cap_yuan"]),                     # 三(二)(4)
        "rent_months": int(rent["months"]),
        "rent_never_above_paid": bool(rent["never_above_rent_paid"]),
        "rent_frequency_months": int(rent.get("frequency_months", 1)),
        "service_yearly_fen": yuan(service["yearly_yuan"]),                         # 三(二)(7)
        "service_years": int(service["years"]),
        "service_excluded_if_award": bool(service["excluded_if_award_money"]),
        "service_purposes": list(service.get("purposes", ())),
        "commitment_years": int(policy["talent"]["commitment_years"]),              # 二(一)2(4)
        "services": [{"code": s["code"], "title": s.get("title", s["code"]), "clause": s.get("clause")}
                     for s in policy["support"]["services"]],                       # 三(二)(1)(2)(3)(5)(6)
    }


def vice_president_figures(policy: dict) -> dict:
    """Programme B: what an appointment and its schedules use (seed 003 四(二), 六(一)2)."""
    money = policy["money"]
    project, living, prizes, breakthrough = (money["project_subsidy"], money["living_subsidy"], money["prizes"],
                                             money["breakthrough_subsidy"])
    return {
        "edition": policy["edition"],
        "term_months": int(policy["term"]["months"]),
        "project_subsidy_percent": int(project["percent"]),
        "project_subsidy_cap_fen": yuan(project["cap_yuan"]),
        "project_subsidy_cap_social_science_fen": yuan(project["cap_social_science_yuan"]),
        "living_monthly_fen": yuan(living["monthly_yuan"]),
        "living_partial_month": living.get("partial_month", "pro_rata_days"),
        "prize_first_fen": yuan(prizes["first_yuan"]),
        "prize_second_fen": yuan(prizes["second_yuan"]),
        "prize_third_fen": yuan(prizes["third_yuan"]),
        "breakthrough_percent": int(breakthrough["percent"]),
        "breakthrough_cap_fen": yuan(breakthrough["cap_yuan"]),
        "services": [{"code": s["code"], "title": s.get("title", s["code"])} for s in policy.get("services", [])],
    }
