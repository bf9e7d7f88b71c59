"""A programme B project's review (seed 003 三(三)): the district S&T commission has experts review
the filed cooperation project, decides, and the approved project is filed (备案) with the district
talent-work office. Pure domain.

    opened ─(scores)─▶ approved ─▶ filed_with_office
                   └─▶ rejected

Separation of duties: a reviewer who declared a conflict of interest cannot score the project, and
whoever scored it cannot decide it (the scoring rules, shared with programme A, are in scoring.py).
"""
from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream

from services.review import scoring

DECISION = scoring.DecisionRules(
    barred_rule="separation_of_duties.review_decide", barred_message="whoever scored a project cannot decide it",
    unscored_message="the project is decided after at least one expert scored it")


class PlacementReview(Stream):
    STREAM = "placement_review"
    CASE_STREAM = True

    @event("Opened")
    def __init__(self, id: UUID, unit_id: UUID, expert_id: UUID, kind: str, project_funds_fen: int,  # noqa: A002
                 policy_edition: str):
        self.unit_id, self.expert_id, self.kind = unit_id, expert_id, kind
        self.project_funds_fen, self.policy_edition = project_funds_fen, policy_edition
        self.status = "under_review"
        self.scores: dict[str, int] = {}
        self.conflicts: list[str] = []

    def declare_conflict(self, reviewer: str, reason: str) -> None:
        self._require("under_review", "review.decided", "the project is decided")
        if scoring.is_new_conflict(reviewer, self.conflicts):
            self._conflict_declared(reviewer=reviewer, reason=reason)

    def score(self, reviewer: str, score: int, opinion: str) -> None:
        self._require("under_review", "review.decided", "the project is decided")
        scoring.check_score(reviewer, score, self.conflicts, "project")
        self._scored(reviewer=reviewer, score=score, opinion=opinion)

    def decide(self, decider: str, approve: bool, reason: str, policy_edition: str | None = None) -> None:
        """`policy_edition`: the edition of the project's series in force on the decision's date (the
        caller refuses with policy.edition.not_in_force when none is); by default the filing's."""
        self._require("under_review", "review.decided", "the project is decided")
        scoring.check_decider(decider, self.scores, self.scores, DECISION)
        if approve:
            self._approved(reason=reason, scores=dict(self.scores),
                           policy_edition=policy_edition or self.policy_edition)
        else:
            self._rejected(reason=reason, scores=dict(self.scores))

    def file_with_office(self, filed_on: date, reference: str) -> None:
        self._require("approved", "B.project.filing_after_approval",
                      "an approved project is filed with the talent-work office")
        self._filed(filed_on=filed_on, reference=reference)

    def _require(self, status: str, rule: str, message: str) -> None:
        if self.status != status:
            raise rule_violation(rule, f"{message}; the project review is {self.status}",
                                 fields={"case_id": [f"project review is {self.status}"]})

    @event("ConflictDeclared")
    def _conflict_declared(self, reviewer: str, reason: str):
        self.conflicts.append(reviewer)

    @event("Scored")
    def _scored(self, reviewer: str, score: int, opinion: str):
        scoring.replace_score(self.scores, reviewer, score)

    @event("ProjectApproved")
    def _approved(self, reason: str, scores: dict, policy_edition: str):
        self.status = "approved"

    @event("ProjectRejected")
    def _rejected(self, reason: str, scores: dict):
        self.status = "rejected"

    @event("FiledWithOffice")
    def _filed(self, filed_on: date, reference: str):
        self.status = "filed_with_office"
