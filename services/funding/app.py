"""The funding service's Application, put together: the command handlers
(`services.funding.handlers`), the deadline timer's work (`timer`), what other services' events
do (`inbound`) and the read models (`views`)."""
from __future__ import annotations

from uuid import UUID

from shared.errors import not_found
from shared.eventstore.application import ServiceApplication
from shared.privacy.erasure import Erasing

from services.funding import inbound
from services.funding.cases import FUNDED
from services.funding.domain import CaseFunding
from services.funding.handlers import FundingCommands
from services.funding.placement import PlacementFunding
from services.funding.timer import TimerWork
from services.funding.budget_view import BudgetView
from services.funding.views import DisbursementsView, FundingCasesView


class FundingApplication(Erasing, FundingCommands, TimerWork, ServiceApplication):
    name = "funding"

    def projections(self):
        # FundingCasesView first: DisbursementsView reads the case's unit from it in the same batch
        return (FundingCasesView(), DisbursementsView(), BudgetView())

    def inbound_handlers(self):
        return {**inbound.handlers(), **self.erasure_handlers("application")}

    def funding(self, case_id) -> CaseFunding | PlacementFunding:
        """A case's funding, either programme, as it stands (a query: commands load through their unit of work)."""
        funding = self.get_or_none(case_id if isinstance(case_id, UUID) else UUID(str(case_id)))
        if not isinstance(funding, FUNDED):
            raise not_found("case funding", case_id)
        return funding
