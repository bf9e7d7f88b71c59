"""RPC payloads of the funding service (documented in docs/funding.md).

Strict: unknown, missing, mistyped and oversized fields are refused, each error naming its
field. Amounts are integer fen; dates are ISO dates (Beijing calendar)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.base import (SHORT, PageSchema, ReadSchema, WriteSchema, identifier, integer, iso_date, reason,
                                   text)

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
