"""Integration events the funding service publishes (the funding office's contract among
them), by type and schema version. Merged into `shared.contracts.events.PAYLOADS`.

Documented for the funding office and the portal teams in docs/funding.md. Every payload
carries ids and amounts, never personal data; every amount carries its rule, the policy
edition and the inputs that produced it; every event carries `effective_on`, the business
date it took effect (the envelope adds `occurred_at`, when it was recorded in business time,
and `recorded_at`, the store's wall clock). Dates are ISO dates (Beijing calendar).
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.contracts.base import (BUSINESS_DATES, LONG, PROGRAMMES, StrictSchema, integer, iso_date, many, reason, text,
                                   yuan_fen)

OBLIGATIONS = ("award", "rent_subsidy", "service_money")
DEADLINES = ("commitment", "service_money", "rent_subsidy")


def count(**kwargs) -> fields.Integer:
    return integer(min=1, **kwargs)


def optional_reason() -> fields.String:
    return text(LONG, multiline=True, required=True, allow_none=True)


class IsoDate(fields.Date):
    """A date that a domain event may already hold as an ISO string (inside nested data)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=BUSINESS_DATES[0], max=BUSINESS_DATES[1]), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class FundingOpened(StrictSchema):
    """The case's funding stream exists (opened by review's Opened)."""
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))


class FundingOpenedV2(FundingOpened):
    """v2: the employing unit (from review's Opened), so its contact can act on its own cases."""
    unit_id = fields.UUID(required=True, allow_none=True)


class Computation(StrictSchema):
    rule = text(required=True)
    clause = text(required=True)
    policy_edition = text(required=True)
    amount_fen = yuan_fen(required=True)
    inputs = fields.Dict(required=True)
    explanation = reason(required=True)


class ServiceFigure(StrictSchema):
    code = text(64, required=True)
    title = text(required=True)
    clause = text(64, load_default=None, allow_none=True)


class ChangjuFigures(StrictSchema):
    """Every figure a programme A award decision and the support it grants use (shared/policy/figures.py),
    recorded on the decision so that nothing a running case pays is read from a policy file."""
    edition = text(64, required=True)
    category = text(64, required=True)
    award_cap_fen = yuan_fen(required=True)
    national_or_beijing_talent_award_money = fields.Boolean(required=True)
    rent_monthly_cap_fen = yuan_fen(required=True)
    rent_months = count(required=True)
    rent_never_above_paid = fields.Boolean(required=True)
    rent_frequency_months = count(required=True)
    service_yearly_fen = yuan_fen(required=True)
    service_years = count(required=True)
    service_excluded_if_award = fields.Boolean(required=True)
    service_purposes = many(text(64), required=True)
    commitment_years = count(required=True)
    services = many(fields.Nested(ServiceFigure), required=True)


class VicePresidentFigures(StrictSchema):
    """Every figure a programme B appointment and its schedules use (shared/policy/figures.py)."""
    edition = text(64, required=True)
    term_months = count(required=True)
    project_subsidy_percent = integer(min=0, max=100, required=True)
    project_subsidy_cap_fen = yuan_fen(required=True)
    project_subsidy_cap_social_science_fen = yuan_fen(required=True)
    living_monthly_fen = yuan_fen(required=True)
    living_partial_month = text(64, required=True)
    prize_first_fen = yuan_fen(required=True)
    prize_second_fen = yuan_fen(required=True)
    prize_third_fen = yuan_fen(required=True)
    breakthrough_percent = integer(min=0, max=100, required=True)
    breakthrough_cap_fen = yuan_fen(required=True)
    services = many(fields.Nested(ServiceFigure), required=True)


class Entitlement(StrictSchema):
    code = text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("money", "in_kind", "service")))
    status = fields.String(required=True, validate=validate.OneOf(("granted", "refused", "not_chosen",
                                                                   "not_awarded", "ended")))  # ended: B
    clause = text(required=True)
    title = text(required=True)
    unit = fields.String(required=True, allow_none=True, validate=validate.OneOf(("once", "month", "year")))
    units = integer(min=0, required=True)
    amount_fen = yuan_fen(required=True)       # per unit
    ceiling_fen = yuan_fen(required=True)      # the most it can ever pay
    starts_on = IsoDate(required=True, allow_none=True)
    ends_on = IsoDate(required=True, allow_none=True)   # first day no longer covered
    computation = fields.Nested(Computation, required=True, allow_none=True)


class EntitlementsGranted(StrictSchema):
    """What an award decision entitles the talent to: each entitlement with its status and computation."""
    award_fen = yuan_fen(required=True)
    prior_changju_award_fen = yuan_fen(required=True)
    national_or_beijing_talent = fields.Boolean(required=True)
    category = text(required=True)
    policy_edition = text(required=True)
    decision_rule = text(required=True)
    decision_event_id = fields.UUID(required=True)
    effective_on = iso_date(required=True)
    entitlements = many(fields.Nested(Entitlement), required=True)


class AwardDeclined(StrictSchema):
    """Funding did not accept an award decision: it would exceed the year's budget
    (`funding.budget.exceeded`). Nothing is granted, scheduled or reserved for it."""
    rule = text(required=True)
    message = reason(required=True)
    budget = text(required=True)                  # <programme>:<year>:<line>
    year = integer(min=2000, max=2999, required=True)
    remaining_fen = yuan_fen(required=True)
    requested_fen = yuan_fen(required=True)
    award_fen = yuan_fen(required=True)
    decision_event_id = fields.UUID(required=True)
    effective_on = iso_date(required=True)


class EntitlementsGrantedV2(EntitlementsGranted):
    """v2 records the figures the decision used (from review's AwardDecided v3)."""
    figures = fields.Nested(ChangjuFigures, required=True)


class DeadlineSet(StrictSchema):
    """A term recorded as a deadline; `due_on` is the first day no longer covered."""
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINES))
    due_on = iso_date(required=True)         # the first day no longer covered
    starts_on = iso_date(required=True)
    rule = text(required=True)
    clause = text(required=True)
    policy_edition = text(required=True)
    effective_on = iso_date(required=True)


class DeadlineReached(StrictSchema):
    """A deadline reached, recorded once by the timer (also after downtime)."""
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINES))
    due_on = iso_date(required=True)
    rule = text(required=True)
    clause = text(required=True)
    effective_on = iso_date(required=True)


class HousingChosen(StrictSchema):
    """The housing choice: a flat, or a rent subsidy (monthly rent paid, start, instalment frequency)."""
    choice = fields.String(required=True, validate=validate.OneOf(("flat", "rent_subsidy")))
    starts_on = iso_date(required=True)
    monthly_rent_fen = yuan_fen(required=True, allow_none=True)
    frequency_months = integer(min=1, max=120, required=True, allow_none=True)
    ends_on = iso_date(required=True, allow_none=True)
    effective_on = iso_date(required=True)
    entitlements = many(fields.Nested(Entitlement), required=True)


class ServiceMoneyClaimApproved(StrictSchema):
    """An expense claim approved (up to what remained of its service year); a DisbursementScheduled follows."""
    period = text(required=True)
    idempotency_key = text(required=True)
    spent_on = iso_date(required=True)
    year_index = count(required=True)
    claimed_fen = yuan_fen(required=True)
    approved_fen = yuan_fen(required=True)
    purpose = text(required=True)
    document_ref = text(required=True)
    computation = fields.Nested(Computation, required=True)
    effective_on = iso_date(required=True)


class DisbursementScheduled(StrictSchema):
    """Pay this on or after `due_on`: one obligation-period, under its one key `<case_id>:<obligation_id>:<period>`."""
    obligation_id = text(required=True)
    period = text(required=True)
    idempotency_key = text(required=True)
    amount_fen = yuan_fen(required=True)
    payee = text(required=True)
    purpose = text(required=True)
    due_on = iso_date(required=True)
    rule = text(required=True)
    policy_edition = text(required=True)


class DisbursementScheduledV2(DisbursementScheduled):
    """v2 adds what the office needs to pay and to answer "why this amount": the case, the
    payee's reference, the period covered, the clause, the computation's inputs, the attempt."""
    case_id = fields.UUID(required=True)
    payee_ref = text(required=True)                    # "case:<case_id>" (the talent) or "unit:<unit_id>"
    clause = text(required=True)
    period_starts_on = iso_date(required=True)
    period_ends_on = iso_date(required=True, allow_none=True)   # last day covered (inclusive)
    effective_on = iso_date(required=True)
    inputs = fields.Dict(required=True)
    explanation = reason(required=True)
    attempt = count(required=True)


class DisbursementPaid(StrictSchema):
    """The funding office reported the attempt paid (a key is paid at most once)."""
    idempotency_key = text(required=True)
    attempt = count(required=True)
    office_reference = text(required=True)
    amount_fen = yuan_fen(required=True)
    effective_on = iso_date(required=True)


class DisbursementFailed(StrictSchema):
    """The funding office reported the attempt failed; it may be retried under the same key."""
    idempotency_key = text(required=True)
    attempt = count(required=True)
    office_reference = text(required=True)
    reason = optional_reason()
    effective_on = iso_date(required=True)


class DisbursementReturned(DisbursementFailed):
    """The funding office reported the payment returned: no longer paid; it may be retried."""
    amount_fen = yuan_fen(required=True)


class DisbursementRetried(StrictSchema):
    """Pay this key again, as attempt `attempt` (the previous one failed or was returned)."""
    idempotency_key = text(required=True)
    attempt = count(required=True)
    previous_attempt = count(required=True)
    reason = reason(required=True)
    due_on = iso_date(required=True)
    amount_fen = yuan_fen(required=True)
    obligation_id = text(required=True)
    period = text(required=True)
    effective_on = iso_date(required=True)


class DisbursementCancelled(StrictSchema):
    """Do not pay this key (an early end came before its period)."""
    idempotency_key = text(required=True)
    attempt = count(required=True)
    rule = text(required=True)
    reason = reason(required=True)
    effective_on = iso_date(required=True)


class EndedEarly(StrictSchema):
    """The talent left the unit or Changping; `ended_on` is the last day supported."""
    ended_on = iso_date(required=True)        # the last day still supported
    reason = reason(required=True)
    deadlines_cancelled = many(fields.String(validate=validate.OneOf(DEADLINES)), required=True)
    effective_on = iso_date(required=True)


class RecoveryClaimed(StrictSchema):
    """Rent paid for days after an early end, claimed back from the paid instalment `paid_key`; one per period."""
    idempotency_key = text(required=True)
    obligation_id = text(required=True)
    period = text(required=True)
    paid_key = text(required=True)
    overpaid_fen = yuan_fen(required=True)
    ended_on = iso_date(required=True)
    rule = text(required=True)
    clause = text(required=True)
    policy_edition = text(required=True)
    inputs = fields.Dict(required=True)
    explanation = reason(required=True)
    effective_on = iso_date(required=True)


class RecoveryWithdrawn(StrictSchema):
    """The payment a recovery claimed back was returned: nothing to recover."""
    idempotency_key = text(required=True)
    paid_key = text(required=True)
    reason = reason(required=True)
    effective_on = iso_date(required=True)


# -- programme B: a placement's funding (stream `placement_funding`) -----------------------------------
PRIZE_LEVELS = ("first", "second", "third")
IN_TERM_SERVICES = ("medical_green_channel", "public_rental_housing")


class PlacementFundingOpened(StrictSchema):
    """The placement's funding stream exists (opened by application's ProjectFiled, or its Appointed)."""
    unit_id = fields.UUID(required=True)             # the company
    expert_id = fields.UUID(required=True)
    cooperation_id = fields.UUID(required=True, allow_none=True)
    kind = text(required=True)
    project_funds_fen = yuan_fen(required=True)
    policy_edition = text(required=True)


class PlacementEntitlementsGranted(StrictSchema):
    """What the appointment entitles the company and the expert to: project subsidy, living subsidy
    and the in-term services, each with its status and computation; `ends_on` is the first day no
    longer in the term."""
    unit_id = fields.UUID(required=True)
    expert_id = fields.UUID(required=True)
    starts_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    kind = text(required=True)
    project_funds_fen = yuan_fen(required=True)
    policy_edition = text(required=True)
    appointment_event_id = fields.UUID(required=True)
    effective_on = iso_date(required=True)
    entitlements = many(fields.Nested(Entitlement), required=True)


class PlacementEntitlementsGrantedV2(PlacementEntitlementsGranted):
    """v2 records the figures the appointment used: the living subsidy, its recoveries and the timer
    derive from them."""
    figures = fields.Nested(VicePresidentFigures, required=True)


class TermExtended(StrictSchema):
    """The same term runs to a later end (after a major breakthrough); the living subsidy follows."""
    previous_ends_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    reason = reason(required=True)
    effective_on = iso_date(required=True)


class EntitlementRestated(StrictSchema):
    """One entitlement restated after the appointment (an extension: the living subsidy's months and
    ceiling follow the new end), with its computation; it replaces the entitlement of the same code."""
    entitlement = fields.Nested(Entitlement, required=True)
    cause = fields.String(required=True, validate=validate.OneOf(("term_extended",)))
    effective_on = iso_date(required=True)


class PlacementEndedEarly(StrictSchema):
    """The placement ended before its term; `ended_on` is the last day still in the term."""
    ended_on = iso_date(required=True)
    reason = reason(required=True)
    services_ended = many(fields.String(validate=validate.OneOf(IN_TERM_SERVICES)), required=True)
    effective_on = iso_date(required=True)


class TermExpired(StrictSchema):
    """The term expired (recorded once); the in-term services end. `ends_on`: first day no longer in it."""
    ends_on = iso_date(required=True)
    services_ended = many(fields.String(validate=validate.OneOf(IN_TERM_SERVICES)), required=True)
    effective_on = iso_date(required=True)


class PrizeAwarded(StrictSchema):
    """A yearly prize for the concluded project, to the expert; its DisbursementScheduled follows."""
    level = fields.String(required=True, validate=validate.OneOf(PRIZE_LEVELS))
    year = integer(min=2000, max=2999, required=True)
    amount_fen = yuan_fen(required=True)
    idempotency_key = text(required=True)
    reason = reason(required=True)
    computation = fields.Nested(Computation, required=True)
    effective_on = iso_date(required=True)


class BreakthroughSubsidyGranted(StrictSchema):
    """30% of the transformation/industrialisation investment, at most 5,000,000 yuan, to the company;
    its DisbursementScheduled follows."""
    investment_fen = yuan_fen(required=True)
    amount_fen = yuan_fen(required=True)
    idempotency_key = text(required=True)
    reason = reason(required=True)
    computation = fields.Nested(Computation, required=True)
    effective_on = iso_date(required=True)


# the ledger's events, in the same shapes on both streams
LEDGER_PAYLOADS: dict[tuple[str, int], type[StrictSchema]] = {
    ("DisbursementScheduled", 1): DisbursementScheduled,
    ("DisbursementScheduled", 2): DisbursementScheduledV2,
    ("DisbursementPaid", 1): DisbursementPaid,
    ("DisbursementFailed", 1): DisbursementFailed,
    ("DisbursementReturned", 1): DisbursementReturned,
    ("DisbursementRetried", 1): DisbursementRetried,
    ("DisbursementCancelled", 1): DisbursementCancelled,
    ("RecoveryClaimed", 1): RecoveryClaimed,
    ("RecoveryWithdrawn", 1): RecoveryWithdrawn,
}

_T = "funding.case_funding."
_P = "funding.placement_funding."
FUNDING_PAYLOADS: dict[tuple[str, int], type[StrictSchema]] = {
    (_T + "Opened", 1): FundingOpened,
    (_T + "Opened", 2): FundingOpenedV2,
    (_T + "EntitlementsGranted", 1): EntitlementsGranted,
    (_T + "AwardDeclined", 1): AwardDeclined,
    (_T + "EntitlementsGranted", 2): EntitlementsGrantedV2,
    (_T + "DeadlineSet", 1): DeadlineSet,
    (_T + "DeadlineReached", 1): DeadlineReached,
    (_T + "HousingChosen", 1): HousingChosen,
    (_T + "ServiceMoneyClaimApproved", 1): ServiceMoneyClaimApproved,
    (_T + "EndedEarly", 1): EndedEarly,
    **{(_T + name, version): schema for (name, version), schema in LEDGER_PAYLOADS.items()},
    (_P + "Opened", 1): PlacementFundingOpened,
    (_P + "EntitlementsGranted", 1): PlacementEntitlementsGranted,
    (_P + "EntitlementsGranted", 2): PlacementEntitlementsGrantedV2,
    (_P + "TermExtended", 1): TermExtended,
    (_P + "EntitlementRestated", 1): EntitlementRestated,
    (_P + "EndedEarly", 1): PlacementEndedEarly,
    (_P + "TermExpired", 1): TermExpired,
    (_P + "PrizeAwarded", 1): PrizeAwarded,
    (_P + "BreakthroughSubsidyGranted", 1): BreakthroughSubsidyGranted,
    **{(_P + name, version): schema for (name, version), schema in LEDGER_PAYLOADS.items()},
}
