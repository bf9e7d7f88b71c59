"""funding: the nameko service. Entrypoints only translate calls into commands and queries;
the deadline timer hands due cases to the Application. Documented in docs/funding.md."""
from shared import logs
from shared.contracts import funding as contracts
from shared.errors import not_found
from shared.platform import base  # not `import PlatformService`: `nameko run` would take it for a service
from shared.platform.access_log import reads_field, reads_items
from shared.platform.endpoints import command, query
from shared.platform.store import EventStore
from shared.platform.timers import timer_from_config

from services.funding import commands
from services.funding.app import FundingApplication
from services.funding.access import TABLE, funding_facts
from services.funding.budget_view import budget_csv, budget_report
from services.funding.whatif import read_draft_text, what_if
from services.funding.views import DISBURSEMENTS, FUNDING_CASES

A_KEYS = ("case_id", "programme", "unit_id", "decision", "declined", "entitlements", "deadlines", "housing", "service_money",
          "ended", "recoveries", "next_due_on", "version")
B_KEYS = ("case_id", "programme", "unit_id", "expert_id", "cooperation_id", "kind", "project_funds_fen",
          "policy_edition", "appointment", "term", "entitlements", "ended", "expired", "prize",
          "breakthrough_subsidy", "recoveries", "next_due_on", "version")
log = logs.get_logger("funding.timer")


class FundingService(base.PlatformService, base.InboxService):
    name = "funding"
    store = EventStore(FundingApplication)

    # -- the timer ---------------------------------------------------------------------------
    @timer_from_config("FUNDING", default=60)
    def fire_deadlines(self):
        """Release due rent instalments and record reached deadlines, as system:funding. Only the
        process that holds the store's lease runs it (its read models are the fresh ones); running
        it twice, or after downtime, records each due thing exactly once. The interval is
        `FUNDING.timer_seconds` (wall seconds); what is due is decided by the business clock."""
        store = self.store
        if not store.lease.is_leader():
            return None
        app = store.app
        try:
            fired = app.fire_due(app.due_case_ids(store.views, app.clock.today()))
        except Exception:
            log.exception("deadline timer failed; the next tick retries")
            return None
        if fired["cases"]:
            log.info("deadlines fired", today=fired["today"], cases=len(fired["cases"]))
        return fired

    # -- commands ----------------------------------------------------------------------------
    @command(contracts.ChooseHousing, roles=TABLE.roles("choose_housing"))
    def choose_housing(self, call):
        """Housing, chosen once after the decision: a free flat, or a rent subsidy of min(rent actually paid,
        15,000 yuan) a month for 36 months from `starts_on`; records the rent deadline and releases the
        instalments already due. Refuses: `roles.own_unit`, `funding.decision.required`, `funding.ended`,
        `A.housing.chosen_once`, `A.rent.start_after_decision`, `A.rent.start_within_commitment`,
        `funding.budget.exceeded` (a rent subsidy reserves its monthly cap for each month in each year it
        runs; a year without enough left refuses it, naming the budget, the year and what remains)."""
        return call.handle(commands.ChooseHousing)

    @command(contracts.ClaimServiceMoney, roles=TABLE.roles("claim_service_money"))
    def claim_service_money(self, call):
        """An expense claim against the service money (三(二)(7)), approved up to what remains of that service
        year's 50,000 yuan and scheduled for payment through the unit. Refuses: `roles.own_unit`,
        `funding.decision.required`, `A.service_money.excluded_after_award`, `A.service_money.actual_expense`,
        `funding.ended.after_end`, `A.service_money.years`, `A.service_money.purpose`, `A.service_money.exhausted`."""
        return call.handle(commands.ClaimServiceMoney)

    @command(contracts.ReportPayment, roles=TABLE.roles("report_payment"))
    def report_payment(self, call):
        """The funding office reports an attempt paid, failed or returned, naming the idempotency key and
        the attempt (programme A's and B's keys alike). Refuses: `separation_of_duties.decide_release` (the
        award's decider; for a placement, the decider of that prize or breakthrough subsidy),
        `funding.disbursement.cancelled`, `funding.payment.current_attempt`, `funding.payment.not_in_future`,
        `funding.payment.paid_once` (already paid), `funding.payment.transition`."""
        return call.handle(commands.ReportPayment)

    @command(contracts.RetryDisbursement, roles=TABLE.roles("retry_disbursement"))
    def retry_disbursement(self, call):
        """A failed or returned payment is tried again: a new attempt under the same idempotency key.
        Refuses: `separation_of_duties.decide_release`, `funding.disbursement.cancelled`,
        `funding.payment.paid_once` (it is paid), `funding.retry.pending` (the attempt awaits its report)."""
        return call.handle(commands.RetryDisbursement)

    @command(contracts.EndEarly, roles=TABLE.roles("end_early"))
    def end_early(self, call):
        """The talent left the unit or Changping; `ended_on` is the last day supported. Claims back rent paid
        for later days, cancels unpaid later instalments, stops later instalments and claims. Refuses:
        `funding.decision.required`, `funding.ended.once`, `funding.early_end.not_in_future`,
        `funding.early_end.before_start`."""
        return call.handle(commands.EndEarly)

    # -- programme B: the working group's money decisions -----------------------------------
    @command(contracts.AwardPrize, roles=TABLE.roles("award_prize"))
    def award_prize(self, call):
        """A yearly prize for a concluded project (四(二)3): first/second/third = 200,000/100,000/50,000 yuan,
        to the expert, one per placement; its payment is scheduled at once. Refuses: `funding.programme`,
        `funding.appointment.required`, `B.prize.concluded` (the term has not expired, or ended early),
        `B.prize.once`, `B.prize.year`, `policy.edition.not_in_force` (the placement's scheme edition is no
        longer in force: the amounts are those of the edition in force on the decision's date),
        `funding.budget.exceeded` (the prize reserves against this year's programme B budget: refused, naming
        the budget, the year and what remains, if it does not fit)."""
        return call.handle(commands.AwardPrize)

    @command(contracts.GrantBreakthroughSubsidy, roles=TABLE.roles("grant_breakthrough_subsidy"))
    def grant_breakthrough_subsidy(self, call):
        """A major breakthrough's subsidy (四(二)4): 30% of the transformation/industrialisation investment,
        at most 5,000,000 yuan, to the company, once per placement; scheduled at once. Refuses:
        `funding.programme`, `funding.appointment.required`, `B.breakthrough.once`,
        `policy.edition.not_in_force` (the rate and cap are the edition's in force on the decision's date),
        `funding.budget.exceeded` (as a prize: it reserves against this year's programme B budget)."""
        return call.handle(commands.GrantBreakthroughSubsidy)

    @command(contracts.RecordBudget, roles=TABLE.roles("record_budget"))
    def record_budget(self, call):
        """The funding office records a programme's budget for a year (区财政每年安排资金预算), for one
        obligation kind or the year's `total`, with the budget document's `edition`; it may raise it later.
        Every money decision reserves against the year(s) it falls due in, and is refused, or for an award
        declined, with `funding.budget.exceeded` when a recorded line has not enough left (docs/funding.md,
        "Annual budgets"). Refuses: `funding.budget.raise_only` (lower than already recorded),
        `funding.budget.line` (a line of the other programme)."""
        return call.handle(commands.RecordBudget)

    # -- queries -----------------------------------------------------------------------------
    @query(contracts.WhatIf, roles=TABLE.roles("what_if"), reads=reads_items("case_id", key="differences"))
    def what_if(self, call):
        """Every open case's entitlements under a draft edition (its YAML text) beside the recorded ones;
        writes nothing. Returns `open_cases`, `cases_changed`, `differences` (the first `limit`: per case,
        per money entitlement, each changed field `recorded`/`draft`, or `refused` with the rule the draft
        would refuse the recorded decision by) and `years` (per year: `recorded_fen`, `draft_fen`,
        `difference_fen`). A draft that is not a valid edition is a `validation_error` naming `edition`.
        The same as `python -m services.whatif --edition FILE`."""
        draft = read_draft_text(call.data["edition"])
        report = what_if(self.store.views, draft)
        return {**report, "differences": report["differences"][:call.data["limit"]]}

    @query(contracts.BudgetQuery, roles=TABLE.roles("budget"))
    def budget(self, call):
        """A programme's year, per line (each obligation kind, and `total`): `budget_fen` (null: not
        recorded, not enforced), `reserved_fen`, `committed_fen`, `disbursed_fen`, `returned_fen`,
        `remaining_fen` (budget − reserved)."""
        return budget_report(self.store.views, call.data["programme"], call.data["year"])

    @query(contracts.BudgetQuery, roles=TABLE.roles("budget_csv"))
    def budget_csv(self, call):
        """The same as `budget`, as CSV for the finance bureau (`csv`: UTF-8 text, CRLF lines, amounts in
        yuan with two decimals, an empty cell for a budget not recorded)."""
        report = budget_report(self.store.views, call.data["programme"], call.data["year"])
        return {"programme": report["programme"], "year": report["year"], "csv": budget_csv(report)}

    @query(contracts.FundingQuery, roles=TABLE.roles("entitlements"), reads=reads_field("case_id"))
    def entitlements(self, call):
        """Programme A: the case's decision (or `declined`: the award would have exceeded the year's budget,
        `funding.budget.exceeded`, with the budget, year and what remained), entitlements (each with its
        computation), deadlines, housing,
        service money used, early end and recoveries. Programme B: the placement's appointment, term,
        entitlements, early end or expiry, prize, breakthrough subsidy and recoveries."""
        doc = self._case_doc(call, "entitlements")
        return {key: doc.get(key) for key in (B_KEYS if doc.get("programme") == "B" else A_KEYS)}

    @query(contracts.FundingQuery, roles=TABLE.roles("disbursements"), reads=reads_field("case_id"))
    def disbursements(self, call):
        """The case's disbursements with status (scheduled, retried, paid, failed, returned, cancelled),
        every attempt and any recovery, by due date."""
        if TABLE.relationships("disbursements", call.identity.role) != ("any",):
            self._case_doc(call, "disbursements")
        items, total = self.store.views.find(DISBURSEMENTS, {"case_id": str(call.data["case_id"])},
                                             order_by="due_on", limit=200)
        return {"case_id": str(call.data["case_id"]), "items": items, "total": total}

    @query(contracts.DisbursementsByStatus, roles=TABLE.roles("disbursements_by_status"), reads=reads_items("case_id"))
    def disbursements_by_status(self, call):
        """For the funding office: a page of disbursements in one status, by due date; `unpaid` means
        scheduled or retried, i.e. due and not yet paid."""
        d = call.data
        where = {"unpaid": True} if d["status"] == "unpaid" else {"status": d["status"]}
        return {"status": d["status"], **self.store.views.page(DISBURSEMENTS, where, order_by="due_on",
                                                               limit=d["limit"], offset=d["offset"])}

    def _case_doc(self, call, endpoint: str) -> dict:
        """The case's funding document, if the caller may call `endpoint` on it (services/funding/access.py)."""
        doc = self.store.views.get(FUNDING_CASES, str(call.data["case_id"]))
        if doc is None:
            raise not_found("case funding", call.data["case_id"])
        TABLE.check(endpoint, call.identity, funding_facts(doc))
        return doc
