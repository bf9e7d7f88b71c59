"""The review service's programme B entrypoints (project review and 备案), mixed into ReviewService."""
from shared.contracts import review as contracts
from shared.errors import not_found
from shared.platform.endpoints import command, query

from services.review import commands
from services.review.placement_reviews import PROJECT_REVIEWS


class ProjectReviewEndpoints:
    @command(contracts.DeclareConflict, roles=("reviewer",))
    def declare_project_conflict(self, call):
        """A reviewer declares a conflict of interest with a programme B project; they cannot score it.
        Refuses: `review.decided`."""
        return call.handle(commands.DeclareProjectConflict)

    @command(contracts.Score, roles=("reviewer",))
    def score_project(self, call):
        """An expert reviewer's score (0–100) and opinion of a filed cooperation project.
        Refuses: `review.conflict_of_interest`, `review.score.range`, `review.decided`."""
        return call.handle(commands.ScoreProject)

    @command(contracts.DecideProject, roles=("decision_maker",))
    def decide_project(self, call):
        """The S&T commission approves or rejects the project after the expert review (评审).
        Refuses: `review.decision.scored`, `separation_of_duties.review_decide` (whoever scored cannot
        decide), `review.decided`, `policy.edition.not_in_force` (the project's scheme edition is no longer
        in force today)."""
        return call.handle(commands.DecideProject)

    @command(contracts.FileWithOffice, roles=("officer",))
    def file_with_office(self, call):
        """The approved project is filed (备案) with the district talent-work office.
        Refuses: `B.project.filing_after_approval`."""
        return call.handle(commands.FileWithOffice)

    @query(contracts.ReviewQuery, roles=("officer", "reviewer", "decision_maker", "auditor"))
    def project_review(self, call):
        """A programme B project's review: status, scores, conflicts, decision, filing."""
        doc = self.store.views.get(PROJECT_REVIEWS, str(call.data["case_id"]))
        if doc is None:
            raise not_found("project under review", call.data["case_id"])
        return doc
