"""Programme A's support figures as a decision recorded them (shared/policy/figures.py), typed.

Running cases derive everything from the figures recorded on their decision (review's AwardDecided,
funding's EntitlementsGranted), never from the policy file as it is now. Reading them in one place
means a missing or renamed key fails loudly here, not as a silent default deep inside a rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.policy.figures import changju_figures


@dataclass(frozen=True)
class SupportFigures:
    edition: str
    award_cap_fen: int                 # 三(一): 杰出类人才最高给予奖励资金200万元
    national_talent_award_money: bool  # 二(一)2 注: 国家级、北京市人才不享受地方人才计划奖励资金
    rent_monthly_cap_fen: int          # 三(二)(4): 每人每月不超过15000元
    rent_months: int                   # 三(二)(4): 连续三年
    rent_never_above_paid: bool        # our reading: never more than the rent actually paid
    rent_frequency_months: int         # office setting: how often the subsidy is paid
    service_yearly_fen: int            # 三(二)(7): 每人每年5万元
    service_years: int                 # 三(二)(7): 连续两年
    service_excluded_if_award: bool    # 三(二)(7): 已获奖励资金的人才不再享受
    service_purposes: tuple[str, ...]  # 三(二)(7): 进修学习、培训交流、交通出行、医疗保险、体检疗养
    commitment_years: int              # 二(一)2(4): 承诺入选后继续在昌平区工作三年以上


def recorded(source: dict) -> dict:
    """The recorded figures; given a whole edition instead (tests, tools), the figures a decision on it
    would record."""
    return changju_figures(source) if "support" in source else source


def support_figures(source: dict) -> SupportFigures:
    figures = recorded(source)
    return SupportFigures(
        edition=figures["edition"],
        award_cap_fen=int(figures["award_cap_fen"]),
        national_talent_award_money=bool(figures["national_or_beijing_talent_award_money"]),
        rent_monthly_cap_fen=int(figures["rent_monthly_cap_fen"]),
        rent_months=int(figures["rent_months"]),
        rent_never_above_paid=bool(figures["rent_never_above_paid"]),
        rent_frequency_months=int(figures["rent_frequency_months"]),
        service_yearly_fen=int(figures["service_yearly_fen"]),
        service_years=int(figures["service_years"]),
        service_excluded_if_award=bool(figures["service_excluded_if_award"]),
        service_purposes=tuple(figures["service_purposes"]),
        commitment_years=int(figures["commitment_years"]),
    )
