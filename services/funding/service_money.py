"""Service-guarantee money claims — seed 三(二)(7): 连续两年、每人每年5万元的服务保障资金 … 实报实销;
对于已获"昌聚工程"人才奖励资金的人才, 不再享受.

Claims are reimbursed against actual expenses, so nothing is paid in advance: each claim is approved
up to what remains of that year's 50,000 yuan, and years 1 and 2 only. Year n runs from
`add_years(effective_on, n - 1)` up to (not including) `add_years(effective_on, n)`; `service_year`
tells which year an expense falls in. Pure: the state is passed in and a new one handed back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.calendar import add_years
from shared.errors import rule_violation, validation_error
from shared.money import fen_to_yuan_str

from services.funding.computation import Computation, computed
from services.funding.entitlements import GRANTED, Entitlement
from services.funding.figures import support_figures


@dataclass(frozen=True)
class ServiceMoneyApproval:
    year_index: int
    claimed_fen: int
    approved_fen: int
    computation: Computation


@dataclass(frozen=True)
class ServiceMoneyState:
    """How much service money a case has had approved, by year (1, 2). `refused_by` names the rule
    that refused the entitlement, if it was refused."""
    granted: bool
    approved_fen: dict[int, int] = field(default_factory=dict)
    refused_by: str | None = None

    @classmethod
    def of(cls, entitlement: Entitlement) -> ServiceMoneyState:
        if entitlement.code != "service_money":
            raise ValueError(f"not a service-money entitlement: {entitlement.code}")
        granted = entitlement.status == GRANTED
        return cls(granted=granted, refused_by=None if granted else entitlement.computation.rule)

    def approved_in(self, year_index: int) -> int:
        return self.approved_fen.get(year_index, 0)

    @property
    def total_approved_fen(self) -> int:
        return sum(self.approved_fen.values())

    def record(self, approval: ServiceMoneyApproval) -> ServiceMoneyState:
        """The state after an approval (as an event handler would apply it)."""
        year = approval.year_index
        approved = {**self.approved_fen, year: self.approved_in(year) + approval.approved_fen}
        return ServiceMoneyState(granted=self.granted, refused_by=self.refused_by, approved_fen=approved)


def service_money_claim(policy: dict, state: ServiceMoneyState, year_index: int, claimed_fen: int,
                        purpose: str | None = None) -> ServiceMoneyApproval:
    """Approve a claim of actual expenses in year `year_index` (1 or 2): min(claimed, what remains of
    that year's 50,000 yuan). Unused money does not carry over to the other year. Refuses a claim
    when the entitlement was refused (award money received), outside years 1–2, or for a purpose
    the policy does not list."""
    figures = support_figures(policy)
    if isinstance(claimed_fen, bool) or not isinstance(claimed_fen, int) or claimed_fen < 0:
        raise validation_error({"claimed_fen": ["a non-negative number of fen"]}, "the claim is invalid")
    if not state.granted:
        raise rule_violation(state.refused_by or "A.service_money.excluded_after_award",
                             "this talent has no service money (已获奖励资金的人才不再享受)")
    if isinstance(year_index, bool) or not isinstance(year_index, int) or not 1 <= year_index <= figures.service_years:
        raise rule_violation("A.service_money.years",
                             f"service money is paid for {figures.service_years} consecutive years only",
                             fields={"year_index": [f"from 1 to {figures.service_years}"]})
    if purpose is not None and figures.service_purposes and purpose not in figures.service_purposes:
        raise rule_violation("A.service_money.purpose", f"service money is not for {purpose!r}",
                             fields={"purpose": [f"one of {', '.join(figures.service_purposes)}"]})
    already = state.approved_in(year_index)
    remaining = max(figures.service_yearly_fen - already, 0)
    approved = min(claimed_fen, remaining)
    why = computed(policy, "A.service_money.yearly", "三(二)(7)", approved,
                   f"min(claimed {fen_to_yuan_str(claimed_fen)}, remaining {fen_to_yuan_str(remaining)}"
                   f" of {fen_to_yuan_str(figures.service_yearly_fen)}) yuan in year {year_index}",
                   year_index=year_index, claimed_fen=claimed_fen, yearly_fen=figures.service_yearly_fen,
                   approved_before_fen=already, remaining_fen=remaining, purpose=purpose)
    return ServiceMoneyApproval(year_index=year_index, claimed_fen=claimed_fen, approved_fen=approved, computation=why)


def service_year(policy: dict, effective_on: date, spent_on: date) -> int:
    """The service-money year (1, 2) an expense made on `spent_on` belongs to; refuses expenses
    before the term or after its 2 years."""
    years = support_figures(policy).service_years
    for index in range(1, years + 1):
        if add_years(effective_on, index - 1) <= spent_on < add_years(effective_on, index):
            return index
    raise rule_violation("A.service_money.years",
                         f"an expense on {spent_on} is outside the {years} years of service money from {effective_on}",
                         fields={"spent_on": [f"from {effective_on} to before {add_years(effective_on, years)}"]})
