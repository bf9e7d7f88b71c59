"""The review service's Application: programme A's case reviews (inbound events from application,
commands, read model); programme B's project reviews are mixed in from placement_reviews.py."""
from __future__ import annotations

from shared import policy
from shared.errors import not_found
from shared.eventstore.application import ServiceApplication, check_version, handles
from shared.eventstore.projection import Projection
from shared.messaging.inbox import source_ref

from services.review import commands
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

    @staticmethod
    def _case_filed(envelope, uow) -> None:
        payload = envelope["payload"]
        uow.add(CaseReview(id=envelope["case_id"], programme=payload["programme"], unit_id=payload["unit_id"]))

    @staticmethod
    def _case_submitted(envelope, uow) -> None:
        review, payload = _review(uow, envelope["case_id"]), envelope["payload"]
        review.receive_submission({key: payload[key] for key in (
            "submission", "category", "national_or_beijing_talent", "earlier_changju_category", "earlier_award_fen",
            "eligibility")}, source_ref(envelope))

    @staticmethod
    def _paper_recorded(envelope, uow) -> None:
        _review(uow, envelope["case_id"]).check_paper(envelope["payload"]["compliant"], source_ref(envelope))

    # -- commands ---------------------------------------------------------------------
    @handles(commands.ApproveAudit)
    def approve_audit(self, command, uow) -> dict:
        review = _review(uow, command.case_id, command.expected_version)
        review.approve_audit(uow.actor.actor_id, command.reason)
        return _result(review)

    @handles(commands.ReturnForCorrection)
    def return_for_correction(self, command, uow) -> dict:
        review = _review(uow, command.case_id, command.expected_version)
        review.return_for_correction(uow.actor.actor_id, command.reason, command.items, command.correction_deadline,
                                     self.clock.today())
        return _result(review)

    @handles(commands.DeclareConflict)
    def declare_conflict(self, command, uow) -> dict:
        review = _review(uow, command.case_id, command.expected_version)
        review.declare_conflict(uow.actor.actor_id, command.reason)
        return _result(review)

    @handles(commands.Score)
    def score(self, command, uow) -> dict:
        review = _review(uow, command.case_id, command.expected_version)
        review.score(uow.actor.actor_id, command.score, command.opinion)
        return _result(review)

    @handles(commands.DecideAward)
    def decide_award(self, command, uow) -> dict:
        review = _review(uow, command.case_id, command.expected_version)
        today = self.clock.today()
        review.decide_award(uow.actor.actor_id, command.award_fen, command.reason,
                            policy.in_force(policy.series_of(review.edition), today), today)
        return _result(review)

    @handles(commands.Decline)
    def decline(self, command, uow) -> dict:
        review = _review(uow, command.case_id, command.expected_version)
        review.decline(uow.actor.actor_id, command.reason,
                       policy.in_force(policy.series_of(review.edition), self.clock.today()))
        return _result(review)

    # -- queries ----------------------------------------------------------------------
    def review(self, case_id) -> CaseReview:
        review = self.get_or_none(case_id)
        if not isinstance(review, CaseReview):
            raise not_found("case under review", case_id)
        return review


def _review(uow, case_id, expected_version=None) -> CaseReview:
    review = uow.get(CaseReview, case_id, "case under review")
    check_version(review, expected_version)
    return review


def _result(review: CaseReview) -> dict:
    return {"case_id": str(review.id), "status": review.status, "version": review.version}
