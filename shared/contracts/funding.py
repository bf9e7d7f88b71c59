"""RPC payloads of the funding service (documented in docs/funding.md).

Strict: unknown, missing, mistyped and oversized fields are refused, each error naming its
field. Amounts are integer fen; dates are ISO dates (Beijing calendar)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.base import (PROGRAMMES, SHORT, PageSchema, ReadSchema, Reply, WriteReply, WriteSchema,
                                   identifier, integer, iso_date, iso_datetime, one_of, page_of, reason, text, version,
                                   yuan_fen)
from shared.contracts.funding_events import DEADLINES, Computation, Entitlement
from shared.contracts.placement_events import PROJECT_KINDS

HOUSING_CHOICES = ("flat", "rent_subsidy")
PRIZE_LEVELS = ("first", "second", "third")
OUTCOMES = ("paid", "failed", "returned")
STATUSES = ("scheduled", "retried", "paid", "failed", "returned", "cancelled", "unpaid")
# <case uuid>:<obligation>:<period>
IDEMPOTENCY_KEY = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[a-z_]+:[A-Za-z0-9_.\-]+"   # whole


def idempotency_key(**kwargs) -> fields.String:
    return identifier(IDEMPOTENCY_KEY, "<case_id>:<obligation_id>:<period>", SHORT, **kwargs)


class FundingQuery(ReadSchema):
    case_id = fields.UUID(required=True)


class DisbursementsByStatus(PageSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class ChooseHousing(WriteSchema):
    case_id = fields.UUID(required=True)
    choice = fields.String(required=True, validate=validate.OneOf(HOUSING_CHOICES))
    monthly_rent_fen = integer(min=1, load_default=None)
    starts_on = iso_date(load_default=None)

    @validates_schema
    def _rent_needs_its_figures(self, data, **kwargs):
        if data.get("choice") == "rent_subsidy":
            errors = {}
            if data.get("monthly_rent_fen") is None:
                errors["monthly_rent_fen"] = ["the rent actually paid each month, required for a rent subsidy"]
            if data.get("starts_on") is None:
                errors["starts_on"] = ["the subsidy's first day, required for a rent subsidy"]
            if errors:
                raise ValidationError(errors)
        elif data.get("choice") == "flat" and data.get("monthly_rent_fen") is not None:
            raise ValidationError({"monthly_rent_fen": ["only for a rent subsidy"]})


class ClaimServiceMoney(WriteSchema):
    case_id = fields.UUID(required=True)
    spent_on = iso_date(required=True)
    amount_fen = integer(min=1, required=True)
    purpose = text(required=True)
    document_ref = text(required=True)


class ReportPayment(WriteSchema):
    idempotency_key = idempotency_key(required=True)
    attempt = integer(min=1, required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    office_reference = text(required=True)
    effective_on = iso_date(load_default=None)     # when it happened at the bank; default today
    reason = reason(load_default=None)


class RetryDisbursement(WriteSchema):
    idempotency_key = idempotency_key(required=True)
    reason = reason(required=True)


class EndEarly(WriteSchema):
    case_id = fields.UUID(required=True)
    ended_on = iso_date(required=True)   # the last day still supported
    reason = reason(required=True)



# -- programme B ---------------------------------------------------------------------------------------
class AwardPrize(WriteSchema):
    """A yearly prize (四(二)3) for a placement whose project has concluded."""
    case_id = fields.UUID(required=True)
    level = fields.String(required=True, validate=validate.OneOf(PRIZE_LEVELS))
    year = integer(min=2000, max=2999, required=True)
    reason = reason(required=True)


class GrantBreakthroughSubsidy(WriteSchema):
    """A major breakthrough's subsidy (四(二)4): 30% of the transformation/industrialisation investment."""
    case_id = fields.UUID(required=True)
    investment_fen = integer(min=1, required=True)
    reason = reason(required=True)


# -- both programmes: the annual budgets (区财政每年安排资金预算) ----------------------------------------------
BUDGET_PROGRAMMES = ("A", "B")
BUDGET_LINES = ("total", "award", "rent_subsidy", "service_money", "project_subsidy", "living_subsidy", "prize",
                "breakthrough_subsidy")


class RecordBudget(WriteSchema):
    """The office records a year's budget for a programme and a line (an obligation kind, or `total`), or
    raises it; `edition` names the budget document (e.g. the district's allocation of that year)."""
    programme = fields.String(required=True, validate=validate.OneOf(BUDGET_PROGRAMMES))
    year = integer(min=2000, max=2999, required=True)
    obligation = fields.String(required=True, validate=validate.OneOf(BUDGET_LINES))
    amount_fen = integer(min=0, required=True)
    edition = text(required=True)
    reason = reason(required=True)


class BudgetQuery(ReadSchema):
    programme = fields.String(required=True, validate=validate.OneOf(BUDGET_PROGRAMMES))
    year = integer(min=2000, max=2999, required=True)


class WhatIf(ReadSchema):
    """A draft policy edition (the YAML text of an edition file, checked like a released one, not released)."""
    edition = text(200_000, multiline=True, required=True)
    limit = integer(min=0, max=1000, load_default=200)     # how many per-case differences to return


# == replies ========================================================================================
DISBURSEMENT_STATUSES = tuple(s for s in STATUSES if s != "unpaid")
RECOVERY_STATUSES = ("claimed", "withdrawn")
DEADLINE_STATUSES = ("pending", "reached", "cancelled")
KEY = {"description": "the idempotency key `<case_id>:<obligation_id>:<period>`"}


class HousingChoice(Reply):
    choice = one_of(HOUSING_CHOICES, required=True)
    starts_on = iso_date(required=True)
    monthly_rent_fen = yuan_fen(required=True, allow_none=True)
    frequency_months = integer(min=1, max=120, required=True, allow_none=True)
    ends_on = iso_date(required=True, allow_none=True)


class HousingChosen(WriteReply):
    case_id = fields.UUID(required=True)
    housing = fields.Nested(HousingChoice, required=True)
    scheduled = fields.List(text(SHORT), required=True, validate=validate.Length(max=1000),
                            metadata={"description": "the keys of the disbursements now due and unpaid"})
    version = version()


class ServiceMoneyApproved(WriteReply):
    case_id = fields.UUID(required=True)
    period = text(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    year_index = integer(min=1, required=True, metadata={"description": "the service year (1 or 2) it counts against"})
    claimed_fen = yuan_fen(required=True)
    approved_fen = yuan_fen(required=True, metadata={"description": "up to what remained of the service year"})
    version = version()


class EndedEarly(WriteReply):
    case_id = fields.UUID(required=True)
    ended_on = iso_date(required=True)
    recovered_fen = yuan_fen(required=True, metadata={"description": "the overpaid rent claimed back, in total"})
    recoveries = fields.List(text(SHORT), required=True, validate=validate.Length(max=1000),
                             metadata={"description": "the keys of the recovery claims"})
    version = version()


class DisbursementWritten(WriteReply):
    case_id = fields.UUID(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    status = one_of(DISBURSEMENT_STATUSES, required=True)
    attempt = integer(min=1, required=True)
    amount_fen = yuan_fen(required=True)
    version = version()


class PrizeAwarded(WriteReply):
    case_id = fields.UUID(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    level = one_of(PRIZE_LEVELS, required=True)
    year = integer(min=2000, max=2999, required=True)
    amount_fen = yuan_fen(required=True)
    version = version()


class BreakthroughSubsidyGranted(WriteReply):
    case_id = fields.UUID(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    investment_fen = integer(min=1, required=True)
    amount_fen = yuan_fen(required=True)
    version = version()


class Attempt(Reply):
    attempt = integer(min=1, required=True)
    status = one_of(DISBURSEMENT_STATUSES, required=True)
    due_on = iso_date(required=True)
    scheduled_at = iso_datetime(required=True)
    office_reference = text(metadata={"description": "as reported by the office"})
    effective_on = iso_date(metadata={"description": "when it happened at the bank"})
    reported_at = iso_datetime()
    reported_by = text()
    reason = reason(allow_none=True)


class DisbursementRecovery(Reply):
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    overpaid_fen = yuan_fen()
    ended_on = iso_date()
    status = one_of(RECOVERY_STATUSES, required=True)


class Disbursement(Reply):
    """One obligation-period to pay, with every attempt and any recovery claimed against it."""
    case_id = fields.UUID(required=True)
    programme = one_of(PROGRAMMES, required=True, allow_none=True)
    unit_id = fields.UUID(required=True, allow_none=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    obligation_id = text(required=True)
    period = text(required=True)
    amount_fen = yuan_fen(required=True)
    payee = text(required=True)
    payee_ref = text(required=True)
    purpose = text(required=True)
    due_on = iso_date(required=True)
    period_starts_on = iso_date(required=True, allow_none=True)
    period_ends_on = iso_date(required=True, allow_none=True)
    effective_on = iso_date(required=True, allow_none=True)
    rule = text(required=True)
    clause = text(required=True)
    policy_edition = text(64, required=True)
    inputs = fields.Dict(required=True, metadata={"description": "the figures the amount was computed from"})
    explanation = reason(required=True)
    attempt = integer(min=1, required=True)
    attempts = fields.List(fields.Nested(Attempt), required=True, validate=validate.Length(max=1000))
    recovery = fields.Nested(DisbursementRecovery, required=True, allow_none=True)
    status = one_of(DISBURSEMENT_STATUSES, required=True)
    unpaid = fields.Boolean(required=True, metadata={"description": "scheduled or retried: due and not yet paid"})
    updated_at = iso_datetime(required=True)


class Disbursements(Reply):
    case_id = fields.UUID(required=True)
    items = fields.List(fields.Nested(Disbursement), required=True, validate=validate.Length(max=200))
    total = integer(min=0, required=True)


DisbursementPage = page_of(Disbursement, "DisbursementPage", status=one_of(STATUSES, required=True))


class Decision(Reply):
    award_fen = yuan_fen(required=True)
    prior_changju_award_fen = yuan_fen(required=True)
    national_or_beijing_talent = fields.Boolean(required=True)
    category = text(64, required=True)
    policy_edition = text(64, required=True)
    effective_on = iso_date(required=True)
    decided_by = text(required=True)
    decision_event_id = fields.UUID(required=True)


class Deadline(Reply):
    due_on = iso_date(required=True)
    starts_on = iso_date(required=True)
    rule = text(required=True)
    clause = text(required=True)
    status = one_of(DEADLINE_STATUSES, required=True)
    reached_at = iso_datetime()


class ServiceMoneyClaim(Reply):
    period = text(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    spent_on = iso_date(required=True)
    year_index = integer(min=1, required=True)
    claimed_fen = yuan_fen(required=True)
    approved_fen = yuan_fen(required=True)
    purpose = text(required=True)
    document_ref = text(required=True)
    computation = fields.Nested(Computation, required=True)


class ServiceMoney(Reply):
    approved_fen_by_year = fields.Dict(keys=text(8), values=yuan_fen(), required=True,
                                       metadata={"description": "approved fen by service year (\"1\", \"2\")"})
    claims = fields.List(fields.Nested(ServiceMoneyClaim), required=True, validate=validate.Length(max=1000))


class Ended(Reply):
    ended_on = iso_date(required=True)
    reason = reason(required=True)
    recorded_at = iso_datetime(required=True)


class Recovery(Reply):
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    paid_key = text(SHORT, required=True, metadata={"description": "the paid disbursement it claims back from"})
    overpaid_fen = yuan_fen(required=True)
    period = text(required=True)
    status = one_of(RECOVERY_STATUSES, required=True)
    rule = text(required=True)
    inputs = fields.Dict(required=True)
    explanation = reason(required=True)


class Appointment(Reply):
    starts_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    appointed_by = text(required=True)
    appointment_event_id = fields.UUID(required=True)


class Extension(Reply):
    previous_ends_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    reason = reason(required=True)


class Term(Reply):
    starts_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    extensions = fields.List(fields.Nested(Extension), required=True, validate=validate.Length(max=100))


class Expired(Reply):
    ends_on = iso_date(required=True)
    recorded_at = iso_datetime(required=True)


class Prize(Reply):
    level = one_of(PRIZE_LEVELS, required=True)
    year = integer(min=2000, max=2999, required=True)
    amount_fen = yuan_fen(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    decided_by = text(required=True)
    reason = reason(required=True)
    computation = fields.Nested(Computation, required=True)
    effective_on = iso_date(required=True)


class BreakthroughSubsidy(Reply):
    investment_fen = integer(min=1, required=True)
    amount_fen = yuan_fen(required=True)
    idempotency_key = text(SHORT, required=True, metadata=KEY)
    decided_by = text(required=True)
    reason = reason(required=True)
    computation = fields.Nested(Computation, required=True)
    effective_on = iso_date(required=True)


class Declined(Reply):
    """An award decision funding declined for want of budget (docs/funding.md, "Annual budgets")."""
    rule = text(SHORT, required=True)
    message = reason(required=True)
    budget = text(SHORT, required=True, metadata={"description": "`<programme>:<year>:<line>`"})
    year = integer(min=2000, max=2999, required=True)
    remaining_fen = integer(required=True)
    requested_fen = integer(min=0, required=True)
    award_fen = integer(min=0, required=True)
    decided_by = text(required=True)
    decision_event_id = fields.UUID(required=True)
    effective_on = iso_date(required=True)


class Entitlements(Reply):
    """Programme A (`programme: A`): the decision, entitlements, deadlines, housing, service money, early end,
    recoveries. Programme B (`programme: B`): the parties, the appointment, term, entitlements, early end or
    expiry, prize, breakthrough subsidy and recoveries. A field of the other programme is absent; one not yet
    reached is null."""
    case_id = fields.UUID(required=True)
    programme = one_of(PROGRAMMES, required=True)
    unit_id = fields.UUID(required=True, allow_none=True)
    entitlements = fields.List(fields.Nested(Entitlement), allow_none=True, validate=validate.Length(max=100))
    ended = fields.Nested(Ended, required=True, allow_none=True)
    recoveries = fields.List(fields.Nested(Recovery), required=True, validate=validate.Length(max=1000))
    next_due_on = iso_date(required=True, allow_none=True, metadata={"description": "when the timer next has work"})
    version = version()
    # programme A
    decision = fields.Nested(Decision, allow_none=True, metadata={"description": "A"})
    deadlines = fields.Dict(keys=one_of(DEADLINES), values=fields.Nested(Deadline), allow_none=True,
                            metadata={"description": "A: by deadline"})
    housing = fields.Nested(HousingChoice, allow_none=True, metadata={"description": "A"})
    service_money = fields.Nested(ServiceMoney, allow_none=True, metadata={"description": "A"})
    # programme B
    expert_id = fields.UUID(allow_none=True, metadata={"description": "B"})
    cooperation_id = fields.UUID(allow_none=True, metadata={"description": "B"})
    kind = one_of(PROJECT_KINDS, allow_none=True, metadata={"description": "B"})
    project_funds_fen = integer(min=1, allow_none=True, metadata={"description": "B"})
    policy_edition = text(64, allow_none=True, metadata={"description": "B"})
    appointment = fields.Nested(Appointment, allow_none=True, metadata={"description": "B"})
    term = fields.Nested(Term, allow_none=True, metadata={"description": "B"})
    expired = fields.Nested(Expired, allow_none=True, metadata={"description": "B"})
    prize = fields.Nested(Prize, allow_none=True, metadata={"description": "B"})
    breakthrough_subsidy = fields.Nested(BreakthroughSubsidy, allow_none=True, metadata={"description": "B"})
    declined = fields.Nested(Declined, allow_none=True, metadata={"description": "A: an award declined for want of budget"})


class BudgetWritten(WriteReply):
    programme = one_of(BUDGET_PROGRAMMES, required=True)
    year = integer(min=2000, max=2999, required=True)
    obligation = one_of(BUDGET_LINES, required=True)
    budget_fen = integer(min=0, required=True)
    remaining_fen = integer(required=True, metadata={"description": "the line's budget less what is reserved"})
    version = version()


class BudgetLine(Reply):
    obligation = one_of(BUDGET_LINES, required=True)
    budget_fen = integer(min=0, required=True, allow_none=True, metadata={"description": "null: not recorded"})
    reserved_fen = integer(min=0, required=True, metadata={"description": "held by decisions"})
    committed_fen = integer(required=True, metadata={"description": "released for payment, less cancellations"})
    disbursed_fen = integer(required=True, metadata={"description": "paid, less returns"})
    returned_fen = integer(min=0, required=True)
    remaining_fen = integer(required=True, allow_none=True, metadata={"description": "budget less reserved"})


class BudgetReport(Reply):
    programme = one_of(BUDGET_PROGRAMMES, required=True)
    year = integer(min=2000, max=2999, required=True)
    lines = fields.List(fields.Nested(BudgetLine), required=True, validate=validate.Length(max=len(BUDGET_LINES)))


class BudgetCsv(Reply):
    programme = one_of(BUDGET_PROGRAMMES, required=True)
    year = integer(min=2000, max=2999, required=True)
    csv = fields.String(required=True, validate=validate.Length(min=1, max=100_000),   # CRLF lines: not PlainText
                        metadata={"description": "UTF-8, CRLF lines, a header row, yuan with two decimals"})


class StatusChange(Reply):
    recorded = text(SHORT, required=True, allow_none=True)
    draft = text(SHORT, required=True, allow_none=True)


class AmountChange(Reply):
    recorded = integer(required=True, allow_none=True)
    draft = integer(required=True, allow_none=True)


class EntitlementChange(Reply):
    """The fields of one money entitlement that the draft changes (absent: unchanged)."""
    status = fields.Nested(StatusChange)
    amount_fen = fields.Nested(AmountChange)
    units = fields.Nested(AmountChange)
    ceiling_fen = fields.Nested(AmountChange)


class Refusal(Reply):
    rule = text(SHORT, required=True)
    message = text(required=True)


class CaseDifference(Reply):
    """One open case under the draft: its changed money entitlements (code → field → recorded/draft), or the
    rule by which the draft would refuse its recorded decision."""
    case_id = fields.UUID(required=True)
    changes = fields.Dict(keys=text(64), values=fields.Nested(EntitlementChange),
                          metadata={"description": "by entitlement code"})
    refused = fields.Nested(Refusal)


class YearTotal(Reply):
    year = integer(min=2000, max=2999, required=True)
    recorded_fen = integer(required=True)
    draft_fen = integer(required=True)
    difference_fen = integer(required=True)


class WhatIfReport(Reply):
    edition = text(64, required=True)
    programme = one_of(BUDGET_PROGRAMMES, required=True)
    open_cases = integer(min=0, required=True)
    cases_changed = integer(min=0, required=True)
    differences = fields.List(fields.Nested(CaseDifference), required=True, validate=validate.Length(max=1000))
    years = fields.List(fields.Nested(YearTotal), required=True, validate=validate.Length(max=1000))
