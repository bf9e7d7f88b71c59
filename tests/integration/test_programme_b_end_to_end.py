"""One 科技副总 placement through the four running services (the story is services/placement_story.py):
from the expert pool to the end of a term extended by six months. Then the services restart on a
clock two months a second fast; the timers pay the living subsidy month by month and record the
term's end; the experts evaluate; the project gets a prize and a breakthrough subsidy."""
import time
from datetime import datetime, timedelta

from services.placement_story import EXTENSION_MONTHS, PlacementStory
from tests.support.cluster import running_cluster
from tests.support.flows import credit_code
from tests.support.history import day, who
from tests.support.history import only as only_entry

MONTHS_PER_SECOND = 2
TERM_MONTHS = 24 + EXTENSION_MONTHS
LIVING_FEN = 200_000                      # 2,000 yuan a month
PROJECT_SUBSIDY_FEN = 30_000_000          # 50% of 700,000 = 350,000, capped at 300,000
BREAKTHROUGH_FEN = 500_000_000            # 30% of 20,000,000 = 6,000,000, capped at 5,000,000


def by_obligation(items) -> dict:
    grouped = {}
    for item in items:
        grouped.setdefault(item["obligation_id"], []).append(item)
    return grouped


def test_a_placement_from_the_pool_to_the_end_of_its_extended_term(tmp_path):
    env = {"FUNDING_TIMER_SECONDS": "0.3", "APPLICATION_TIMER_SECONDS": "0.3", "LOG_LEVEL": "WARNING"}
    with running_cluster(tmp_path, env=env) as cluster:
        story = PlacementStory(rpc=cluster.rpc, health=cluster.health, credit_code=credit_code())
        facts = story.tell()
        case_id = facts["case_id"]
        subsidy = story.until(lambda: by_obligation(story.call("fo-1", "funding_officer", "funding", "disbursements",
                                                                case_id=case_id)["items"]).get("project_subsidy"),
                              "funding schedules the project subsidy")
        story.write("fo-1", "funding_officer", "funding", "report_payment", idempotency_key=subsidy[0]["idempotency_key"],
                    attempt=1, outcome="paid", office_reference="BANK-B-1")

        now = max(datetime.fromisoformat(cluster.health(s)["business_time"]) for s in ("application", "funding"))
        cluster.stop_all()
        cluster.env.update(CLOCK_START=(now + timedelta(minutes=1)).isoformat(), CLOCK_EPOCH=str(time.time()),
                           CLOCK_SPEED=str(MONTHS_PER_SECOND * 30 * 86_400))
        cluster.start()
        placement = story.wait_for_the_end_of_the_term(timeout=90)
        story.write("reviewer-2", "reviewer", "application", "record_evaluation", case_id=case_id,
                    opinion="合作成效显著，完成产业化", rating="excellent")
        ended_year = datetime.fromisoformat(placement["ends_on"]).year
        story.write("decider-1", "decision_maker", "funding", "award_prize", case_id=case_id, level="first",
                    year=ended_year, reason="年度评选一等奖")
        story.refused("B.prize.once", "decider-2", "decision_maker", "funding", "award_prize", case_id=case_id,
                      level="second", year=ended_year, reason="again")
        story.write("decider-2", "decision_maker", "funding", "grant_breakthrough_subsidy", case_id=case_id,
                    investment_fen=2_000_000_000, reason="产业化投资2000万元")
        money = story.until(lambda: (grouped := by_obligation(story.call(
            "auditor-1", "auditor", "funding", "disbursements", case_id=case_id)["items"])).get("breakthrough_subsidy")
            and grouped, "the breakthrough subsidy is scheduled")
        story.until(lambda: story.call("auditor-1", "auditor", "application", "placement",
                                       case_id=case_id)["status"] == "evaluated", "the evaluation is recorded")
        with cluster.rpc("auditor-1", "auditor") as rpc:
            entries = rpc.application.history(case_id=case_id)["entries"]

    assert facts["pool_size"] >= 1
    assert (placement["starts_on"], placement["ends_on"]) == (facts["starts_on"].isoformat(),
                                                               facts["ends_on"].isoformat())
    assert [d["amount_fen"] for d in money["project_subsidy"]] == [PROJECT_SUBSIDY_FEN]
    assert money["project_subsidy"][0]["payee"] == "company"
    living = money["living_subsidy"]
    assert len(living) == TERM_MONTHS and len({d["idempotency_key"] for d in living}) == TERM_MONTHS
    assert sum(d["amount_fen"] for d in living) == TERM_MONTHS * LIVING_FEN
    assert {d["payee"] for d in living} == {"expert"}
    assert [d["amount_fen"] for d in money["prize"]] == [20_000_000]
    assert [d["amount_fen"] for d in money["breakthrough_subsidy"]] == [BREAKTHROUGH_FEN]
    types = [e["type"] for e in entries]
    assert types[:1] == ["ProjectFiled"] and types.count("TermExtended") == 1 and types.count("TermExpired") == 1
    assert types.index("OfficeFilingRecorded") < types.index("AgreementRecorded") < types.index("Appointed")
    assert [e["data"].get("summary") for e in entries].count("payment reported paid") == 1
    assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))

    # the history names who acted and why (docs/history.md)
    def only(kind: str) -> dict:
        return only_entry(entries, kind)

    review = only("ReviewRecorded")
    assert review["actor"]["role"] == "decision_maker" and review["reason"] and review["policy_edition"]
    filing = only("OfficeFilingRecorded")
    assert filing["actor"]["role"] == "officer" and filing["office_reference"] and filing["dates"]["filed_on"]
    extended = only("TermExtended")
    assert extended["reason"] and extended["dates"]["ends_on"] == placement["ends_on"]
    assert extended["actor"]["role"] != "system"
    (paid,) = [e for e in entries if e["summary"] == "payment reported paid"]
    assert (*who(paid), paid["office_reference"], paid["amount_fen"]) == ("fo-1", "funding_officer", "BANK-B-1",
                                                                          PROJECT_SUBSIDY_FEN)
    expired = only("TermExpired")
    assert expired["actor"]["actor_id"] == "system:application" and expired["acted_under"] == "B.term.expiry"
    assert day(expired["effective_at"]) == placement["ends_on"]
    prize = only("prize awarded")
    assert (*who(prize), prize["reason"], prize["amount_fen"]) == ("decider-1", "decision_maker", "年度评选一等奖",
                                                                   20_000_000)
    living = [e for e in entries if e["summary"] == "disbursement scheduled" and e["actor"]["role"] == "system"
              and e["data"]["facts"]["obligation_id"] == "living_subsidy"]
    assert len(living) == TERM_MONTHS and all(e["acted_under"] == e["rule"] for e in living)
