"""Annual budgets under races, against the running services: 20 award decisions made at once that
together exceed what remains of the year's budget → exactly the ones that fit are granted, the rest
declined (funding.budget.exceeded), on SQLite and on PostgreSQL with two funding instances."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.cluster import SERVICES, command_id, eventually, running_cluster
from tests.support.flows import scored_case
from tests.support.postgres import throwaway_database

AWARD = 100_000_000            # 1,000,000 yuan each
RACERS, FIT = 20, 7
YEAR = 2024                    # the clusters' business clock starts inside the 2024 call


def started(cluster, *extra: tuple[str, str]):
    """Every service (and `extra` (service, instance) processes), given time to start on a busy machine."""
    for service in SERVICES:
        cluster.spawn(service)
    for service in SERVICES:
        cluster.wait_healthy(service, timeout=180)
    for service, instance in extra:           # once the first has made its schema and queues
        cluster.spawn(service, instance=instance)
        eventually(lambda: "signing with key" in cluster.log(instance) or cluster.processes[instance].poll() is not None,
                   timeout=180, interval=1)
        assert cluster.processes[instance].poll() is None, cluster.log(instance)[-3000:]
    return cluster


def scored_cases(cluster, n: int) -> list[str]:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: scored_case(cluster), range(n)))


def decide(cluster, case_id: str) -> dict:
    with cluster.rpc("decider-1", "decision_maker") as rpc:
        return rpc.review.decide_award(command_id=command_id(), case_id=case_id, award_fen=AWARD, reason="工作组决定")


def race_exactly_what_fits(cluster) -> None:
    cases = scored_cases(cluster, RACERS)
    with cluster.rpc("fo-1", "funding_officer") as rpc:
        rpc.funding.record_budget(command_id=command_id(), programme="A", year=YEAR, obligation="award",
                                  amount_fen=FIT * AWARD + AWARD // 2, edition="昌财〔2024〕1号", reason="年度预算")
    with ThreadPoolExecutor(RACERS) as pool:
        list(pool.map(lambda case_id: decide(cluster, case_id), cases))   # review records every decision

    def outcomes():
        with cluster.rpc("auditor-1", "auditor") as rpc:
            docs = [rpc.funding.entitlements(case_id=case_id) for case_id in cases]
        settled = [d for d in docs if d["decision"] or d["declined"]]
        return docs if len(settled) == RACERS else None
    docs = eventually(outcomes, timeout=90, interval=1)
    granted = [d for d in docs if d["decision"]]
    declined = [d for d in docs if d["declined"]]
    assert (len(granted), len(declined)) == (FIT, RACERS - FIT)
    assert {d["declined"]["rule"] for d in declined} == {"funding.budget.exceeded"}
    assert {d["declined"]["budget"] for d in declined} == {f"A:{YEAR}:award"}
    assert {d["declined"]["remaining_fen"] for d in declined} == {AWARD // 2}

    def report():
        with cluster.rpc("fo-1", "funding_officer") as rpc:
            lines = {row["obligation"]: row for row in rpc.funding.budget(programme="A", year=YEAR)["lines"]}
        return lines if lines["award"]["reserved_fen"] == FIT * AWARD else None
    award = eventually(report, timeout=30)["award"]
    assert (award["committed_fen"], award["remaining_fen"]) == (FIT * AWARD, AWARD // 2)


def test_twenty_racing_decisions_on_sqlite_grant_exactly_what_fits(tmp_path):
    with running_cluster(tmp_path, services=()) as cluster:
        race_exactly_what_fits(started(cluster))


def test_twenty_racing_decisions_on_postgresql_with_two_funding_instances(tmp_path):
    with throwaway_database() as dbname, running_cluster(
            tmp_path, env={"STORE_KIND": "postgres", "POSTGRES_DB": dbname}, services=()) as cluster:
        race_exactly_what_fits(started(cluster, ("funding", "funding-2")))
        assert cluster.processes["funding-2"].poll() is None
