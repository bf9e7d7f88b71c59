"""funding's command handlers: each loads the case's funding once through the unit of work,
checks who may act (services/funding/access.py), calls the domain and answers the caller.

`FundingCommands` is mixed into the Application (`services.funding.app`), which registers each
`@handles` method for its command class.
"""
from __future__ import annotations

from datetime import date

from shared.eventstore.application import check_version, handles

from services.funding import access, budget, commands, reservations
from services.funding.cases import funding_of_key, own_case, placement


class FundingCommands:
    """The funding Application's command handlers (mixed into FundingApplication)."""

    # -- programme A --------------------------------------------------------------------------------
    @handles(commands.ChooseHousing)
    def choose_housing(self, command, uow) -> dict:
        funding = own_case(uow, command.case_id, command.expected_version, "choose_housing")
        funding.choose_housing(command.choice, self.clock.today(), monthly_rent_fen=command.monthly_rent_fen,
                               starts_on=command.starts_on,
                               frequency_months=self.settings.rent_frequency_months)
        rent = funding.entitlements.get("rent_subsidy", {})
        if command.choice == "rent_subsidy" and rent.get("status") == "granted":
            budget.reserve(uow, "A", funding.id, {"rent_subsidy": reservations.monthly(
                rent["amount_fen"], funding.housing["starts_on"], rent["units"])}, key=str(funding.id))
        return {"case_id": str(command.case_id), "housing": _plain(funding.housing),
                "scheduled": [k for k, d in funding.disbursements.items() if d.pending], "version": funding.version}

    @handles(commands.ClaimServiceMoney)
    def claim_service_money(self, command, uow) -> dict:
        funding = own_case(uow, command.case_id, command.expected_version, "claim_service_money")
        approved = funding.claim_service_money(command.spent_on, command.amount_fen, command.purpose,
                                               command.document_ref, self.clock.today())
        return {"case_id": str(command.case_id), **approved, "version": funding.version}

    @handles(commands.EndEarly)
    def end_early(self, command, uow) -> dict:
        funding = own_case(uow, command.case_id, command.expected_version, "end_early")
        funding.end_early(command.ended_on, command.reason, self.clock.today())
        starts = funding.decision["effective_on"].year
        budget.settle(uow, "A", funding, range(starts, starts + 5), f"ended early on {command.ended_on}")
        return {"case_id": str(command.case_id), "ended_on": command.ended_on.isoformat(),
                "recovered_fen": funding.recovered_fen(),
                "recoveries": sorted(k for k, r in funding.recoveries.items() if r["status"] == "claimed"),
                "version": funding.version}

    @handles(commands.RecordBudget)
    def record_budget(self, command, uow) -> dict:
        access.check("record_budget", uow.actor)
        year_budget = budget.budget_of(uow, command.programme, command.year)
        check_version(year_budget, command.expected_version)
        year_budget.record(command.obligation, command.amount_fen, command.edition, command.reason)
        uow.add(year_budget)
        return {"programme": command.programme, "year": command.year, "obligation": command.obligation,
                "budget_fen": command.amount_fen, "remaining_fen": year_budget.remaining_fen(command.obligation),
                "version": year_budget.version}

    # -- the funding office, either programme (a report acts on the key; it names no version) -----
    @handles(commands.ReportPayment)
    def report_payment(self, command, uow) -> dict:
        funding = funding_of_key(uow, command.idempotency_key)
        access.check("report_payment", uow.actor, access.funding_facts(funding))
        today = self.clock.today()
        d = funding.report_payment(uow.actor.actor_id, command.idempotency_key, command.attempt, command.outcome,
                                   command.office_reference, command.effective_on or today, today, command.reason)
        return _disbursement_result(funding, d)

    @handles(commands.RetryDisbursement)
    def retry_disbursement(self, command, uow) -> dict:
        funding = funding_of_key(uow, command.idempotency_key)
        access.check("retry_disbursement", uow.actor, access.funding_facts(funding))
        d = funding.retry(uow.actor.actor_id, command.idempotency_key, command.reason, self.clock.today())
        return _disbursement_result(funding, d)

    # -- programme B: the working group's decisions ------------------------------------------------
    @handles(commands.AwardPrize)
    def award_prize(self, command, uow) -> dict:
        funding = placement(uow, command.case_id, command.expected_version, "award_prize")
        awarded = funding.award_prize(uow.actor.actor_id, command.level, command.year, command.reason,
                                      self.clock.today())
        budget.reserve(uow, "B", funding.id, {"prize": {self.clock.today().year: awarded["amount_fen"]}},
                       key=str(funding.id))
        return {"case_id": str(command.case_id), **awarded, "version": funding.version}

    @handles(commands.GrantBreakthroughSubsidy)
    def grant_breakthrough_subsidy(self, command, uow) -> dict:
        funding = placement(uow, command.case_id, command.expected_version, "grant_breakthrough_subsidy")
        granted = funding.grant_breakthrough(uow.actor.actor_id, command.investment_fen, command.reason,
                                             self.clock.today())
        budget.reserve(uow, "B", funding.id, {"breakthrough_subsidy": {self.clock.today().year: granted["amount_fen"]}},
                       key=str(funding.id))
        return {"case_id": str(command.case_id), **granted, "version": funding.version}


def _disbursement_result(funding, d) -> dict:
    return {"case_id": str(funding.id), "idempotency_key": d.idempotency_key, "status": d.status,
            "attempt": d.attempt, "amount_fen": d.amount_fen, "version": funding.version}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, date) else value
