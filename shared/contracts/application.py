"""RPC payloads of the application service."""
from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.base import (HISTORIC_DATES, PROGRAMMES, SERVICES, PageSchema, ReadSchema, Reply, StrictSchema, WriteReply,
                                   WriteSchema, identifier, integer, iso_date, iso_datetime, one_of, page_of, reason,
                                   text, version, yuan_fen)
from shared.contracts.envelope import ActorSchema
from shared.contracts.events import ReturnedItem
from shared.contracts.placement_events import PROJECT_KINDS
from shared.contracts.registration_events import UNIT_TYPES

CASE_STATUSES = ("draft", "submitted", "returned", "audit_approved", "paper_noncompliant", "paper_delivered",
                 "award_decided", "not_selected", "disbursement_scheduled")
CRITERIA = ("1", "2", "3", "4", "5")
MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png")   # an office setting, not the seed's


class CaseWrite(WriteSchema):
    case_id = fields.UUID(required=True)


class Talent(StrictSchema):
    """The applicant as the unit declares them (二(一)2). Personal data: stays in this service."""
    name = text(64, required=True)
    birth_date = iso_date(HISTORIC_DATES, required=True)
    has_contract = fields.Boolean(required=True)
    months_worked_per_year = integer(min=0, max=12, required=True)
    field_fits_changping = fields.Boolean(required=True)
    commits_years = integer(min=0, max=50, required=True)
    national_or_beijing_talent = fields.Boolean(load_default=False)
    earlier_changju_category = text(64, load_default=None, allow_none=True)
    earlier_award_fen = yuan_fen(load_default=0)


class CriterionClaim(StrictSchema):
    criterion = fields.String(required=True, validate=validate.OneOf(CRITERIA))
    prize_level = text(64, load_default=None, allow_none=True)   # the rules say which levels qualify
    rank = integer(min=1, load_default=None, allow_none=True)
    achieved_on = iso_date(HISTORIC_DATES, load_default=None, allow_none=True)
    project_completed = fields.Boolean(load_default=None, allow_none=True)


ORDERED_MATERIALS = ("awards", "patents", "projects", "standards", "papers")


def entries():
    """The awards, patents, … entered in the system, by material code, in the order entered; each
    document evidencing one names it as `entry_id`."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(ORDERED_MATERIALS)),
                       values=fields.List(text(64), validate=validate.Length(max=200)), load_default=dict)


class DeclareTalent(CaseWrite):
    talent = fields.Nested(Talent, required=True)
    claims = fields.List(fields.Nested(CriterionClaim), required=True, validate=validate.Length(min=1, max=10))
    category = text(64, load_default="outstanding")
    entries = entries()


class DocumentRef(StrictSchema):
    """A stored document, referenced: the bytes stay in the document store."""
    code = text(64, required=True)
    sha256 = identifier(r"[0-9a-f]{64}", "must be 64 lowercase hex characters", 64, required=True)
    size_bytes = integer(min=1, max=200 * 1024 * 1024, required=True)
    media_type = fields.String(required=True, validate=validate.OneOf(MEDIA_TYPES))
    storage_uri = text(1000, required=True)
    entry_id = text(64, load_default=None, allow_none=True)


class FileCase(WriteSchema):
    """Opens a draft case; a portal may send the talent's details and the documents at once."""
    unit_id = fields.UUID(required=True)
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    title = text(required=True)
    talent = fields.Nested(Talent, load_default=None)
    claims = fields.List(fields.Nested(CriterionClaim), load_default=None, validate=validate.Length(min=1, max=10))
    category = text(64, load_default="outstanding")
    entries = entries()
    documents = fields.List(fields.Nested(DocumentRef), load_default=None, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _talent_with_claims(self, data, **kwargs):
        if (data.get("talent") is None) != (data.get("claims") is None):
            raise ValidationError("talent and claims are declared together", "claims")


class AttachDocuments(CaseWrite):
    documents = fields.List(fields.Nested(DocumentRef), required=True, validate=validate.Length(min=1, max=100))
    replace = fields.Boolean(load_default=False)   # replace what is attached under these codes (a correction)


class AgeWaiver(CaseWrite):
    reason = reason(required=True)


class Submit(CaseWrite):
    pass


SIGNATORIES = ("applicant", "unit_head")


class PaperDelivery(StrictSchema):
    copies = integer(min=0, max=100, required=True)
    binding = text(32, required=True)
    cover_colour = text(32, required=True)
    double_sided = fields.Boolean(required=True)
    spine_text = text(400, required=True)
    has_catalogue = fields.Boolean(required=True)
    signed_by = fields.List(fields.String(validate=validate.OneOf(SIGNATORIES)), load_default=list,
                            validate=validate.Length(max=len(SIGNATORIES)))
    form_sealed = fields.Boolean(required=True)
    cover_sealed = fields.Boolean(required=True)
    every_attachment_sealed = fields.Boolean(required=True)
    perforation_seals = integer(min=0, max=100, required=True)


class RecordPaperDelivery(CaseWrite):
    delivery = fields.Nested(PaperDelivery, required=True)


class CaseQuery(ReadSchema):
    case_id = fields.UUID(required=True)


class History(CaseQuery):
    as_of = iso_datetime(load_default=None)      # what had taken effect by this business moment
    known_at = iso_datetime(load_default=None)   # as far as the record knew at this business moment


class CasesByStatus(PageSchema):
    status = fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))


class UnitCases(PageSchema):
    unit_id = fields.UUID(required=True)


# -- programme B: matchmaking and placements ---------------------------------------------------
PLACEMENT_STATUSES = ("filed", "approved", "rejected", "filed_with_office", "agreed", "appointed", "terminated",
                      "expired", "evaluated")
RATINGS = ("excellent", "good", "qualified", "unqualified")   # 优秀 / 良好 / 合格 / 不合格


class ProposeCooperation(WriteSchema):
    unit_id = fields.UUID(required=True)          # the company
    expert_id = fields.UUID(required=True)        # a published pool expert
    field = text(100, required=True)
    need = reason(required=True)                  # the company's need (需求)


class ConfirmCooperation(WriteSchema):
    cooperation_id = fields.UUID(required=True)


class FileProject(WriteSchema):
    cooperation_id = fields.UUID(required=True)
    title = text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(PROJECT_KINDS))
    project_funds_fen = integer(min=1, required=True)


class RecordAgreement(CaseWrite):
    signed_on = iso_date(required=True)
    management_mode = text(400, load_default=None, allow_none=True)   # may be settled (可…作出约定)
    ip_ownership = text(400, load_default=None, allow_none=True)


class Appoint(CaseWrite):
    post_title = text(required=True)              # e.g. 科技副总, 技术（研发）中心副主任
    starts_on = iso_date(required=True)
    late_recording_reason = reason(load_default=None, allow_none=True)   # required if starts_on < today


class ExtendTerm(CaseWrite):
    ends_on = iso_date(required=True)
    reason = reason(required=True)                # the major breakthrough


class TerminateEarly(CaseWrite):
    ended_on = iso_date(required=True)         # the last day still in the term
    reason = reason(required=True)


class RecordEvaluation(CaseWrite):
    opinion = reason(required=True)
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))


class CooperationQuery(ReadSchema):
    cooperation_id = fields.UUID(required=True)


class PlacementsByStatus(PageSchema):
    status = fields.String(required=True, validate=validate.OneOf(PLACEMENT_STATUSES))


# == replies ========================================================================================
COOPERATION_PARTIES = ("company", "expert")


class CaseOpened(WriteReply):
    case_id = fields.UUID(required=True)
    version = version()


class CaseWritten(CaseOpened):
    status = one_of(CASE_STATUSES, required=True)


class PlacementWritten(CaseOpened):
    status = one_of(PLACEMENT_STATUSES, required=True)


class CooperationWritten(WriteReply):
    cooperation_id = fields.UUID(required=True)
    confirmed_by = fields.List(one_of(COOPERATION_PARTIES), required=True, validate=validate.Length(max=2))
    agreed = fields.Boolean(metadata={"description": "confirm_cooperation only: both parties confirmed"})


class Cooperation(Reply):
    cooperation_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    expert_id = fields.UUID(required=True)
    field = text(100, required=True)
    need = reason(required=True)
    confirmed_by = fields.List(one_of(COOPERATION_PARTIES), required=True, validate=validate.Length(max=2))
    agreed = fields.Boolean(required=True)
    case_id = fields.UUID(required=True, allow_none=True, metadata={"description": "the placement filed on it"})


class PaperFinding(Reply):
    rule = text(required=True)
    problem = reason(required=True)


class CaseStatus(Reply):
    """A programme A case as the `cases` read model holds it. Fields appear as the case reaches them."""
    case_id = fields.UUID(required=True)
    programme = one_of(PROGRAMMES, required=True)
    unit_id = fields.UUID(required=True)
    title = text(required=True)
    policy_edition = text(64, required=True)
    filed_at = iso_datetime(required=True)
    status = one_of(CASE_STATUSES, required=True)
    milestones = fields.List(text(64), required=True, validate=validate.Length(max=10_000),
                             metadata={"description": "the case stream's entry types, in order"})
    category = text(64)
    submissions = integer(min=1)
    submitted_on = iso_date()
    returned_items = fields.List(fields.Nested(ReturnedItem), validate=validate.Length(max=50))
    return_reason = reason()
    correction_deadline = iso_date(allow_none=True)
    paper_findings = fields.List(fields.Nested(PaperFinding), validate=validate.Length(max=100))
    version = version()
    updated_at = iso_datetime(required=True)
    position = integer(min=1, required=True, metadata={"description": "the store position of the last change"})


class ChecklistItem(Reply):
    section = text(64, required=True)
    code = text(64, required=True)
    title = text(required=True)
    mandatory = fields.Boolean(required=True)
    present = fields.Boolean(required=True)
    documents = integer(min=0, required=True)
    returned_reason = reason(required=True, allow_none=True)


class Checklist(Reply):
    case_id = fields.UUID(required=True)
    status = one_of(CASE_STATUSES, required=True)
    unit_type = one_of(UNIT_TYPES, required=True)
    talent_declared = fields.Boolean(required=True)
    correction_deadline = iso_date(required=True, allow_none=True)
    items = fields.List(fields.Nested(ChecklistItem), required=True, validate=validate.Length(max=200))
    missing_mandatory = fields.List(text(64), required=True, validate=validate.Length(max=200))


class HistorySource(Reply):
    """The event in another service that an entry reflects: enough to fetch it again (`events_after` of that
    service from `position - 1`) and to follow its own cause (docs/history.md)."""
    service = one_of(SERVICES, required=True)
    event_id = fields.UUID(required=True)
    type = text(required=True)
    position = integer(min=1, required=True)
    sequence = integer(min=1, required=True)
    occurred_at = iso_datetime(required=True)
    recorded_at = iso_datetime()
    schema_version = integer(min=1)
    causation_id = text(allow_none=True)
    correlation_id = text(allow_none=True)


class HistoryEntry(Reply):
    """One entry of a case stream (docs/history.md: what each field means and how to follow a cause)."""
    sequence = integer(min=1, required=True)
    type = text(64, required=True)
    summary = text(allow_none=True)
    occurred_at = iso_datetime(required=True, metadata={"description": "business time"})
    recorded_at = iso_datetime(required=True, metadata={"description": "the store's wall clock"})
    effective_at = iso_datetime(metadata={"description": "business time the fact took effect"})
    recorded_on = iso_datetime(metadata={"description": "business time the record learnt it"})
    actor = fields.Nested(ActorSchema, required=True)
    recorded_by = fields.Nested(ActorSchema)
    acted_under = text(allow_none=True, metadata={"description": "for an entry the system made: the rule it acted on"})
    reason = reason(allow_none=True)
    rule = text(allow_none=True)
    clause = text(allow_none=True)
    policy_edition = text(64, allow_none=True)
    amount_fen = integer(min=0, allow_none=True)
    office_reference = text(allow_none=True)
    dates = fields.Dict(keys=text(64), values=iso_date(), metadata={"description": "the dates the entry names"})
    source = fields.Nested(HistorySource, allow_none=True)
    correlation_id = text(required=True)
    causation_id = text(required=True, allow_none=True, metadata={
        "description": "the event id that caused it (another service's event), or null for a caller's command"})
    data = fields.Dict(required=True, metadata={"description": "the entry's facts as recorded; `source` points at "
                                                               "the causing event (docs/history.md)"})
    supersedes = fields.List(integer(min=1), validate=validate.Length(max=100_000), metadata={
        "description": "the sequences of the earlier entries this one changes (a retry, a return, a resubmission…)"})


class CaseHistory(Reply):
    case_id = fields.UUID(required=True)
    entries = fields.List(fields.Nested(HistoryEntry), required=True, validate=validate.Length(max=100_000))


class Placement(Reply):
    """A programme B placement as the `placements` read model holds it. Fields appear as it reaches them."""
    case_id = fields.UUID(required=True)
    programme = one_of(("B",), required=True)
    unit_id = fields.UUID(required=True)
    expert_id = fields.UUID(required=True)
    title = text(required=True)
    kind = one_of(PROJECT_KINDS, required=True)
    project_funds_fen = integer(min=1, required=True)
    filed_at = iso_datetime(required=True)
    status = one_of(PLACEMENT_STATUSES, required=True)
    post_title = text()
    starts_on = iso_date()
    ends_on = iso_date(metadata={"description": "the term's end (exclusive), moved by an extension"})
    ended_on = iso_date(metadata={"description": "an early end: the last day still in the term"})
    rating = one_of(RATINGS)
    version = version()
    updated_at = iso_datetime(required=True)
    position = integer(min=1, required=True, metadata={"description": "the store position of the last change"})


CaseList = page_of(CaseStatus, "CaseList")
PlacementList = page_of(Placement, "PlacementList")
