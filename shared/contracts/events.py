"""Integration events: what each service publishes, by type and schema version.

The type is `<source>.<stream>.<Event>`. A payload schema lists exactly the fields that may
leave the service; anything else on the domain event (a contact's phone, an ID number)
stays in the owning store. Add a field -> new schema version; consumers validate every
payload against the schema of the version it declares.
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.contracts.base import (PROGRAMMES, SourceRef, StrictSchema, integer, iso_date, many, reason, text,
                                   yuan_fen)
from shared.contracts.funding_events import FUNDING_PAYLOADS, ChangjuFigures
from shared.contracts.placement_events import PLACEMENT_PAYLOADS
from shared.contracts.registration_events import REGISTRATION_PAYLOADS
from shared.errors import validation_error


# -- application -------------------------------------------------------------------------
class CaseRegistrationReferenced(StrictSchema):
    unit_id = fields.UUID(required=True)
    source = fields.Nested(SourceRef, required=True)


class CaseFiled(StrictSchema):
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    unit_id = fields.UUID(required=True)
    title = text(required=True)


class CaseFiledV2(CaseFiled):
    """v2 names the call (policy edition) the case was filed under."""
    policy_edition = text(64, required=True)


class CaseTalentDeclared(StrictSchema):
    """Only the category leaves: the talent's details are personal data."""
    category = text(64, required=True)


class DocumentRef(StrictSchema):
    code = text(64, required=True)
    sha256 = text(64, required=True)
    size_bytes = integer(min=1, required=True)
    media_type = text(64, required=True)
    storage_uri = text(1000, required=True)
    entry_id = text(64, load_default=None, allow_none=True)


class CaseDocumentsAttached(StrictSchema):
    documents = many(fields.Nested(DocumentRef), required=True)
    replace = fields.Boolean(required=True)


class CaseAgeWaiverRecorded(StrictSchema):
    decided_by = text(required=True)
    reason = reason(required=True)


class CaseSubmitted(StrictSchema):
    """A submission and the eligibility assessment it passed (rules, edition, reference dates;
    not the inputs, which hold personal data)."""
    submission = integer(min=1, required=True)
    submitted_on = iso_date(required=True)
    eligibility = fields.Dict(required=True)
    category = text(64, required=True)
    national_or_beijing_talent = fields.Boolean(required=True)
    earlier_changju_category = text(64, required=True, allow_none=True)
    earlier_award_fen = yuan_fen(required=True)
    documents = many(fields.Nested(DocumentRef), required=True)


class ReturnedItem(StrictSchema):
    item = text(64, required=True)    # a checklist code, or "talent" / "claims" for the declared details
    reason = reason(required=True)


class CaseReturnedForCorrection(StrictSchema):
    reason = reason(required=True)
    items = many(fields.Nested(ReturnedItem), required=True)
    correction_deadline = iso_date(required=True)
    source = fields.Nested(SourceRef, required=True)


class CasePaperDeliveryRecorded(StrictSchema):
    delivery = fields.Dict(required=True)
    received_on = iso_date(required=True)
    compliant = fields.Boolean(required=True)
    findings = many(fields.Dict(), required=True)


class CaseMilestoneRecorded(StrictSchema):
    summary = text(required=True)
    source = fields.Nested(SourceRef, required=True)


# -- review ------------------------------------------------------------------------------
class ReviewOpened(StrictSchema):
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    unit_id = fields.UUID(required=True)


class AuditApproved(StrictSchema):
    reason = reason(required=True)


class ReviewSubmissionReceived(StrictSchema):
    submission = fields.Dict(required=True)   # the facts the decision will read, as the application reported them
    source = fields.Nested(SourceRef, required=True)


class ReviewPaperChecked(StrictSchema):
    compliant = fields.Boolean(required=True)
    source = fields.Nested(SourceRef, required=True)


class AuditReturned(StrictSchema):
    reason = reason(required=True)
    items = many(fields.Nested(ReturnedItem), required=True)
    correction_deadline = iso_date(required=True)


class ConflictDeclared(StrictSchema):
    reviewer = text(required=True)
    reason = reason(required=True)


class Scored(StrictSchema):
    reviewer = text(required=True)
    score = integer(min=0, max=100, required=True)
    opinion = reason(required=True)


class NotSelected(StrictSchema):
    reason = reason(required=True)
    policy_edition = text(required=True)
    scores = fields.Dict(required=True)


class AwardDecided(StrictSchema):
    award_fen = yuan_fen(required=True)
    reason = reason(required=True)
    rule = text(required=True)
    policy_edition = text(required=True)
    inputs = fields.Dict(required=True)


class AwardDecidedV2(AwardDecided):
    """v2 adds what funding derives the entitlements from. `award_fen` is the money to pay
    now: for a re-applicant, the top-up (补差) over `prior_changju_award_fen`."""
    category = text(required=True)
    prior_changju_award_fen = yuan_fen(required=True)
    national_or_beijing_talent = fields.Boolean(required=True)
    effective_on = iso_date(required=True)   # the decision's business date: the terms start here


class AwardDecidedV3(AwardDecidedV2):
    """v3 records every figure the decision and the support it grants use (caps, months, years,
    frequency: shared/policy/figures.py); funding derives the case's support from them, never from
    the policy file as it is now. Before v3 they are the named edition's (released editions are frozen)."""
    figures = fields.Nested(ChangjuFigures, required=True)


# -- review: programme B projects --------------------------------------------------------
class ProjectReviewOpened(StrictSchema):
    unit_id = fields.UUID(required=True)
    expert_id = fields.UUID(required=True)
    kind = text(64, required=True)
    project_funds_fen = yuan_fen(required=True)
    policy_edition = text(64, required=True)


class ProjectDecided(StrictSchema):
    reason = reason(required=True)
    scores = fields.Dict(required=True)


class ProjectApproved(ProjectDecided):
    policy_edition = text(64, required=True)


class ProjectFiledWithOffice(StrictSchema):
    filed_on = iso_date(required=True)
    reference = text(100, required=True)


PAYLOADS: dict[tuple[str, int], type[StrictSchema]] = {
    **REGISTRATION_PAYLOADS,
    ("application.case.RegistrationReferenced", 1): CaseRegistrationReferenced,
    ("application.case.Filed", 1): CaseFiled,
    ("application.case.Filed", 2): CaseFiledV2,
    ("application.case.AuditRecorded", 1): CaseMilestoneRecorded,
    ("application.case.DecisionRecorded", 1): CaseMilestoneRecorded,
    ("application.case.NotSelectedRecorded", 1): CaseMilestoneRecorded,
    ("application.case.DisbursementRecorded", 1): CaseMilestoneRecorded,
    ("application.case.FundingRecorded", 1): CaseMilestoneRecorded,
    ("application.case.TalentDeclared", 1): CaseTalentDeclared,
    ("application.case.DocumentsAttached", 1): CaseDocumentsAttached,
    ("application.case.AgeWaiverRecorded", 1): CaseAgeWaiverRecorded,
    ("application.case.Submitted", 1): CaseSubmitted,
    ("application.case.ReturnedForCorrection", 1): CaseReturnedForCorrection,
    ("application.case.PaperDeliveryRecorded", 1): CasePaperDeliveryRecorded,
    ("review.case_review.Opened", 1): ReviewOpened,
    ("review.case_review.SubmissionReceived", 1): ReviewSubmissionReceived,
    ("review.case_review.AuditApproved", 1): AuditApproved,
    ("review.case_review.AuditReturned", 1): AuditReturned,
    ("review.case_review.PaperChecked", 1): ReviewPaperChecked,
    ("review.case_review.ConflictDeclared", 1): ConflictDeclared,
    ("review.case_review.Scored", 1): Scored,
    ("review.placement_review.Opened", 1): ProjectReviewOpened,
    ("review.placement_review.ConflictDeclared", 1): ConflictDeclared,
    ("review.placement_review.Scored", 1): Scored,
    ("review.placement_review.ProjectApproved", 1): ProjectApproved,
    ("review.placement_review.ProjectRejected", 1): ProjectDecided,
    ("review.placement_review.FiledWithOffice", 1): ProjectFiledWithOffice,
    ("review.case_review.AwardDecided", 1): AwardDecided,
    ("review.case_review.NotSelected", 1): NotSelected,
    ("review.case_review.AwardDecided", 2): AwardDecidedV2,
    ("review.case_review.AwardDecided", 3): AwardDecidedV3,
    **FUNDING_PAYLOADS,
    **PLACEMENT_PAYLOADS,
}

CURRENT_VERSION = {event_type: max(v for t, v in PAYLOADS if t == event_type) for event_type, _ in PAYLOADS}
_instances = {key: schema() for key, schema in PAYLOADS.items()}


def payload_schema(event_type: str, version: int) -> StrictSchema:
    try:
        return _instances[(event_type, version)]
    except KeyError:
        raise validation_error({"type": [f"unknown event type/version {event_type} v{version}"]}) from None


def current(event_type: str) -> tuple[int, StrictSchema]:
    version = CURRENT_VERSION.get(event_type)
    if version is None:
        raise KeyError(f"no integration contract for {event_type}: add one to shared/contracts/events.py")
    return version, _instances[(event_type, version)]
