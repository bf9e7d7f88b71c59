"""The review Application on a real (SQLite) store: each command's handler acts as the caller
(`uow.actor`), and what it records carries the caller's metadata."""
import uuid

import pytest

from shared.errors import NotFound, Refused

from services.review import commands
from services.review.app import ReviewApplication
from services.review.placement import PlacementReview
from tests.unit.unit_helpers import SOURCE, handled, meta_for, submitted

SYSTEM = meta_for("system:review", "system")


@pytest.fixture
def review(make_app) -> ReviewApplication:
    return make_app(ReviewApplication)


def scored_case(review: ReviewApplication, auditor: str = "officer-1"):
    """A case audited by `auditor`, its paper copies in order, scored by reviewer-1."""
    case = submitted()
    review.record(SYSTEM, case)
    handled(review, commands.ApproveAudit(case_id=case.id, reason="材料齐全"), auditor, "officer")
    paper = review.review(case.id)
    paper.check_paper(True, SOURCE)
    review.record(SYSTEM, paper)
    handled(review, commands.Score(case_id=case.id, score=90, opinion="好"), "reviewer-1", "reviewer")
    return case


def test_the_decision_is_recorded_as_the_decider_s_and_the_audit_as_the_auditor_s(review):
    case = scored_case(review)
    result = handled(review, commands.DecideAward(case_id=case.id, award_fen=1_000, reason="评审通过"),
                     "decider-1", "decision_maker")
    assert result == {"case_id": str(case.id), "status": "award_decided", "version": 6}
    recorded = {type(e).__name__: e for e in review.events.get(case.id)}
    assert recorded["AuditApproved"].auditor == "officer-1"
    assert recorded["Scored"].reviewer == "reviewer-1"
    assert recorded["AwardDecided"].meta["actor"]["actor_id"] == "decider-1"


def test_whoever_audited_cannot_decide_through_the_application_either(review):
    case = scored_case(review, auditor="officer-1")
    with pytest.raises(Refused) as caught:
        handled(review, commands.Decline(case_id=case.id, reason="r"), "officer-1", "decision_maker")
    assert caught.value.rule == "separation_of_duties.audit_decide"


def test_a_project_s_scorer_cannot_decide_it(review):
    project = PlacementReview(id=uuid.uuid4(), unit_id=uuid.uuid4(), expert_id=uuid.uuid4(),
                              kind="science_engineering", project_funds_fen=70_000_000,
                              policy_edition="vice-president-2.0")
    review.record(SYSTEM, project)
    handled(review, commands.ScoreProject(case_id=project.id, score=85, opinion="可行"), "reviewer-1", "reviewer")
    with pytest.raises(Refused) as caught:
        handled(review, commands.DecideProject(case_id=project.id, approve=True, reason="r"), "reviewer-1",
                "decision_maker")
    assert caught.value.rule == "separation_of_duties.review_decide"
    result = handled(review, commands.DecideProject(case_id=project.id, approve=True, reason="评审通过"), "decider-1",
                     "decision_maker")
    assert result == {"case_id": str(project.id), "status": "approved", "version": 3}


def test_a_case_command_names_a_case_under_review(review):
    project = PlacementReview(id=uuid.uuid4(), unit_id=uuid.uuid4(), expert_id=uuid.uuid4(),
                              kind="science_engineering", project_funds_fen=70_000_000,
                              policy_edition="vice-president-2.0")
    review.record(SYSTEM, project)
    with pytest.raises(NotFound) as caught:
        handled(review, commands.Score(case_id=project.id, score=1, opinion="x"), "reviewer-1", "reviewer")
    assert caught.value.message == f"case under review {project.id} does not exist"
