"""The review service's programme B side: project reviews (commands, the filing that opens them,
and their read model). Mixed into `ReviewApplication`; the rules are in placement.py."""
from __future__ import annotations

from shared.errors import not_found
from shared.eventstore.application import check_version
from shared.eventstore.projection import Projection

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

    def _project_filed(self, envelope):
        p = envelope["payload"]
        yield PlacementReview(id=envelope["case_id"], unit_id=p["unit_id"], expert_id=p["expert_id"], kind=p["kind"],
                              project_funds_fen=p["project_funds_fen"], policy_edition=p["policy_edition"])

    def project_review(self, case_id) -> PlacementReview:
        review = self.get_or_none(case_id)
        if not isinstance(review, PlacementReview):
            raise not_found("project under review", case_id)
        return review

    def declare_project_conflict(self, case_id, reviewer: str, reason: str, expected_version=None):
        return self._on_project(case_id, expected_version, lambda r: r.declare_conflict(reviewer, reason))

    def score_project(self, case_id, reviewer: str, score: int, opinion: str, expected_version=None):
        return self._on_project(case_id, expected_version, lambda r: r.score(reviewer, score, opinion))

    def decide_project(self, case_id, decider: str, approve: bool, reason: str, expected_version=None):
        return self._on_project(case_id, expected_version, lambda r: r.decide(decider, approve, reason))

    def file_with_office(self, case_id, reference: str, expected_version=None):
        return self._on_project(case_id, expected_version,
                                lambda r: r.file_with_office(self.clock.today(), reference))

    def _on_project(self, case_id, expected_version, change):
        def action():
            review = self.project_review(case_id)
            check_version(review, expected_version)
            change(review)
            return {"case_id": str(case_id), "status": review.status, "version": review.version}, [review]
        return action
