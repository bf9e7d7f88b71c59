"""One 昌聚工程 case through the four running services, from the unit's registration to the end
of the talent's 3-year term (the story is services/story.py). After the decision, the services
restart on a clock that runs two months a second, and the timer pays the rent month by month
and records each term's end."""
import time
from datetime import datetime, timedelta

from services.story import AWARD_FEN, Story
from tests.support.cluster import running_cluster
from tests.support.flows import credit_code, walk_case
from tests.support.history import day, who
from tests.support.history import only as only_entry

MONTHS_PER_SECOND = 2
RENT_CAP_FEN = 1_500_000           # 15,000 yuan a month (三(二)(4)), below the 16,000 paid


def test_a_case_from_registration_to_the_end_of_its_term(tmp_path):
    with running_cluster(tmp_path, env={"FUNDING_TIMER_SECONDS": "0.3", "LOG_LEVEL": "WARNING"}) as cluster:
        story = Story(rpc=cluster.rpc, health=cluster.health, credit_code=credit_code())
        facts = story.tell()
        left = walk_case(cluster)       # a second case, whose talent leaves the day after the decision
        decided_on = story.business_today()

        # The same stores, restarted on a clock two months a second ahead of where business time stands.
        now = max(datetime.fromisoformat(cluster.health(s)["business_time"]) for s in ("application", "funding"))
        cluster.stop_all()
        cluster.env.update(CLOCK_START=(now + timedelta(minutes=1)).isoformat(), CLOCK_EPOCH=str(time.time()),
                           CLOCK_SPEED=str(MONTHS_PER_SECOND * 30 * 86_400))
        cluster.start()
        # recorded late: business time now runs two months a second (refused until the day has come)
        ended_on = decided_on + timedelta(days=1)
        story.write("officer-3", "officer", "funding", "end_early", case_id=left, ended_on=ended_on.isoformat(),
                    reason="调离昌平区")
        deadlines = story.wait_for_the_end_of_the_term(timeout=90)
        with cluster.rpc("auditor-1", "auditor") as rpc:
            items = rpc.funding.disbursements(case_id=facts["case_id"])["items"]
            # the application learns of funding's last events a moment after funding recorded them
            entries = story.until(lambda: (found := rpc.application.history(case_id=facts["case_id"])["entries"])
                                  and [e["summary"] for e in found].count("deadline reached") == 2 and found,
                                  "the case stream records both deadlines")
            ended = story.until(lambda: [e for e in rpc.application.history(case_id=left)["entries"]
                                         if e["summary"] == "ended early"], "the early end reaches the case")

    assert [i["returned_reason"] for i in facts["returned"]["items"] if i["code"] == "work_contract"] == ["合同已过期"]
    assert facts["first_delivery"] == "paper_noncompliant"
    assert set(deadlines) == {"commitment", "rent_subsidy"}   # no service money after award money
    rent = [d for d in items if d["obligation_id"] == "rent_subsidy"]
    assert len(rent) == 36 and len({d["idempotency_key"] for d in rent}) == 36
    assert {d["amount_fen"] for d in rent} == {RENT_CAP_FEN}
    assert [d["amount_fen"] for d in items if d["obligation_id"] == "award"] == [AWARD_FEN]
    summaries = [e["data"].get("summary") for e in entries]
    assert summaries.count("deadline reached") == 2
    assert summaries.count("payment reported paid") == 2 and summaries.count("payment retried") == 1
    types = [e["type"] for e in entries]
    assert types.index("ReturnedForCorrection") < types.index("AuditRecorded") < types.index("DecisionRecorded")
    assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))

    # the history names who acted and why (docs/history.md)
    def only(kind: str) -> dict:
        return only_entry(entries, kind)

    decision = only("DecisionRecorded")
    assert who(decision) == ("decider-1", "decision_maker")
    assert (decision["reason"], decision["amount_fen"], decision["policy_edition"]) == ("工作组决定", AWARD_FEN,
                                                                                        "changju-2024")
    assert decision["rule"] and decision["source"]["service"] == "review"
    audit = only("AuditRecorded")
    assert (*who(audit), audit["reason"]) == ("officer-1", "officer", "审核通过")
    assert who(only("ReturnedForCorrection")) == ("officer-1", "officer")
    paid = [e for e in entries if e["summary"] == "payment reported paid"]
    assert [(*who(e), e["office_reference"]) for e in paid] == [("fo-1", "funding_officer", "BANK-0001"),
                                                                 ("fo-1", "funding_officer", "BANK-0004")]
    assert paid[0]["amount_fen"] == AWARD_FEN
    # the timer's entries are the system's, each with the rule that made it act, effective on its due date
    released = [e for e in entries if e["type"] == "DisbursementRecorded" and e["actor"]["role"] == "system"
                and e["data"]["facts"]["obligation_id"] == "rent_subsidy"]
    assert len(released) == 35 and all(e["acted_under"] for e in released)
    assert all(day(e["effective_at"]) == e["dates"]["due_on"] <= day(e["recorded_on"]) for e in released)
    assert all(e["acted_under"] for e in entries if e["summary"] == "deadline reached")
    # the early end: the officer, the reason, the last day supported; effective then, known later
    (end,) = ended
    assert (*who(end), end["reason"]) == ("officer-3", "officer", "调离昌平区")
    assert end["dates"]["ended_on"] == ended_on.isoformat() == day(end["effective_at"])
    assert datetime.fromisoformat(end["recorded_on"]) >= datetime.fromisoformat(end["effective_at"])
    assert day(end["recorded_on"]) > decided_on.isoformat()
