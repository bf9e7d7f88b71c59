"""RPC payloads of the review service."""
from marshmallow import fields, validate

from shared.contracts.base import ReadSchema, WriteSchema, integer, iso_date, reason, text, yuan_fen
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
