"""A programme B project's review: scores, conflicts, the decision and the filing (备案). Pure domain."""
import uuid
from datetime import date

import pytest

from services.review.placement import PlacementReview
from shared.errors import Refused


def opened() -> PlacementReview:
    return PlacementReview(id=uuid.uuid4(), unit_id=uuid.uuid4(), expert_id=uuid.uuid4(),
                           kind="science_engineering", project_funds_fen=70_000_000,
                           policy_edition="vice-president-2.0")


def rule_of(call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value.rule


def test_a_project_is_decided_after_a_score_and_not_by_whoever_scored_it():
    review = opened()
    assert rule_of(review.decide, "decider-1", True, "r") == "review.decision.scored"
    review.score("reviewer-1", 85, "可行")
    assert rule_of(review.decide, "reviewer-1", True, "r") == "separation_of_duties.review_decide"
    review.decide("decider-1", True, "评审通过")
    approved = review.collect_events()[-1]
    assert (type(approved).__name__, approved.scores, approved.policy_edition) == (
        "ProjectApproved", {"reviewer-1": 85}, "vice-president-2.0")


def test_a_conflicted_reviewer_cannot_score():
    review = opened()
    review.declare_conflict("reviewer-2", "同单位")
    assert rule_of(review.score, "reviewer-2", 90, "x") == "review.conflict_of_interest"


def test_only_an_approved_project_is_filed_with_the_office_once():
    review = opened()
    assert rule_of(review.file_with_office, date(2025, 3, 1), "BA-1") == "B.project.filing_after_approval"
    review.score("reviewer-1", 40, "不足")
    review.decide("decider-1", False, "未通过")
    assert rule_of(review.file_with_office, date(2025, 3, 1), "BA-1") == "B.project.filing_after_approval"
    assert review.status == "rejected"


@pytest.mark.parametrize("score, ok", [(-1, False), (0, True), (100, True), (101, False)])
def test_a_project_score_is_from_0_to_100_and_a_later_one_replaces_the_earlier(score, ok):
    review = opened()
    review.score("reviewer-1", 50, "初评")
    if ok:
        review.score("reviewer-1", score, "复评")
        assert review.scores == {"reviewer-1": score}
    else:
        assert rule_of(review.score, "reviewer-1", score, "x") == "review.score.range"


def test_a_conflict_is_declared_once():
    review = opened()
    review.declare_conflict("reviewer-2", "同单位")
    review.declare_conflict("reviewer-2", "同单位")
    assert [type(e).__name__ for e in review.collect_events()] == ["Opened", "ConflictDeclared"]
