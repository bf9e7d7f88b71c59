"""The review service's Application."""
from __future__ import annotations

from shared import policy
from shared.errors import not_found
from shared.eventstore.application import ServiceApplication, check_version
from shared.eventstore.projection import Projection
from shared.messaging.inbox import source_ref

from services.review.domain import CaseReview
from services.review.placement_reviews import ProjectReviewCommands, ProjectReviewsView

REVIEWS = "reviews"


class ReviewsView(Projection):
    name = "reviews"
    collections = (REVIEWS,)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, CaseReview.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(REVIEWS, key) or {"case_id": key, "scores": {}, "conflicts": []}
        if isinstance(event, CaseReview.Opened):
            doc.update(programme=event.programme, unit_id=str(event.unit_id), status="draft")
        elif isinstance(event, CaseReview.SubmissionReceived):
            doc.update(status="awaiting_audit", submission=event.submission["submission"],
                       category=event.submission["category"])
        elif isinstance(event, CaseReview.AuditApproved):
            doc.update(status="audit_approved", auditor=event.auditor)
        elif isinstance(event, CaseReview.AuditReturned):
            doc.update(status="returned", auditor=event.auditor, correction_deadline=event.correction_deadline.isoformat())
        elif isinstance(event, CaseReview.PaperChecked) and doc["status"] in ("audit_approved", "paper_delivered"):
            doc.update(status="paper_delivered" if event.compliant else "audit_approved")
        elif isinstance(event, CaseReview.ConflictDeclared):
            doc["conflicts"] = [*doc["conflicts"], event.reviewer]
        elif isinstance(event, CaseReview.Scored):
            doc["scores"] = {**doc["scores"], event.reviewer: event.score}
        elif isinstance(event, CaseReview.NotSelected):
            doc.update(status="not_selected", decided_by=event.meta["actor"]["actor_id"])
        elif isinstance(event, CaseReview.AwardDecided):
            doc.update(status="award_decided", award_fen=event.award_fen, rule=event.rule,
                       decided_by=event.meta["actor"]["actor_id"])
        doc["version"] = event.originator_version
        docs.put(REVIEWS, key, doc)


class ReviewApplication(ProjectReviewCommands, ServiceApplication):
    name = "review"

    def projections(self):
        return (ReviewsView(), ProjectReviewsView())

    def inbound_handlers(self):
        return {"application.case.Filed": self._case_filed,
                "application.case.Submitted": self._case_submitted,
                "application.case.PaperDeliveryRecorded": self._paper_recorded,
                **self.project_review_handlers()}

    def _case_filed(self, envelope):
        payload = envelope["payload"]
        yield CaseReview(id=envelope["case_id"], programme=payload["programme"], unit_id=payload["unit_id"])

    def _case_submitted(self, envelope):
        review, payload = self.review(envelope["case_id"]), envelope["payload"]
        review.receive_submission({key: payload[key] for key in (
            "submission", "category", "national_or_beijing_talent", "earlier_changju_category", "earlier_award_fen",
            "eligibility")}, source_ref(envelope))
        yield review

    def _paper_recorded(self, envelope):
        review = self.review(envelope["case_id"])
        review.check_paper(envelope["payload"]["compliant"], source_ref(envelope))
        yield review

    def review(self, case_id) -> CaseReview:
        review = self.get_or_none(case_id)
        if not isinstance(review, CaseReview):
            raise not_found("case under review", case_id)
        return review

    # -- commands ---------------------------------------------------------------------
    def approve_audit(self, case_id, auditor: str, reason: str, expected_version=None):
        return self._on_review(case_id, expected_version, lambda review: review.approve_audit(auditor, reason))

    def return_for_correction(self, case_id, auditor: str, reason: str, items: list[dict], correction_deadline,
                              expected_version=None):
        return self._on_review(case_id, expected_version, lambda review: review.return_for_correction(
            auditor, reason, items, correction_deadline, self.clock.today()))

    def declare_conflict(self, case_id, reviewer: str, reason: str, expected_version=None):
        return self._on_review(case_id, expected_version, lambda review: review.declare_conflict(reviewer, reason))

    def score(self, case_id, reviewer: str, score: int, opinion: str, expected_version=None):
        return self._on_review(case_id, expected_version, lambda review: review.score(reviewer, score, opinion))

    def decide_award(self, case_id, decider: str, award_fen: int, reason: str, expected_version=None):
        return self._on_review(case_id, expected_version, lambda review: review.decide_award(
            decider, award_fen, reason, policy.edition(review.edition), self.clock.today()))

    def decline(self, case_id, decider: str, reason: str, expected_version=None):
        return self._on_review(case_id, expected_version, lambda review: review.decline(
            decider, reason, policy.edition(review.edition)))

    def _on_review(self, case_id, expected_version, change):
        def action():
            review = self.review(case_id)
            check_version(review, expected_version)
            change(review)
            return {"case_id": str(case_id), "status": review.status, "version": review.version}, [review]
        return action
