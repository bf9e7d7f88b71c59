"""Programme A's support figures, read from a policy edition (shared/policy/changju-2024.yaml,
sections `award`, `support`, `talent`) and converted exactly to integer fen.

Reading them in one place means a missing or renamed key fails loudly here, not as a silent
default deep inside a rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.money import yuan
from shared.policy import category_cap_fen


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


def support_figures(policy: dict) -> SupportFigures:
    rent = policy["support"]["housing"]["rent_subsidy"]
    service = policy["support"]["service_money"]
    return SupportFigures(
        edition=policy["edition"],
        award_cap_fen=category_cap_fen(policy, "outstanding"),
        national_talent_award_money=bool(policy["award"]["national_or_beijing_talent_award_money"]),
        rent_monthly_cap_fen=yuan(rent["monthly_cap_yuan"]),
        rent_months=int(rent["months"]),
        rent_never_above_paid=bool(rent["never_above_rent_paid"]),
        rent_frequency_months=int(rent.get("frequency_months", 1)),
        service_yearly_fen=yuan(service["yearly_yuan"]),
        service_years=int(service["years"]),
        service_excluded_if_award=bool(service["excluded_if_award_money"]),
        service_purposes=tuple(service.get("purposes", ())),
        commitment_years=int(policy["talent"]["commitment_years"]),
    )
