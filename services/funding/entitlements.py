"""What a programme A (昌聚工程 杰出类人才) decision entitles the talent to. Pure domain: no framework,
no clock — the decision's dates are passed in.

Seed 000, 三 支持措施:

* 三(一) award money (奖励资金): at most 2,000,000 yuan, for the talent's own use. A re-applicant gets
  only the top-up (补差) to the new category's standard. A national/Beijing talent gets **no** award
  money (二(一)2 注: 不享受地方人才计划奖励资金) but is covered by the services (享受配套服务政策).
* 三(二)(4) housing: a free talent public-rental flat near work or, if no flat is wanted, a rent subsidy
  for 3 consecutive years at most 15,000 yuan a month (our reading: and never above the rent paid).
* 三(二)(7) service-guarantee money: 50,000 yuan a year for 2 consecutive years, reimbursed against
  actual expenses (实报实销); not for a talent who received 昌聚 award money.
* 三(二)(1)(2)(3)(5)(6) services without money: tracked as entitlements with a status.

`derive_entitlements` returns one `Entitlement` per code, granted or not; every money entitlement
carries a `Computation` (rule, clause, edition, inputs), also when its amount is 0 — a refusal
says which rule refused it. The `policy` these functions take is the figures the decision recorded
(shared/policy/figures.py; `services.funding.figures.recorded` also accepts a whole edition).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from shared.calendar import add_months, add_years
from shared.errors import rule_violation, validation_error
from shared.money import fen_to_yuan_str

from services.funding.computation import Computation, computed
from services.funding.figures import recorded, support_figures

# Entitlement statuses
GRANTED = "granted"          # the talent has it
REFUSED = "refused"          # a rule excludes it (the computation names the rule)
NOT_CHOSEN = "not_chosen"    # the housing alternative the talent did not take
NOT_AWARDED = "not_awarded"  # the decision awarded no award money (award_fen == 0)

HOUSING_CHOICES = ("flat", "rent_subsidy", None)

# Clauses of the non-money services, by policy code (used when the policy entry names none).
SERVICE_CLAUSES = {
    "hukou_residence": "三(二)(1)",
    "children_schooling": "三(二)(2)",
    "medical_green_channel": "三(二)(3)",
    "government_services": "三(二)(5)",
    "financial_services": "三(二)(6)",
}


@dataclass(frozen=True)
class Decision:
    """The facts of one decided case that its support depends on."""
    case_id: UUID | str
    award_fen: int                        # the decided award (for a re-applicant: the top-up)
    national_or_beijing_talent: bool
    housing_choice: str | None            # "flat" | "rent_subsidy" | None (neither taken)
    monthly_rent_fen: int | None          # the rent actually paid, for a rent subsidy
    effective_on: date                    # the term's start
    prior_changju_award_fen: int = 0      # award money already received from 昌聚 (re-applicant, 三(一))


@dataclass(frozen=True)
class Entitlement:
    """One entitlement of a decision. Money entitlements pay `amount_fen` per `unit`, at most
    `units` times, between `starts_on` and `ends_on` (exclusive, as in `deadlines`)."""
    code: str
    kind: str                             # "money" | "in_kind" | "service"
    status: str
    clause: str
    title: str
    computation: Computation | None = None
    unit: str | None = None               # "once" | "month" | "year"
    units: int = 0
    starts_on: date | None = None
    ends_on: date | None = None

    @property
    def amount_fen(self) -> int:
        return self.computation.amount_fen if self.computation else 0

    @property
    def ceiling_fen(self) -> int:
        """The most this entitlement can ever pay."""
        return self.amount_fen * self.units if self.status == GRANTED else 0


def deadlines(policy: dict, effective_on: date) -> dict[str, date]:
    """The dates a decision's terms end, by the calendar convention of `shared.calendar`
    (same day-of-month later, clamped to month end; each date is the first day no longer covered):
    the 3-year commitment to work in Changping (二(一)2(4)), the 2 years of service money
    (三(二)(7)) and the 36 months of rent subsidy (三(二)(4))."""
    figures = support_figures(policy)
    return {
        "commitment_ends": add_years(effective_on, figures.commitment_years),
        "service_money_ends": add_years(effective_on, figures.service_years),
        "rent_subsidy_ends": add_months(effective_on, figures.rent_months),
    }


def derive_entitlements(policy: dict, decision: Decision) -> list[Entitlement]:
    """All entitlements of a decision, in a fixed order: award money, housing flat, rent subsidy,
    service money, then the policy's services. Raises `rule_violation` when the decision breaks a
    rule ('A.award.cap', 'A.award.national_or_beijing_talent') and `validation_error` for bad input."""
    _check(decision)
    ends = deadlines(policy, decision.effective_on)
    return [
        _award(policy, decision),
        *_housing(policy, decision, ends["rent_subsidy_ends"]),
        _service_money(policy, decision, ends["service_money_ends"]),
        *_services(policy),
    ]


def _check(decision: Decision) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("award_fen", "prior_changju_award_fen"):
        value = getattr(decision, name)
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = ["an integer number of fen"]
    if decision.housing_choice not in HOUSING_CHOICES:
        errors["housing_choice"] = ["one of 'flat', 'rent_subsidy' or null"]
    if decision.housing_choice == "rent_subsidy":
        rent = decision.monthly_rent_fen
        if isinstance(rent, bool) or not isinstance(rent, int) or rent <= 0:
            errors["monthly_rent_fen"] = ["the rent actually paid, a positive number of fen, for a rent subsidy"]
    if not isinstance(decision.effective_on, date) or isinstance(decision.effective_on, datetime):
        errors["effective_on"] = ["a date"]
    if errors:
        raise validation_error(errors, "the decision is invalid")


def _award(policy: dict, decision: Decision) -> Entitlement:
    """三(一) and 二(一)2 注."""
    figures = support_figures(policy)
    award, prior, cap = decision.award_fen, decision.prior_changju_award_fen, figures.award_cap_fen
    if award < 0 or prior < 0:
        raise rule_violation("A.award.cap", "award money cannot be negative",
                             fields={"award_fen": ["at least 0"]})
    if decision.national_or_beijing_talent and not figures.national_talent_award_money:
        if award > 0:
            raise rule_violation("A.award.national_or_beijing_talent",
                                 "a national or Beijing talent gets no local award money",
                                 fields={"award_fen": ["0 for a national or Beijing talent"]})
        why = computed(policy, "A.award.national_or_beijing_talent", "二(一)2 注", 0,
                       "a national or Beijing talent gets no local award money (不享受地方人才计划奖励资金)",
                       award_fen=award, national_or_beijing_talent=True)
        return _money("award_money", REFUSED, "二(一)2 注", "奖励资金", why, "once", 1, decision.effective_on, None)
    if prior + award > cap:
        raise rule_violation("A.award.cap",
                             f"award money may not exceed {fen_to_yuan_str(cap)} yuan"
                             + (f" including {fen_to_yuan_str(prior)} already awarded (补差)" if prior else ""),
                             fields={"award_fen": [f"at most {cap - prior}"]})
    why = computed(policy, "A.award.cap", "三(一)", award,
                   f"the decided award, within the cap of {fen_to_yuan_str(cap)} yuan"
                   + (f" less {fen_to_yuan_str(prior)} already awarded" if prior else ""),
                   award_fen=award, cap_fen=cap, prior_changju_award_fen=prior)
    status = GRANTED if award > 0 else NOT_AWARDED
    return _money("award_money", status, "三(一)", "奖励资金", why, "once", 1, decision.effective_on, None)


def _housing(policy: dict, decision: Decision, rent_ends: date) -> list[Entitlement]:
    """三(二)(4): a free flat, or — if no flat is wanted — the rent subsidy; never both."""
    figures = support_figures(policy)
    choice = decision.housing_choice
    flat = Entitlement(code="housing_flat", kind="in_kind", status=GRANTED if choice == "flat" else NOT_CHOSEN,
                       clause="三(二)(4)", title="免费人才公租房", starts_on=decision.effective_on)
    if choice == "rent_subsidy":
        why = monthly_rent_computation(policy, decision.monthly_rent_fen)
        status = GRANTED
    else:
        rule = "A.rent.flat_instead" if choice == "flat" else "A.rent.not_chosen"
        why = computed(policy, rule, "三(二)(4)", 0,
                       "a free flat instead of a rent subsidy: no rent money" if choice == "flat"
                       else "no rent subsidy was chosen: no rent money",
                       housing_choice=choice)
        status = NOT_CHOSEN
    rent = _money("rent_subsidy", status, "三(二)(4)", "租房补贴", why, "month", figures.rent_months,
                  decision.effective_on, rent_ends)
    return [flat, rent]


def monthly_rent_computation(policy: dict, monthly_rent_fen: int) -> Computation:
    """One month of rent subsidy: min(rent actually paid, 15,000 yuan) — 三(二)(4)."""
    figures = support_figures(policy)
    cap = figures.rent_monthly_cap_fen
    amount = min(monthly_rent_fen, cap) if figures.rent_never_above_paid else cap
    return computed(policy, "A.rent.cap", "三(二)(4)", amount,
                    f"min(rent paid {fen_to_yuan_str(monthly_rent_fen)}, cap {fen_to_yuan_str(cap)}) yuan a month"
                    f" for {figures.rent_months} consecutive months",
                    monthly_rent_paid_fen=monthly_rent_fen, monthly_cap_fen=cap,
                    never_above_rent_paid=figures.rent_never_above_paid, months=figures.rent_months)


def _service_money(policy: dict, decision: Decision, ends: date) -> Entitlement:
    """三(二)(7): 50,000 yuan a year for 2 years, reimbursed against claims; none after award money."""
    figures = support_figures(policy)
    received = decision.award_fen + decision.prior_changju_award_fen
    if figures.service_excluded_if_award and received > 0:
        why = computed(policy, "A.service_money.excluded_after_award", "三(二)(7)", 0,
                       "a talent who received 昌聚 award money gets no service money (不再享受服务保障资金)",
                       award_fen=decision.award_fen, prior_changju_award_fen=decision.prior_changju_award_fen)
        status = REFUSED
    else:
        why = computed(policy, "A.service_money.yearly", "三(二)(7)", figures.service_yearly_fen,
                       f"{fen_to_yuan_str(figures.service_yearly_fen)} yuan a year for {figures.service_years} years,"
                       " reimbursed against actual expenses (实报实销)",
                       yearly_fen=figures.service_yearly_fen, years=figures.service_years,
                       award_fen=decision.award_fen, prior_changju_award_fen=decision.prior_changju_award_fen)
        status = GRANTED
    return _money("service_money", status, "三(二)(7)", "服务保障资金", why, "year", figures.service_years,
                  decision.effective_on, ends)


def _services(policy: dict) -> list[Entitlement]:
    """三(二)(1)(2)(3)(5)(6): granted to every decided talent, national/Beijing talents included."""
    return [Entitlement(code=entry["code"], kind="service", status=GRANTED,
                        clause=entry.get("clause") or SERVICE_CLAUSES.get(entry["code"], "三(二)"),
                        title=entry.get("title", entry["code"]))
            for entry in recorded(policy)["services"]]


def _money(code, status, clause, title, why, unit, units, starts_on, ends_on) -> Entitlement:
    return Entitlement(code=code, kind="money", status=status, clause=clause, title=title, computation=why,
                       unit=unit, units=units, starts_on=starts_on, ends_on=ends_on)
