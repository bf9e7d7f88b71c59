"""One relay (and one projection runner) per store at a time: a second process on a
SQLite store is refused; on PostgreSQL instances elect one, and another takes over when
it dies."""
import signal
import time

import pytest

from tests.support.cluster import eventually, running_cluster
from tests.support.flows import walk_case
from tests.support.postgres import throwaway_database

LEADS = "this instance now runs the followers"


def test_a_second_process_on_a_sqlite_store_is_refused(tmp_path):
    with running_cluster(tmp_path, services=("registration",)) as cluster:
        second = cluster.spawn("registration", instance="registration-2")
        assert second.wait(timeout=30) != 0
        assert "a SQLite store takes one process" in cluster.log("registration-2")
        assert cluster.health("registration")["runs_followers"] is True


@pytest.fixture
def pg_cluster(tmp_path):
    with throwaway_database() as dbname, running_cluster(
            tmp_path, env={"STORE_KIND": "postgres", "POSTGRES_DB": dbname}, services=()) as cluster:
        yield cluster


def leaders(cluster, *instances):
    return [name for name in instances if LEADS in cluster.log(name)]


def test_postgres_instances_elect_one_follower_and_replace_it_when_it_dies(pg_cluster):
    pg_cluster.start()                                   # one of each, application included
    pg_cluster.spawn("application", instance="application-2")
    time.sleep(3)
    assert leaders(pg_cluster, "application", "application-2") == ["application"]
    walk_case(pg_cluster)                                # events flow with two instances serving

    pg_cluster.kill("application", signal.SIGKILL)       # the leader dies mid-flight
    eventually(lambda: leaders(pg_cluster, "application-2"), timeout=20)
    case_id = walk_case(pg_cluster)                      # the survivor relays and projects
    with pg_cluster.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=case_id)["entries"]
    assert len(entries) == 10 and entries[-1]["type"] == "DisbursementRecorded"
