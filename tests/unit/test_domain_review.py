"""A case's review: audit, reviewers, separation of duties, and the award's cap, the national
talent's zero and the re-applicant's top-up. Pure domain, no store."""
import uuid
from datetime import date

import pytest

from shared import policy
from shared.errors import Refused
from shared.policy import category_cap_fen

from services.review.domain import CaseReview
from tests.unit.unit_helpers import SOURCE, audited, ready, submission, submitted

POLICY_A = policy.current("A")
CAP_FEN = 200_000_000      # 2,000,000 yuan: 奖励资金最高200万元
TODAY = date(2024, 12, 1)


def decide(review, amount, decider="decider-1", edition=POLICY_A):
    review.decide_award(decider, amount, "评审通过", edition, TODAY)


def rule_of(call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    assert caught.value.code == "rule_violation"
    return caught.value.rule


def test_the_policy_edition_caps_the_award_at_two_million_yuan():
    assert category_cap_fen(POLICY_A) == CAP_FEN
    assert POLICY_A["edition"] == "changju-2024"


def test_a_review_awaits_its_audit_once_submitted():
    review = CaseReview(id=uuid.uuid4(), programme="A", unit_id=uuid.uuid4())
    assert review.status == "draft"
    assert rule_of(review.approve_audit, "officer-1", "r") == "review.audit.submitted"
    assert submitted().status == "awaiting_audit"


def test_an_audit_is_approved_once():
    review = audited("officer-1")
    assert (review.status, review.auditors) == ("audit_approved", ["officer-1"])
    assert rule_of(review.approve_audit, "officer-2", "again") == "review.audit.submitted"


def test_a_return_names_each_item_and_a_deadline_not_in_the_past():
    review = submitted()
    items = [{"item": "work_contract", "reason": "合同已过期"}]
    assert rule_of(review.return_for_correction, "officer-1", "补正", items, date(2024, 11, 30),
                   TODAY) == "A.correction.deadline"
    review.return_for_correction("officer-1", "补正", items, TODAY, TODAY)
    returned = review.collect_events()[-1]
    assert (returned.items, returned.correction_deadline, review.status) == (items, TODAY, "returned")
    review.receive_submission(submission(submission=2), SOURCE)
    assert review.status == "awaiting_audit"


def test_no_decision_before_the_paper_copies_are_in_order():
    review = audited()
    review.score("reviewer-1", 80, "好")
    assert rule_of(review.decide_award, "decider-1", 100, "r", POLICY_A, TODAY) == "review.decision.after_paper"
    review.check_paper(False, SOURCE)
    assert review.status == "audit_approved"


def test_no_decision_before_a_reviewer_scored():
    review = audited()
    review.check_paper(True, SOURCE)
    assert rule_of(review.decide_award, "decider-1", 100, "r", POLICY_A, TODAY) == "review.decision.scored"


def test_a_reviewer_who_declared_a_conflict_cannot_score():
    review = audited()
    review.declare_conflict("reviewer-2", "曾与申报人合作")
    assert rule_of(review.score, "reviewer-2", 70, "x") == "review.conflict_of_interest"
    review.score("reviewer-3", 70, "良好")
    assert review.scores == {"reviewer-3": 70}


@pytest.mark.parametrize("score, ok", [(-1, False), (0, True), (100, True), (101, False)])
def test_a_score_is_from_0_to_100(score, ok):
    review = audited()
    if ok:
        review.score("reviewer-1", score, "x")
    else:
        assert rule_of(review.score, "reviewer-1", score, "x") == "review.score.range"


def test_whoever_audited_cannot_decide_the_award():
    review = ready("officer-1")
    assert rule_of(review.decide_award, "officer-1", 100, "r", POLICY_A, TODAY) == "separation_of_duties.audit_decide"
    assert review.status == "paper_delivered"


def test_exactly_the_cap_is_accepted_and_one_fen_more_refused():
    review = ready()
    with pytest.raises(Refused) as caught:
        review.decide_award("decider-1", CAP_FEN + 1, "r", POLICY_A, TODAY)
    assert caught.value.rule == "A.award.cap" and "award_fen" in caught.value.fields
    decide(review, CAP_FEN)
    assert (review.status, review.award_fen) == ("award_decided", CAP_FEN)


def test_a_decision_records_rule_edition_dates_and_inputs():
    review = ready()
    decide(review, 150_000_000)
    decided = review.collect_events()[-1]
    assert type(decided).__name__ == "AwardDecided"
    assert (decided.award_fen, decided.rule, decided.policy_edition) == (150_000_000, "A.award.cap", "changju-2024")
    assert (decided.category, decided.effective_on, decided.prior_changju_award_fen) == ("outstanding", TODAY, 0)
    assert decided.inputs["cap_fen"] == CAP_FEN and decided.inputs["scores"] == {"reviewer-1": 90}
    assert decided.inputs["age_reference_date"] == "2024-10-20"


def test_a_national_or_beijing_talent_gets_no_award_money():
    review = ready(national_or_beijing_talent=True)
    assert rule_of(review.decide_award, "decider-1", 1, "r", POLICY_A, TODAY) == "A.award.national_or_beijing_talent"
    decide(review, 0)
    assert review.collect_events()[-1].rule == "A.award.national_or_beijing_talent"


def test_a_reapplicant_gets_only_the_difference():
    """三(一) 补差: 500,000 already awarded leaves at most 1,500,000."""
    prior = 50_000_000
    review = ready(earlier_changju_category="leading", earlier_award_fen=prior)
    assert rule_of(review.decide_award, "decider-1", CAP_FEN - prior + 1, "r", POLICY_A, TODAY) == "A.award.top_up"
    decide(review, CAP_FEN - prior)
    decided = review.collect_events()[-1]
    assert (decided.rule, decided.prior_changju_award_fen, decided.award_fen) == ("A.award.top_up", prior,
                                                                                   CAP_FEN - prior)


def test_an_award_is_decided_once():
    review = ready()
    decide(review, 100)
    assert rule_of(review.decide_award, "decider-2", 200, "r", POLICY_A, TODAY) == "review.decision.after_paper"
    assert review.award_fen == 100


def test_a_programme_b_case_gets_no_award_decision():
    """Programme B's money follows the placement, not an award: the decision is refused by a named rule."""
    review = ready(programme="B")
    with pytest.raises(Refused) as caught:
        decide(review, 100, edition=policy.current("B"))
    assert caught.value.rule == "review.decision.programme"


def test_the_working_group_may_decline_and_then_nothing_more_is_decided():
    review = ready()
    assert rule_of(review.decline, "officer-1", "r", POLICY_A) == "separation_of_duties.audit_decide"
    review.decline("decider-1", "未入选", POLICY_A)
    assert rule_of(review.decide_award, "decider-1", 1, "r", POLICY_A, TODAY) == "review.decision.after_paper"
    declined = review.collect_events()[-1]
    assert (type(declined).__name__, declined.scores, review.status) == ("NotSelected", {"reviewer-1": 90},
                                                                        "not_selected")
    assert rule_of(review.score, "reviewer-2", 50, "x") == "review.decided"
