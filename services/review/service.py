"""review: the nameko service. Entrypoints only translate calls into commands and queries."""
from shared.contracts import review as contracts
from shared.errors import not_found
from shared.platform import base  # not `import PlatformService`: `nameko run` would take it for a service
from shared.platform.endpoints import command, query
from shared.platform.store import EventStore

from services.review import commands, placement_endpoints   # the module: `nameko run` looks for services in ours
from services.review.app import REVIEWS, ReviewApplication


class ReviewService(placement_endpoints.ProjectReviewEndpoints, base.PlatformService, base.InboxService):
    name = "review"
    store = EventStore(ReviewApplication)

    @command(contracts.ApproveAudit, roles=("officer",))
    def approve_audit(self, call):
        """An officer approves the submitted case. Refuses: `review.audit.submitted`."""
        return call.handle(commands.ApproveAudit)

    @command(contracts.ReturnForCorrection, roles=("officer",))
    def return_for_correction(self, call):
        """An officer returns the submitted case with a reason per item and a correction deadline.
        Refuses: `review.audit.submitted`, `A.correction.deadline` (a deadline in the past)."""
        return call.handle(commands.ReturnForCorrection)

    @command(contracts.DeclareConflict, roles=("reviewer",))
    def declare_conflict(self, call):
        """A reviewer declares a conflict of interest; they can no longer score the case.
        Refuses: `review.decided`."""
        return call.handle(commands.DeclareConflict)

    @command(contracts.Score, roles=("reviewer",))
    def score(self, call):
        """A reviewer's score (0–100) and opinion; a later score replaces their earlier one.
        Refuses: `review.score.after_audit`, `review.conflict_of_interest`, `review.score.range`, `review.decided`."""
        return call.handle(commands.Score)

    @command(contracts.DecideAward, roles=("decision_maker",))
    def decide_award(self, call):
        """The working group's decision, recorded with the policy edition of the case's call in force today,
        every figure the support uses (caps, months, years, frequency), the reference dates and the
        inputs. Refuses: `policy.edition.not_in_force` (no edition of the call is in force today),
        `review.decision.after_paper` (audit passed and compliant paper copies first),
        `review.decision.scored`, `separation_of_duties.audit_decide` (whoever audited cannot decide),
        `A.award.cap` (≤ 2,000,000), `A.award.national_or_beijing_talent` (no award money),
        `A.award.top_up` (a re-applicant: at most the difference), `review.decision.programme`."""
        return call.handle(commands.DecideAward)

    @command(contracts.Decline, roles=("decision_maker",))
    def decline(self, call):
        """The working group does not select the talent; the case ends without award or support.
        Refuses: `review.decision.after_paper`, `review.decision.scored`, `separation_of_duties.audit_decide`,
        `review.decision.programme`, `policy.edition.not_in_force`."""
        return call.handle(commands.Decline)

    @query(contracts.ReviewQuery, roles=("officer", "reviewer", "decision_maker", "auditor"))
    def review(self, call):
        """The case's review: status, auditor, reviewers' scores, conflicts, award."""
        doc = self.store.views.get(REVIEWS, str(call.data["case_id"]))
        if doc is None:
            raise not_found("case under review", call.data["case_id"])
        return doc
