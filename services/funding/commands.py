"""funding's commands (fields: the schemas in shared/contracts/funding.py), and the deadline
timer's, which no caller sends."""
from dataclasses import dataclass
from datetime import date

from shared.contracts import funding as contracts
from shared.contracts.commands import command_of

# -- programme A: the case's support
ChooseHousing = command_of(contracts.ChooseHousing)
ClaimServiceMoney = command_of(contracts.ClaimServiceMoney)
EndEarly = command_of(contracts.EndEarly)

# -- both programmes: the funding office
ReportPayment = command_of(contracts.ReportPayment)
RetryDisbursement = command_of(contracts.RetryDisbursement)

# -- both programmes: the annual budgets
RecordBudget = command_of(contracts.RecordBudget)

# -- programme B: the working group's money decisions
AwardPrize = command_of(contracts.AwardPrize)
GrantBreakthroughSubsidy = command_of(contracts.GrantBreakthroughSubsidy)


@dataclass(frozen=True, kw_only=True)
class FireDue:
    """The deadline timer's, for one case of either programme: release every instalment due by
    `today` and record every deadline reached by then."""
    case_id: str
    today: date
