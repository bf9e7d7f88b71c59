"""RPC payloads of the review service."""
from marshmallow import fields, validate

from shared.contracts.base import (PROGRAMMES, ReadSchema, Reply, WriteReply, WriteSchema, integer, iso_date, one_of,
                                   reason, text, version, yuan_fen)
from shared.contracts.placement_events import PROJECT_KINDS
from shared.contracts.events import ReturnedItem


class CaseWrite(WriteSchema):
    case_id = fields.UUID(required=True)


class ApproveAudit(CaseWrite):
    reason = reason(required=True)


class ReturnForCorrection(CaseWrite):
    reason = reason(required=True)
    items = fields.List(fields.Nested(ReturnedItem), required=True, validate=validate.Length(min=1, max=50))
    correction_deadline = iso_date(required=True)


class DeclareConflict(CaseWrite):
    reason = reason(required=True)


class Score(CaseWrite):
    score = integer(min=0, max=100, required=True)
    opinion = reason(required=True)


class DecideAward(CaseWrite):
    award_fen = yuan_fen(required=True)
    reason = reason(required=True)


class Decline(CaseWrite):
    reason = reason(required=True)


class DecideProject(CaseWrite):
    approve = fields.Boolean(required=True)
    reason = reason(required=True)


class FileWithOffice(CaseWrite):
    reference = text(100, required=True)     # the talent-work office's filing number (备案号)


class ReviewQuery(ReadSchema):
    case_id = fields.UUID(required=True)


# == replies ========================================================================================
REVIEW_STATUSES = ("draft", "awaiting_audit", "returned", "audit_approved", "paper_delivered", "not_selected",
                   "award_decided")
PROJECT_REVIEW_STATUSES = ("under_review", "approved", "rejected", "filed_with_office")


def scores() -> fields.Dict:
    return fields.Dict(keys=text(), values=integer(min=0, max=100), required=True,
                       metadata={"description": "points by reviewer id"})


def conflicts() -> fields.List:
    return fields.List(text(), required=True, validate=validate.Length(max=1000),
                       metadata={"description": "the reviewers who declared a conflict of interest"})


class ReviewWritten(WriteReply):
    case_id = fields.UUID(required=True)
    status = one_of(REVIEW_STATUSES, required=True)
    version = version()


class ProjectReviewWritten(WriteReply):
    case_id = fields.UUID(required=True)
    status = one_of(PROJECT_REVIEW_STATUSES, required=True)
    version = version()


class Review(Reply):
    """A programme A case's review as the `reviews` read model holds it. Fields appear as it reaches them."""
    case_id = fields.UUID(required=True)
    programme = one_of(PROGRAMMES, required=True)
    unit_id = fields.UUID(required=True)
    status = one_of(REVIEW_STATUSES, required=True)
    submission = integer(min=1)
    category = text(64)
    auditor = text()
    correction_deadline = iso_date()
    scores = scores()
    conflicts = conflicts()
    award_fen = yuan_fen()
    rule = text(metadata={"description": "the rule the award amount follows"})
    decided_by = text()
    version = version()


class ProjectReview(Reply):
    """A programme B project's review."""
    case_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    expert_id = fields.UUID(required=True)
    kind = one_of(PROJECT_KINDS, required=True)
    project_funds_fen = integer(min=1, required=True)
    status = one_of(PROJECT_REVIEW_STATUSES, required=True)
    scores = scores()
    conflicts = conflicts()
    decided_by = text()
    filed_on = iso_date()
    reference = text(100, metadata={"description": "the office's filing number (备案号)"})
    version = version()
