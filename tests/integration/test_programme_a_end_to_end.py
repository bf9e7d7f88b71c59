"""One 昌聚工程 case through the four running services, from the unit's registration to the end
of the talent's 3-year term (the story is services/story.py). After the decision, the services
restart on a clock that runs two months a second, and the timer pays the rent month by month
and records each term's end."""
import time
from datetime import datetime, timedelta

from services.story import AWARD_FEN, Story
from tests.support.cluster import running_cluster
from tests.support.flows import credit_code

MONTHS_PER_SECOND = 2
RENT_CAP_FEN = 1_500_000           # 15,000 yuan a month (三(二)(4)), below the 16,000 paid


def test_a_case_from_registration_to_the_end_of_its_term(tmp_path):
    with running_cluster(tmp_path, env={"FUNDING_TIMER_SECONDS": "0.3", "LOG_LEVEL": "WARNING"}) as cluster:
        story = Story(rpc=cluster.rpc, health=cluster.health, credit_code=credit_code())
        facts = story.tell()

        # The same stores, restarted on a clock two months a second ahead of where business time stands.
        now = max(datetime.fromisoformat(cluster.health(s)["business_time"]) for s in ("application", "funding"))
        cluster.stop_all()
        cluster.env.update(CLOCK_START=(now + timedelta(minutes=1)).isoformat(), CLOCK_EPOCH=str(time.time()),
                           CLOCK_SPEED=str(MONTHS_PER_SECOND * 30 * 86_400))
        cluster.start()
        deadlines = story.wait_for_the_end_of_the_term(timeout=90)
        with cluster.rpc("auditor-1", "auditor") as rpc:
            items = rpc.funding.disbursements(case_id=facts["case_id"])["items"]
            entries = rpc.application.history(case_id=facts["case_id"])["entries"]

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
