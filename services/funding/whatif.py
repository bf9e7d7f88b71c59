"""What-if: every open case's entitlements under a draft policy edition, beside the ones recorded, and
the per-year money both imply. Reads the funding read model only and writes nothing.

An open case: programme A decided and not ended early; programme B appointed, neither ended nor expired.
A draft applies to the cases of its own programme. The comparison is of each money entitlement's
`status`, `amount_fen` (per unit), `units` and `ceiling_fen`; a draft under which the recorded decision
would be refused (e.g. an award above a lowered cap) reports the rule instead of figures.
"""
from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

from shared import policy as policies
from shared.errors import Refused, validation_error
from shared.policy.figures import changju_figures, vice_president_figures

from services.funding import reservations
from services.funding.domain import entitlement_dict
from services.funding.entitlements import Decision, derive_entitlements
from services.funding.placement import _living_entitlement, _project_entitlement
from services.funding.placement_money import living_months
from services.funding.views import FUNDING_CASES

COMPARED = ("status", "amount_fen", "units", "ceiling_fen")
PAGE = 1000


def open_cases(views, programme: str):
    """The funding documents of `programme`'s open cases, page by page."""
    offset = 0
    while True:
        docs, _ = views.find(FUNDING_CASES, {"programme": programme}, limit=PAGE, offset=offset)
        if not docs:
            return
        for doc in docs:
            if programme == "A" and doc.get("decision") and not doc.get("ended"):
                yield doc
            elif programme == "B" and doc.get("appointment") and not doc.get("ended") and not doc.get("expired"):
                yield doc
        offset += len(docs)


def count_open(views, programme: str) -> int:
    return sum(1 for _ in open_cases(views, programme))


def compare(doc: dict, draft: dict) -> tuple[dict | None, dict[int, int], dict[int, int]]:
    """(the case's differences or None, money by year as recorded, money by year under the draft)."""
    recorded = {e["code"]: e for e in doc["entitlements"] if e["kind"] == "money"}
    if draft["programme"] == "A":
        drafted, refused = _changju(doc, draft)
    else:
        drafted, refused = _placement(doc, draft), None
    before = _by_year(doc, recorded)
    if refused is not None:
        return {"case_id": doc["case_id"], "refused": {"rule": refused.rule, "message": refused.message}}, before, {}
    after = _by_year(doc, drafted)
    changes = {}
    for code in sorted(set(recorded) | set(drafted)):
        was, now = recorded.get(code, {}), drafted.get(code, {})
        delta = {f: {"recorded": was.get(f), "draft": now.get(f)} for f in COMPARED if was.get(f) != now.get(f)}
        if delta:
            changes[code] = delta
    return ({"case_id": doc["case_id"], "changes": changes} if changes else None), before, after


def _changju(doc: dict, draft: dict) -> tuple[dict, Refused | None]:
    decision, housing = doc["decision"], doc.get("housing") or {}
    try:
        figures = changju_figures(draft, decision["category"])
        entitlements = derive_entitlements(figures, Decision(
            case_id=doc["case_id"], award_fen=decision["award_fen"],
            national_or_beijing_talent=decision["national_or_beijing_talent"],
            housing_choice=housing.get("choice"), monthly_rent_fen=housing.get("monthly_rent_fen"),
            effective_on=date.fromisoformat(housing.get("starts_on") or decision["effective_on"]),
            prior_changju_award_fen=decision["prior_changju_award_fen"]))
    except Refused as refusal:
        return {}, refusal
    return {e.code: entitlement_dict(e) for e in entitlements if e.kind == "money"}, None


def _placement(doc: dict, draft: dict) -> dict:
    figures = vice_president_figures(draft)
    starts_on, ends_on = date.fromisoformat(doc["term"]["starts_on"]), date.fromisoformat(doc["term"]["ends_on"])
    recorded_project = next((e for e in doc["entitlements"] if e["code"] == "project_subsidy"), {})
    held_by = (recorded_project.get("computation") or {}).get("inputs", {}).get("held_by_placement")
    project, _ = _project_entitlement(figures, {"starts_on": starts_on, "ends_on": ends_on, "kind": doc["kind"],
                                                "project_funds_fen": doc["project_funds_fen"],
                                                "expert_id": doc["expert_id"], "project_subsidy_held_by": held_by})
    living = _living_entitlement(figures, starts_on, ends_on)
    return {"project_subsidy": project, "living_subsidy": living}


def _by_year(doc: dict, entitlements: dict) -> dict[int, int]:
    """The money the entitlements imply, by the year it falls due (as the budgets reserve it)."""
    out: dict[int, int] = {}

    def add(years: dict[int, int]):
        for year, fen in years.items():
            out[year] = out.get(year, 0) + fen
    for code, e in entitlements.items():
        if e.get("status") != "granted" or not e.get("amount_fen"):
            continue
        starts_on = date.fromisoformat(e["starts_on"]) if e.get("starts_on") else None
        if e["unit"] == "once":
            add({(starts_on or date.fromisoformat(doc["decision"]["effective_on"])).year: e["amount_fen"]})
        elif e["unit"] == "year":
            add({reservations.add_years(starts_on, i).year: e["amount_fen"] for i in range(e["units"])})
        elif code == "living_subsidy":
            ends_on = date.fromisoformat(e["ends_on"])
            for month in living_months(_living_figures(e), starts_on, ends_on):
                add({month.due_on.year: month.amount_fen})
        else:
            add(reservations.monthly(e["amount_fen"], starts_on, e["units"]))
    return out


def _living_figures(entitlement: dict) -> dict:
    """The figures living_months needs, from the entitlement's own computation."""
    why = entitlement["computation"]
    return {"edition": why["policy_edition"], "living_monthly_fen": why["amount_fen"],
            "living_partial_month": why["inputs"].get("partial_month", "pro_rata_days")}


def what_if(views, draft: dict, progress=None) -> dict:
    """Every open case of the draft's programme: differences, and the per-year totals recorded vs draft."""
    differences, recorded_years, draft_years, cases = [], {}, {}, 0
    for doc in open_cases(views, draft["programme"]):
        diff, before, after = compare(doc, draft)
        cases += 1
        if diff:
            differences.append(diff)
        for totals, years in ((recorded_years, before), (draft_years, after)):
            for year, fen in years.items():
                totals[year] = totals.get(year, 0) + fen
        if progress is not None:
            progress(1)
    years = sorted(set(recorded_years) | set(draft_years))
    return {"edition": draft["edition"], "programme": draft["programme"], "open_cases": cases,
            "cases_changed": len(differences), "differences": differences,
            "years": [{"year": y, "recorded_fen": recorded_years.get(y, 0), "draft_fen": draft_years.get(y, 0),
                       "difference_fen": draft_years.get(y, 0) - recorded_years.get(y, 0)} for y in years]}


def read_draft_text(text: str) -> dict:
    """A draft edition given as its YAML text (the RPC's), checked as `policy.read_draft` checks a file."""
    named = re.search(r"^edition:\s*([A-Za-z0-9][A-Za-z0-9._-]{0,63})\s*$", text, re.M)
    if named is None:
        raise validation_error({"edition": ["a policy edition names itself: `edition: <name>`"]},
                               "the draft is not a valid policy edition")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{named.group(1)}.yaml"       # the loader checks the name against the file's
        path.write_text(text, encoding="utf-8")
        try:
            return policies.read_draft(path)
        except Exception as error:     # the loader's own errors name what is wrong with the file
            raise validation_error({"edition": [str(error)[:500]]}, "the draft is not a valid policy edition") \
                from None
