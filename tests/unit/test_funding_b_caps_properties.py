"""No sequence of programme B commands and placement events pays more than the caps (四(二)1–4):
project subsidy ≤ its cap by kind, living subsidy ≤ 2,000 yuan × the months of the term, one prize,
breakthrough ≤ 5,000,000 yuan — and no key is ever paid twice at once. Arbitrary operations, in any
order, refused or not."""
import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import Refused

from shared.calendar import add_months
from services.funding.ledger import PAID
from services.funding.placement import PlacementFunding
from services.funding.placement_money import term_months

EDITION = "vice-president-2.0"
MONTHLY, PRIZE_MAX, BREAKTHROUGH_CAP = 200_000, 20_000_000, 500_000_000
CAPS = {"science_engineering": 30_000_000, "social_science_humanities": 10_000_000}
DECIDER, OFFICE = "wg-1", "fo-1"

ops = st.lists(st.one_of(
    st.tuples(st.just("advance"), st.integers(0, 120)),
    st.tuples(st.just("tick")),
    st.tuples(st.just("pay_all")),
    st.tuples(st.just("extend"), st.integers(-40, 400)),
    st.tuples(st.just("end"), st.integers(-60, 800)),
    st.tuples(st.just("expire"), st.integers(-60, 60)),
    st.tuples(st.just("prize"), st.sampled_from(["first", "second", "third"]), st.integers(2024, 2031)),
    st.tuples(st.just("breakthrough"), st.one_of(st.integers(1, 3_000_000_000),
                                                 st.integers(1_666_666_660, 1_666_666_680))),
    st.tuples(st.just("report"), st.integers(0, 60), st.sampled_from(["paid", "paid", "failed", "returned"])),
    st.tuples(st.just("retry"), st.integers(0, 60)),
), max_size=40)


def apply(funding: PlacementFunding, op, today: date) -> date:
    kind, *args = op
    keys = sorted(funding.disbursements)
    starts = funding.appointment["starts_on"]
    try:
        if kind == "advance":
            return today + timedelta(days=args[0])
        if kind == "tick":
            funding.tick(today)
        elif kind == "extend":
            funding.extend(funding.term_ends_on + timedelta(days=args[0]), "breakthrough", today)
        elif kind == "end":
            funding.end_early(starts + timedelta(days=args[0]), "left", today)
        elif kind == "expire":
            funding.expire(funding.term_ends_on + timedelta(days=args[0]), today)
        if kind == "prize":
            funding.award_prize(DECIDER, args[0], args[1], "selected", today)
        elif kind == "breakthrough":
            funding.grant_breakthrough(DECIDER, args[0], "investment", today)
        elif kind in ("report", "pay_all", "retry") and keys:
            if kind == "pay_all":
                for key in keys:
                    d = funding.disbursements[key]
                    if d.pending:
                        funding.report_payment(OFFICE, key, d.attempt, "paid", "bank", today, today)
            elif kind == "report":
                key = keys[args[0] % len(keys)]
                funding.report_payment(OFFICE, key, funding.disbursements[key].attempt, args[1], "bank", today,
                                       today)
            else:
                funding.retry(OFFICE, keys[args[0] % len(keys)], "again", today)
    except Refused:
        pass          # a refusal changes nothing
    return today


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(CAPS)), funds=st.one_of(st.integers(0, 100_000_000),
                                                           st.integers(59_999_990, 60_000_010)),
       start_offset=st.integers(0, 60), term_days=st.integers(1, 900), operations=ops)
def test_no_sequence_of_operations_pays_more_than_the_caps(kind, funds, start_offset, term_days, operations):
    starts = date(2025, 1, 1) + timedelta(days=start_offset)
    ends = starts + timedelta(days=term_days)
    funding = PlacementFunding(id=uuid.uuid4(), unit_id=uuid.uuid4(), expert_id=uuid.uuid4(),
                               cooperation_id=None, kind=kind, project_funds_fen=funds, policy_edition=EDITION)
    funding.appoint({"unit_id": funding.unit_id, "expert_id": funding.expert_id, "starts_on": starts,
                     "ends_on": ends, "kind": kind, "project_funds_fen": funds, "policy_edition": EDITION,
                     "appointed_by": "system:application", "appointment_event_id": uuid.uuid4()}, starts)
    today = starts
    for op in operations:
        today = apply(funding, op, today)
    funding.tick(today + timedelta(days=2000))        # whatever remains of the term, released

    def live(obligation):
        """What is owed or paid (not cancelled), net of what was claimed back."""
        return [d for d in funding.disbursements.values() if d.obligation_id == obligation and d.status != "cancelled"]

    project = sum(d.amount_fen for d in live("project_subsidy"))
    assert project <= min(CAPS[kind], (funds + 1) // 2)

    # the term the living subsidy covers, extensions included
    months = term_months(starts, funding.term_ends_on)
    assert sum(d.amount_fen for d in live("living_subsidy")) <= MONTHLY * months      # ever owed
    paid_net = funding.paid_fen("living_subsidy") - funding.recovered_fen()               # kept by the expert
    assert 0 <= paid_net <= MONTHLY * months
    if funding.ended or funding.expired:
        kept_months = term_months(starts, max(funding.stopped_on + timedelta(days=1), starts))
        assert paid_net <= MONTHLY * kept_months
    for d in live("living_subsidy"):
        assert d.period_starts_on >= starts and d.period_starts_on < add_months(starts, months)

    prizes = live("prize")
    assert len(prizes) <= 1 and sum(d.amount_fen for d in prizes) <= PRIZE_MAX
    if prizes:
        assert funding.expired and not funding.ended
    breakthroughs = live("breakthrough_subsidy")
    assert len(breakthroughs) <= 1 and sum(d.amount_fen for d in breakthroughs) <= BREAKTHROUGH_CAP
    for d in funding.disbursements.values():          # paid at most once at a time: only the last attempt
        paid_attempts = [i for i, a in enumerate(d.attempts) if a["status"] == PAID]
        assert paid_attempts in ([], [len(d.attempts) - 1])
