"""The review service's programme B side: project reviews (commands, the filing that opens them,
and their read model). Mixed into `ReviewApplication`; the rules are in placement.py."""
from __future__ import annotations

from shared import policy
from shared.eventstore.application import check_version, handles
from shared.eventstore.projection import Projection

from services.review import commands
from services.review.placement import PlacementReview

PROJECT_REVIEWS = "project_reviews"


class ProjectReviewsView(Projection):
    name = "project_reviews"
    collections = (PROJECT_REVIEWS,)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, PlacementReview.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(PROJECT_REVIEWS, key) or {"case_id": key, "scores": {}, "conflicts": []}
        if isinstance(event, PlacementReview.Opened):
            doc.update(unit_id=str(event.unit_id), expert_id=str(event.expert_id), kind=event.kind,
                       project_funds_fen=event.project_funds_fen, status="under_review")
        elif isinstance(event, PlacementReview.ConflictDeclared):
            doc["conflicts"] = [*doc["conflicts"], event.reviewer]
        elif isinstance(event, PlacementReview.Scored):
            doc["scores"] = {**doc["scores"], event.reviewer: event.score}
        elif isinstance(event, PlacementReview.ProjectApproved | PlacementReview.ProjectRejected):
            approved = isinstance(event, PlacementReview.ProjectApproved)
            doc.update(status="approved" if approved else "rejected", decided_by=event.meta["actor"]["actor_id"])
        elif isinstance(event, PlacementReview.FiledWithOffice):
            doc.update(status="filed_with_office", filed_on=event.filed_on.isoformat(), reference=event.reference)
        doc["version"] = event.originator_version
        docs.put(PROJECT_REVIEWS, key, doc)


class ProjectReviewCommands:
    """Programme B's project review (needs a ServiceApplication)."""

    def project_review_handlers(self) -> dict:
        return {"application.placement.ProjectFiled": self._project_filed}

    @staticmethod
    def _project_filed(envelope, uow) -> None:
        p = envelope["payload"]
        uow.add(PlacementReview(id=envelope["case_id"], unit_id=p["unit_id"], expert_id=p["expert_id"], kind=p["kind"],
                                project_funds_fen=p["project_funds_fen"], policy_edition=p["policy_edition"]))

    @handles(commands.DeclareProjectConflict)
    def declare_project_conflict(self, command, uow) -> dict:
        review = _project(uow, command.case_id, command.expected_version)
        review.declare_conflict(uow.actor.actor_id, command.reason)
        return _result(review)

    @handles(commands.ScoreProject)
    def score_project(self, command, uow) -> dict:
        review = _project(uow, command.case_id, command.expected_version)
        review.score(uow.actor.actor_id, command.score, command.opinion)
        return _result(review)

    @handles(commands.DecideProject)
    def decide_project(self, command, uow) -> dict:
        review = _project(uow, command.case_id, command.expected_version)
        in_force = policy.in_force(policy.series_of(review.policy_edition), self.clock.today())
        review.decide(uow.actor.actor_id, command.approve, command.reason, in_force["edition"])
        return _result(review)

    @handles(commands.FileWithOffice)
    def file_with_office(self, command, uow) -> dict:
        review = _project(uow, command.case_id, command.expected_version)
        review.file_with_office(self.clock.today(), command.reference)
        return _result(review)


def _project(uow, case_id, expected_version) -> PlacementReview:
    review = uow.get(PlacementReview, case_id, "project under review")
    check_version(review, expected_version)
    return review


def _result(review: PlacementReview) -> dict:
    return {"case_id": str(review.id), "status": review.status, "version": review.version}
