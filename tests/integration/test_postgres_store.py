"""The same services on PostgreSQL (one schema per service), as docker-compose runs them."""
import psycopg
import pytest

from tests.support.cluster import SERVICES, running_cluster
from tests.support.flows import case_status, walk_case
from tests.support.postgres import SERVER, throwaway_database


@pytest.fixture(scope="module")
def pg_cluster(tmp_path_factory):
    with throwaway_database() as dbname, running_cluster(
            tmp_path_factory.mktemp("pg"), env={"STORE_KIND": "postgres", "POSTGRES_DB": dbname}) as running:
        running.dbname = dbname
        yield running


def test_each_service_keeps_its_events_in_its_own_schema(pg_cluster):
    case_id = walk_case(pg_cluster, award_fen=100_000_000)
    for service in SERVICES:
        assert pg_cluster.health(service)["store"] == {
            "kind": "postgres", "database": pg_cluster.dbname, "schema": service,
            "synchronous_commit": "server default (on)"}
    with psycopg.connect(dbname=pg_cluster.dbname, **SERVER) as conn:
        counts = {s: conn.execute(f'SELECT count(*) FROM "{s}".{s}_events').fetchone()[0] for s in SERVICES}
    assert all(count > 0 for count in counts.values()), counts
    assert case_status(pg_cluster, case_id)["status"] == "disbursement_scheduled"


def test_a_restarted_service_answers_from_what_it_stored(pg_cluster):
    case_id = walk_case(pg_cluster, award_fen=50_000_000)
    pg_cluster.restart("application")
    with pg_cluster.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=case_id)["entries"]
    assert len(entries) == 10 and entries[-1]["type"] == "DisbursementRecorded"
    assert case_status(pg_cluster, case_id)["status"] == "disbursement_scheduled"
