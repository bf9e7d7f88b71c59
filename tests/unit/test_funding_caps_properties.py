"""No sequence of funding commands pays more than the caps (三(一), 三(二)(4), 三(二)(7)), pays a key
twice, or schedules anything past an end. Arbitrary commands, in any order, refused or not."""
import uuid
from collections import defaultdict
from datetime import date, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from shared import policy
from shared.errors import Refused
from shared.policy.figures import changju_figures

from shared.calendar import add_months
from services.funding.domain import PAID, CaseFunding

START = date(2025, 1, 1)
AWARD_CAP, RENT_CAP, MONTHS, YEARLY = 200_000_000, 1_500_000, 36, 5_000_000

ops = st.lists(st.one_of(
    st.tuples(st.just("advance"), st.integers(0, 200)),
    st.tuples(st.just("tick")),
    st.tuples(st.just("pay_all")),
    st.tuples(st.just("housing"), st.sampled_from(["flat", "rent_subsidy"]),
              st.one_of(st.integers(1, 4_000_000), st.integers(RENT_CAP - 1, RENT_CAP + 1)), st.integers(-10, 400),
              st.sampled_from([1, 1, 2, 3, 12])),
    st.tuples(st.just("claim"), st.integers(-400, 0), st.integers(1, 6_000_000),
              st.sampled_from(["training", "travel", "shopping"])),
    st.tuples(st.just("report"), st.integers(0, 40), st.sampled_from(["paid", "paid", "failed", "returned"]),
              st.integers(0, 2)),
    st.tuples(st.just("retry"), st.integers(0, 40)),
    st.tuples(st.just("end"), st.integers(-300, 0)),
), max_size=50)


def apply(funding: CaseFunding, op, today: date) -> date:
    kind, *args = op
    keys = sorted(funding.disbursements)
    try:
        if kind == "advance":
            return today + timedelta(days=args[0])
        if kind == "tick":
            funding.tick(today)
        elif kind == "housing":
            choice, rent, offset, frequency = args
            funding.choose_housing(choice, today, monthly_rent_fen=rent, starts_on=START + timedelta(days=offset),
                                   frequency_months=frequency)
        elif kind == "claim":
            offset, amount, purpose = args
            funding.claim_service_money(today + timedelta(days=offset), amount, purpose, "doc", today)
        elif kind == "report" and keys:
            index, outcome, attempt_delta = args
            key = keys[index % len(keys)]
            attempt = max(funding.disbursements[key].attempt - attempt_delta, 1)
            funding.report_payment("fo-1", key, attempt, outcome, "bank", today, today)
        elif kind == "retry" and keys:
            funding.retry("fo-1", keys[args[0] % len(keys)], "again", today)
        elif kind == "pay_all":         # the office pays everything pending (a common, valid step)
            funding.tick(today)
            for key, d in sorted(funding.disbursements.items()):
                if d.pending:
                    funding.report_payment("fo-1", key, d.attempt, "paid", "bank", today, today)
        elif kind == "end":
            funding.end_early(today + timedelta(days=args[0]), "left", today)
    except Refused:
        pass
    return today


# a rent subsidy paid for a while, then an early end: the path to a recovery, made likely
paid_then_ended = st.tuples(st.integers(1, 4_000_000), st.sampled_from([1, 3]), st.integers(0, 700),
                            st.integers(-120, 0)).map(lambda t: [
    ("housing", "rent_subsidy", t[0], 0, t[1]), ("advance", t[2]), ("pay_all",), ("end", t[3])])
prefixes = st.one_of(st.just([]), paid_then_ended)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, AWARD_CAP), st.booleans(), prefixes, ops)
def test_no_sequence_of_funding_commands_pays_more_than_the_caps(award, national, prefix, commands):
    award = 0 if national else award
    commands = [*prefix, *commands]
    funding = CaseFunding(id=uuid.uuid4(), programme="A", unit_id=uuid.uuid4())
    funding.grant({"award_fen": award, "prior_changju_award_fen": 0, "national_or_beijing_talent": national,
                   "category": "outstanding", "effective_on": START, "policy_edition": "changju-2024",
                   "rule": "A.award.cap", "inputs": {}, "decided_by": "decider-1",
                   "decision_event_id": str(uuid.uuid4()),
                   "figures": changju_figures(policy.edition("changju-2024"))}, START)
    today = START
    for op in commands:
        today = apply(funding, op, today)
    events = funding.collect_events()
    event(f"events: {sorted({type(e).__name__ for e in events} - {'Opened', 'EntitlementsGranted', 'DeadlineSet'})}")

    # a key is paid at most once at any time: paid and returned alternate, starting with paid
    balance = defaultdict(int)
    for e in events:
        name = type(e).__name__
        if name == "DisbursementPaid":
            balance[e.idempotency_key] += 1
            assert balance[e.idempotency_key] == 1
        elif name == "DisbursementReturned" and balance[e.idempotency_key]:
            balance[e.idempotency_key] -= 1
    scheduled = [e for e in events if type(e).__name__ == "DisbursementScheduled"]
    assert len({e.idempotency_key for e in scheduled}) == len(scheduled)

    by_obligation = defaultdict(list)
    for e in scheduled:
        by_obligation[e.obligation_id].append(e)
    # award: once, as decided, within the cap
    assert sum(e.amount_fen for e in by_obligation["award"]) == award <= AWARD_CAP
    # rent: at most min(rent paid, 15,000 yuan) a month, 36 months, nothing past the 36th month or the end
    housing = funding.housing
    rent = by_obligation["rent_subsidy"]
    if rent:
        monthly = min(housing["monthly_rent_fen"], RENT_CAP)
        assert sum(e.amount_fen for e in rent) <= monthly * MONTHS
        assert all(e.amount_fen <= monthly * 12 for e in rent)
        assert all(e.period_ends_on < add_months(housing["starts_on"], MONTHS) for e in rent)
        ended = funding.ended["ended_on"] if funding.ended else None
        if ended:
            end_at = next(i for i, e in enumerate(events) if type(e).__name__ == "EndedEarly")
            assert all(e.period_starts_on <= ended for e in events[end_at:] if e in rent)
            released_after = [e for e in rent if e.period_starts_on > ended]
            assert all(funding.disbursements[e.idempotency_key].status != PAID
                       or e.idempotency_key in {r["paid_key"] for r in funding.recoveries.values()}
                       for e in released_after)
            # what is paid and not recovered covers only months begun by the end
            net = funding.paid_fen("rent_subsidy") - funding.recovered_fen()
            begun = sum(1 for k in range(MONTHS) if add_months(housing["starts_on"], k) <= ended)
            assert net <= monthly * begun
    # service money: 50,000 yuan a year, 2 years, none after award money
    per_year = defaultdict(int)
    for e in by_obligation["service_money"]:
        per_year[e.period.split("-")[0]] += e.amount_fen
    assert set(per_year) <= {"year1", "year2"}
    assert all(total <= YEARLY for total in per_year.values())
    if award > 0:
        assert not by_obligation["service_money"]
    assert funding.paid_fen() <= award + MONTHS * RENT_CAP + 2 * YEARLY
