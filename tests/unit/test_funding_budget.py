"""Annual budgets (区财政每年安排资金预算): the Budget aggregate's rules, what each decision reserves in which
year, the funding Application accepting or declining an award by the budget, the read model and its CSV."""
import csv
import io
import threading
import uuid
from datetime import date, datetime

import pytest

from shared.clock import BEIJING
from shared.errors import Refused
from shared.messaging.inbox import Outcome

from services.funding import commands, reservations
from services.funding.budget import Budget, budget_id
from services.funding.budget_view import budget_csv, budget_report
from services.funding.domain import idempotency_key
from tests.unit.test_funding_application import (CONTACT, OFFICE, OFFICER, decided_v2, deliver, funding, opened,  # noqa: F401
                                                 published, report, run, view)

AWARD = 150_000_000         # 1,500,000 yuan


def refused(rule, call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    return caught.value


def test_a_budget_line_is_raised_never_lowered_and_reservations_stop_at_what_remains():
    budget = Budget(id=budget_id("A", 2025), programme="A", year=2025)
    budget.record("award", 300_000_000, "昌财〔2025〕1号", "年度预算")
    refused("funding.budget.raise_only", budget.record, "award", 200_000_000, "x", "lower")
    refused("funding.budget.line", budget.record, "living_subsidy", 1, "x", "programme B's line")
    budget.reserve("c1", "c1", "award", 200_000_000)
    error = refused("funding.budget.exceeded", budget.reserve, "c2", "c2", "award", 150_000_000)
    assert error.fields == {"budget": ["A:2025:award"], "year": ["2025"], "remaining_fen": ["100000000"],
                            "requested_fen": ["150000000"]}
    assert "1000000.00 yuan left" in error.message
    budget.record("award", 350_000_000, "昌财〔2025〕9号", "追加")
    budget.reserve("c2", "c2", "award", 150_000_000)
    assert budget.remaining_fen("award") == 0
    budget.reserve("c2", "c2", "award", 150_000_000)          # the same key again: nothing more
    assert budget.reserved_fen("award") == 350_000_000
    assert budget.release("c1", 50_000_000, "cancelled") == 50_000_000
    assert budget.remaining_fen("award") == 50_000_000
    assert budget.remaining_fen("total") is None               # no total recorded: not enforced


def test_the_total_line_binds_every_obligation_of_the_year():
    budget = Budget(id=budget_id("A", 2025), programme="A", year=2025)
    budget.record("total", 100_000_000, "e", "r")
    budget.reserve("c1:service", "c1", "service_money", 5_000_000)
    error = refused("funding.budget.exceeded", budget.reserve, "c2:award", "c2", "award", 96_000_000)
    assert error.fields["budget"] == ["A:2025:total"] and error.fields["remaining_fen"] == ["95000000"]


def test_an_award_and_the_service_money_reserve_in_the_years_they_fall_due():
    decision = {"policy_edition": "changju-2024", "effective_on": date(2025, 7, 1), "award_fen": AWARD,
                "national_or_beijing_talent": False, "prior_changju_award_fen": 0}
    assert reservations.award_decision(decision, date(2025, 7, 3)) == {"award": {2025: AWARD}}
    national = {**decision, "award_fen": 0, "national_or_beijing_talent": True}
    assert reservations.award_decision(national, date(2025, 7, 3)) == {"service_money": {2025: 5_000_000,
                                                                                       2026: 5_000_000}}


def test_a_rent_subsidy_reserves_its_cap_for_each_month_in_each_year():
    assert reservations.rent_subsidy(1_500_000, 2_000_000, date(2025, 11, 1), 36) == {
        2025: 2 * 1_500_000, 2026: 12 * 1_500_000, 2027: 12 * 1_500_000, 2028: 10 * 1_500_000}
    assert reservations.rent_subsidy(1_500_000, 800_000, date(2025, 1, 1), 12) == {2025: 12 * 800_000}


def record_budget(app, amount_fen, line="award", year=2025, programme="A"):
    return run(app, OFFICE, commands.RecordBudget(programme=programme, year=year, obligation=line,
                                                  amount_fen=amount_fen, edition="昌财〔2025〕1号", reason="年度预算"))


def test_an_award_beyond_the_years_budget_is_declined_naming_the_budget_and_nothing_is_committed(funding):
    assert record_budget(funding, 2 * AWARD + 1)["remaining_fen"] == 2 * AWARD + 1
    cases = [uuid.uuid4() for _ in range(3)]
    for case_id in cases:
        assert deliver(funding, opened(case_id), decided_v2(case_id)) == [Outcome.APPLIED] * 2
    granted = [c for c in cases if funding.funding(c).decision is not None]
    declined = [c for c in cases if getattr(funding.funding(c), "declined", None)]
    assert (granted, declined) == (cases[:2], cases[2:])
    last = funding.funding(cases[2])
    assert last.disbursements == {} and last.entitlements == {}
    assert last.declined == {"rule": "funding.budget.exceeded", "budget": "A:2025:award", "year": 2025,
                             "remaining_fen": 1, "decision_event_id": last.declined["decision_event_id"]}
    types = [e["type"] for e in published(funding) if str(e["stream_id"]) == str(cases[2])]
    assert types == ["funding.case_funding.Opened", "funding.case_funding.AwardDeclined"]
    lines = {row["obligation"]: row for row in budget_report(view(funding), "A", 2025)["lines"]}
    assert lines["award"] == {"obligation": "award", "budget_fen": 2 * AWARD + 1, "reserved_fen": 2 * AWARD,
                              "committed_fen": 2 * AWARD, "disbursed_fen": 0, "returned_fen": 0, "remaining_fen": 1}
    assert lines["total"]["budget_fen"] is None and lines["total"]["remaining_fen"] is None


def test_a_year_without_a_budget_is_not_enforced_but_reported(funding):
    case_id = uuid.uuid4()
    assert deliver(funding, opened(case_id), decided_v2(case_id)) == [Outcome.APPLIED] * 2
    lines = {row["obligation"]: row for row in budget_report(view(funding), "A", 2025)["lines"]}
    assert (lines["award"]["budget_fen"], lines["award"]["reserved_fen"]) == (None, AWARD)


def test_payments_and_returns_move_the_year_from_committed_to_disbursed_and_returned(funding):
    record_budget(funding, 10 * AWARD, line="total")
    case_id = uuid.uuid4()
    deliver(funding, opened(case_id), decided_v2(case_id))
    key = idempotency_key(case_id, "award", "once")
    run(funding, OFFICE, report(key, "paid", "bank-1"))
    run(funding, OFFICE, report(key, "returned", "bank-1r", reason="账户错误"))
    lines = {row["obligation"]: row for row in budget_report(view(funding), "A", 2025)["lines"]}
    assert (lines["award"]["committed_fen"], lines["award"]["disbursed_fen"], lines["award"]["returned_fen"]) == (
        AWARD, 0, AWARD)
    assert lines["total"]["remaining_fen"] == 9 * AWARD


def test_the_csv_for_the_finance_bureau_has_one_row_per_line_in_yuan(funding):
    record_budget(funding, 2 * AWARD)
    deliver(funding, opened(case_id := uuid.uuid4()), decided_v2(case_id))
    rows = list(csv.reader(io.StringIO(budget_csv(budget_report(view(funding), "A", 2025)))))
    assert rows[0] == ["programme", "year", "obligation", "budget_yuan", "reserved_yuan", "committed_yuan",
                       "disbursed_yuan", "returned_yuan", "remaining_yuan"]
    assert rows[1] == ["A", "2025", "award", "3000000.00", "1500000.00", "1500000.00", "0.00", "0.00", "1500000.00"]
    assert rows[-1][2:4] == ["total", ""]


def test_racing_award_decisions_reserve_exactly_what_fits(funding):
    """Eight decisions delivered at once by eight threads against a budget for five: the Budget's
    deterministic id makes the losers of each race reload and meet the rule."""
    record_budget(funding, 5 * AWARD)
    cases = [uuid.uuid4() for _ in range(8)]
    for case_id in cases:
        deliver(funding, opened(case_id))
    barrier, outcomes = threading.Barrier(len(cases)), []

    def decide(case_id):
        barrier.wait()
        outcomes.append(funding.inbox.accept(decided_v2(case_id)))    # the inbox retries a lost race itself

    threads = [threading.Thread(target=decide, args=(c,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [Outcome.APPLIED] * len(cases)
    granted = [c for c in cases if funding.funding(c).decision is not None]
    assert len(granted) == 5 and funding.get_or_none(budget_id("A", 2025)).remaining_fen("award") == 0


def test_an_appointment_reserves_its_project_subsidy_and_each_living_month_in_the_year_it_falls_due(funding):
    from tests.unit.test_funding_b_application import placed
    case_id = placed(funding)                     # 2025-03-15 to 2027-03-15, 700,000 yuan of funds
    lines = {y: {row["obligation"]: row["reserved_fen"] for row in budget_report(view(funding), "B", y)["lines"]}
             for y in (2025, 2026, 2027)}
    assert lines[2025]["project_subsidy"] == 30_000_000
    assert (lines[2025]["living_subsidy"], lines[2026]["living_subsidy"], lines[2027]["living_subsidy"]) == (
        9 * 200_000, 12 * 200_000, 3 * 200_000)   # months due 2025-04-15 … 2027-03-15
    assert funding.funding(case_id).appointment is not None


def test_an_appointment_beyond_the_budget_is_refused_whole_and_waits_for_the_office(funding):
    """The appointment is application's fact: funding cannot decline it, so the event is refused (the
    inbox parks it, naming funding.budget.exceeded) and nothing of it is recorded until the budget allows."""
    from tests.unit.test_funding_b_application import appointed, filed
    record_budget(funding, 10_000_000, line="project_subsidy", programme="B")
    case_id = uuid.uuid4()
    assert deliver(funding, filed(case_id)) == [Outcome.APPLIED]
    refused("funding.budget.exceeded", funding.inbox.accept, appointed(case_id))
    assert funding.funding(case_id).appointment is None and funding.funding(case_id).disbursements == {}
    record_budget(funding, 30_000_000, line="project_subsidy", programme="B")
    assert deliver(funding, appointed(case_id)) == [Outcome.APPLIED]
    assert funding.funding(case_id).appointment is not None


def test_an_early_end_gives_back_the_rent_months_it_will_never_pay(funding, clock):
    record_budget(funding, 100 * AWARD, line="total")
    case_id = uuid.uuid4()
    deliver(funding, opened(case_id), decided_v2(case_id))
    run(funding, CONTACT, commands.ChooseHousing(case_id=case_id, choice="rent_subsidy", monthly_rent_fen=1_000_000,
                                                 starts_on=date(2025, 1, 1)))
    rent = {y: {r["obligation"]: r["reserved_fen"] for r in budget_report(view(funding), "A", y)["lines"]}["rent_subsidy"]
            for y in (2025, 2026, 2027)}
    assert rent == {2025: 12_000_000, 2026: 12_000_000, 2027: 12_000_000}
    clock.set(datetime(2025, 3, 10, 9, tzinfo=BEIJING))
    funding.fire_due([case_id])
    run(funding, OFFICER, commands.EndEarly(case_id=case_id, ended_on=date(2025, 2, 28), reason="left Changping"))
    rent = {y: {r["obligation"]: r["reserved_fen"] for r in budget_report(view(funding), "A", y)["lines"]}["rent_subsidy"]
            for y in (2025, 2026, 2027)}
    assert rent == {2025: 2_000_000, 2026: 0, 2027: 0}       # January and February were owed; nothing after
