"""Integration events of programme B (科技副总) placements that the application service publishes,
by type and schema version. Merged into `shared.contracts.events.PAYLOADS`.

A placement is programme B's case: its stream id is the case id. Dates are Beijing calendar
dates; a term's `ends_on` is the first day no longer in the term (as every deadline here).
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.contracts.base import Reported, SourceRef, StrictSchema, iso_date, reason, text, yuan_fen

PROJECT_KINDS = ("science_engineering", "social_science_humanities")


class ProjectFiled(StrictSchema):
    """The company filed the cooperation project with its expert (立项申报)."""
    unit_id = fields.UUID(required=True)            # the company
    expert_id = fields.UUID(required=True)          # the one vice-president of this project
    cooperation_id = fields.UUID(required=True)
    title = text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(PROJECT_KINDS))
    project_funds_fen = yuan_fen(required=True)
    policy_edition = text(64, required=True)


class PlacementMilestone(StrictSchema):
    """What another service recorded: the filing (备案) in review, subsidies and payments in funding."""
    summary = text(required=True)
    source = fields.Nested(SourceRef, required=True)


class ReviewRecorded(PlacementMilestone):
    """The expert review's decision on the project."""
    approved = fields.Boolean(required=True)


class PlacementMilestoneV2(Reported):
    """v2: who acted in the source service (person and role), when it took effect in business
    time, and its facts (reason, rule, policy edition, amounts, the office's reference, dates)."""
    summary = text(required=True)


class ReviewRecordedV2(PlacementMilestoneV2):
    approved = fields.Boolean(required=True)


class AgreementRecorded(StrictSchema):
    """The three-party agreement (company, recommending institution, expert); the management mode
    and the ownership of IP and results are settled only if the parties chose to (可…作出约定)."""
    signed_on = iso_date(required=True)
    management_mode = text(400, required=True, allow_none=True)
    ip_ownership = text(400, required=True, allow_none=True)


class Appointed(StrictSchema):
    """The appointment letters are issued; the 2-year term runs from `starts_on` to `ends_on`."""
    unit_id = fields.UUID(required=True)
    expert_id = fields.UUID(required=True)
    post_title = text(required=True)
    starts_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(PROJECT_KINDS))
    project_funds_fen = yuan_fen(required=True)
    policy_edition = text(64, required=True)


class AppointedV2(Appointed):
    """v2: why an appointment that started before the day it was recorded is recorded late (else null)."""
    late_recording_reason = reason(required=True, allow_none=True)


class TermExtended(StrictSchema):
    """After a major breakthrough: a recorded decision with a new end date, still the same term."""
    previous_ends_on = iso_date(required=True)
    ends_on = iso_date(required=True)
    reason = reason(required=True)


class TerminatedEarly(StrictSchema):
    """The placement ended before its term: `ended_on` is the last day still in the term."""
    ended_on = iso_date(required=True)
    reason = reason(required=True)


class TermExpired(StrictSchema):
    ends_on = iso_date(required=True)


class EvaluationRecorded(StrictSchema):
    """The experts' evaluation at the end of the term: the expert's evaluation opinion (任职评价意见)."""
    opinion = reason(required=True)
    rating = text(32, required=True)


PLACEMENT_PAYLOADS: dict[tuple[str, int], type[StrictSchema]] = {
    ("application.placement.ProjectFiled", 1): ProjectFiled,
    ("application.placement.ReviewRecorded", 1): ReviewRecorded,
    ("application.placement.ReviewRecorded", 2): ReviewRecordedV2,
    ("application.placement.OfficeFilingRecorded", 1): PlacementMilestone,
    ("application.placement.OfficeFilingRecorded", 2): PlacementMilestoneV2,
    ("application.placement.AgreementRecorded", 1): AgreementRecorded,
    ("application.placement.Appointed", 1): Appointed,
    ("application.placement.Appointed", 2): AppointedV2,
    ("application.placement.TermExtended", 1): TermExtended,
    ("application.placement.TerminatedEarly", 1): TerminatedEarly,
    ("application.placement.TermExpired", 1): TermExpired,
    ("application.placement.EvaluationRecorded", 1): EvaluationRecorded,
    ("application.placement.FundingRecorded", 1): PlacementMilestone,
    ("application.placement.FundingRecorded", 2): PlacementMilestoneV2,
}
