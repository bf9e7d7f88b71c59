"""Properties of the money rules over arbitrary sequences of commands (pure domain)."""
import uuid
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import policy
from shared.errors import Refused
from shared.policy import category_cap_fen

from services.funding.domain import CaseFunding
from services.review.domain import CaseReview
from tests.unit.unit_helpers import ready

POLICY = policy.current("A")
CAP_FEN = category_cap_fen(POLICY)
AUDITOR = "officer-1"
TODAY = date(2024, 12, 1)

amounts = st.one_of(
    st.integers(min_value=0, max_value=3 * CAP_FEN),
    st.integers(min_value=CAP_FEN - 2, max_value=CAP_FEN + 2),   # the edge, often
)
attempts = st.lists(st.tuples(st.sampled_from([AUDITOR, "decider-1", "decider-2"]), amounts), max_size=8)


def audited_review() -> CaseReview:
    """Audited by AUDITOR, paper copies in order, scored: ready for the working group."""
    return ready(AUDITOR)


def decisions(review: CaseReview, tries) -> list:
    for decider, amount in tries:
        try:
            review.decide_award(decider, amount, "reason", POLICY, TODAY)
        except Refused:
            pass
    return [e for e in review.collect_events() if type(e).__name__ == "AwardDecided"]


@settings(max_examples=300, deadline=None)
@given(attempts)
def test_no_award_ever_exceeds_the_policy_cap(tries):
    decided = decisions(audited_review(), tries)
    assert all(0 <= e.award_fen <= CAP_FEN for e in decided)
    assert len(decided) <= 1
    accepted = [(d, a) for d, a in tries if d != AUDITOR and a <= CAP_FEN]
    assert len(decided) == (1 if accepted else 0)            # the first acceptable attempt wins ...
    if decided:
        assert decided[0].award_fen == accepted[0][1]         # ... and nothing after it changes it


facts = st.fixed_dictionaries({
    "national_or_beijing_talent": st.booleans(),
    "earlier_award_fen": st.one_of(st.just(0), st.integers(min_value=1, max_value=CAP_FEN)),
})


@settings(max_examples=300, deadline=None)
@given(facts, attempts)
def test_no_sequence_of_decisions_pays_more_than_the_talents_caps(talent, tries):
    """Whoever asks for whatever: a national or Beijing talent is awarded nothing, and a
    re-applicant at most the difference (补差) up to the category's cap."""
    prior = talent["earlier_award_fen"]
    review = ready(AUDITOR, earlier_changju_category="leading" if prior else None, **talent)
    decided = decisions(review, tries)
    assert len(decided) <= 1
    ceiling = 0 if talent["national_or_beijing_talent"] else CAP_FEN - prior
    assert all(0 <= e.award_fen <= ceiling for e in decided)
    assert all(e.award_fen + e.prior_changju_award_fen <= CAP_FEN for e in decided)


@settings(max_examples=300, deadline=None)
@given(attempts, st.integers(min_value=1, max_value=4))
def test_funding_never_schedules_more_than_the_decided_award(tries, deliveries):
    decided = decisions(audited_review(), tries)
    funding = CaseFunding(id=uuid.uuid4(), programme="A")
    for event in decided * deliveries:                    # redelivered decisions
        funding.schedule_award(event.award_fen, date(2024, 11, 1), event.rule, event.policy_edition)
    award = decided[0].award_fen if decided else 0
    assert sum(funding.scheduled.values()) == award
    assert sum(funding.scheduled.values()) <= CAP_FEN


@settings(max_examples=200, deadline=None)
@given(st.lists(amounts, max_size=6))
def test_funding_schedules_at_most_one_award(awards):
    funding = CaseFunding(id=uuid.uuid4(), programme="A")
    for amount in awards:
        funding.schedule_award(amount, date(2024, 11, 1), "A.award.cap", "changju-2024")
    positive = [a for a in awards if a > 0]
    assert list(funding.scheduled.values()) == positive[:1]
