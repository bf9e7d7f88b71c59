"""The read-model store, on SQLite and on PostgreSQL: the same behaviour on both."""
import uuid

import pytest

from shared.config import PostgresSettings
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import PositionMoved, ViewStore

PG_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_DATABASE = "changping_test"


def postgres_view_store():
    psycopg = pytest.importorskip("psycopg")
    from psycopg import sql

    try:
        psycopg.connect(dbname="postgres", connect_timeout=3, **PG_SERVER).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER['host']}:{PG_SERVER['port']}: {exc}")
    settings = StoreSettings(service=f"t_{uuid.uuid4().hex[:12]}", kind="postgres",
                             postgres=PostgresSettings(dbname=PG_DATABASE, **PG_SERVER))
    settings.prepare()
    store = ViewStore(settings.view_store_env())

    def drop():
        store.close()
        with psycopg.connect(dbname=PG_DATABASE, autocommit=True, **PG_SERVER) as conn:
            for schema in (settings.service, f"{settings.service}_views"):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    return store, drop


@pytest.fixture(params=["sqlite", "postgres"])
def views(request, tmp_path):
    if request.param == "sqlite":
        store = ViewStore(StoreSettings(service="t", data_dir=str(tmp_path)).view_store_env())
        yield store
        store.close()
    else:
        store, drop = postgres_view_store()
        try:
            yield store
        finally:
            drop()


CASES = [
    ("c1", {"case_id": "c1", "status": "filed", "unit_id": "u1", "filed_at": "2024-10-03T09:00:00+08:00"}),
    ("c2", {"case_id": "c2", "status": "filed", "unit_id": "u2", "filed_at": "2024-10-01T09:00:00+08:00"}),
    ("c3", {"case_id": "c3", "status": "award_decided", "unit_id": "u1", "filed_at": "2024-10-02T09:00:00+08:00"}),
    ("c4", {"case_id": "c4", "status": "filed", "unit_id": "u1", "filed_at": "2024-10-04T09:00:00+08:00"}),
]


def load_cases(views, position=4):
    views.apply({"case_status": (0, position)}, [("cases", key, doc) for key, doc in CASES])


def keys(docs) -> list[str]:
    return [doc["case_id"] for doc in docs]


def test_put_then_get(views):
    views.apply({"p": (0, 1)}, [("cases", "c1", {"case_id": "c1", "title": "杰出人才", "tags": ["a"], "n": 3})])
    assert views.get("cases", "c1") == {"case_id": "c1", "title": "杰出人才", "tags": ["a"], "n": 3}
    assert views.get("cases", "missing") is None
    assert views.get("other", "c1") is None       # collections are separate


def test_apply_replaces_the_whole_document(views):
    views.apply({"p": (0, 1)}, [("cases", "c1", {"case_id": "c1", "status": "filed", "old": True})])
    views.apply({"p": (1, 2)}, [("cases", "c1", {"case_id": "c1", "status": "award_decided"})])
    assert views.get("cases", "c1") == {"case_id": "c1", "status": "award_decided"}


def test_find_filters_on_top_level_fields(views):
    load_cases(views)
    docs, total = views.find("cases", {"status": "filed", "unit_id": "u1"})
    assert (sorted(keys(docs)), total) == (["c1", "c4"], 2)
    assert views.find("cases", {"status": "lost"}) == ([], 0)


def test_find_without_a_filter_lists_the_collection_by_key(views):
    load_cases(views)
    views.apply({"other": (0, 1)}, [("units", "u1", {"unit_id": "u1"})])
    docs, total = views.find("cases")
    assert (keys(docs), total) == (["c1", "c2", "c3", "c4"], 4)


def test_find_orders_by_a_field(views):
    load_cases(views)
    docs, _ = views.find("cases", {"status": "filed"}, order_by="filed_at")
    assert keys(docs) == ["c2", "c1", "c4"]


def test_find_pages_and_reports_the_total(views):
    load_cases(views)
    pages = [views.find("cases", order_by="filed_at", limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [keys(docs) for docs, _ in pages] == [["c2", "c3", "c1"], ["c4"], []]
    assert {total for _, total in pages} == {4}


def test_find_breaks_ties_by_key(views):
    views.apply({"p": (0, 1)}, [("cases", key, {"case_id": key, "status": "filed"}) for key in ("b", "c", "a")])
    docs, _ = views.find("cases", order_by="status")
    assert keys(docs) == ["a", "b", "c"]


def test_find_refuses_field_names_that_are_not_identifiers(views):
    with pytest.raises(ValueError):
        views.find("cases", {"status') OR 1=1 --": "x"})
    with pytest.raises(ValueError):
        views.find("cases", order_by="filed_at; DROP TABLE view_docs")


BOTH = ["sqlite", "postgres"]

PAYMENTS = [("a", 9), ("b", 10), ("c", 100)]


@pytest.mark.parametrize("views", BOTH, indirect=True)
def test_find_filters_numbers_as_numbers(views):
    views.apply({"p": (0, 1)}, [("pay", key, {"key": key, "amount_fen": amount}) for key, amount in PAYMENTS])
    docs, total = views.find("pay", {"amount_fen": 10})
    assert (keys_of(docs), total) == (["b"], 1)


@pytest.mark.parametrize("views", BOTH, indirect=True)
def test_find_orders_numbers_as_numbers(views):
    views.apply({"p": (0, 1)}, [("pay", key, {"key": key, "amount_fen": amount}) for key, amount in PAYMENTS])
    docs, _ = views.find("pay", order_by="amount_fen")
    assert keys_of(docs) == ["a", "b", "c"]      # as text: 10, 100, 9


def keys_of(docs) -> list[str]:
    return [doc["key"] for doc in docs]


def test_positions_are_per_projection_and_move_with_the_documents(views):
    assert views.position("case_status") == 0
    load_cases(views, position=7)
    views.apply({"units": (0, 3)}, [])
    assert (views.position("case_status"), views.position("units")) == (7, 3)
    views.apply({"case_status": (7, 9)}, [])
    assert views.position("case_status") == 9


def test_a_position_that_moved_meanwhile_refuses_the_whole_batch(views):
    """Another runner, or a reset for a rebuild, got there first: nothing of this batch is written."""
    views.apply({"p": (0, 5)}, [("cases", "c1", {"case_id": "c1", "v": 1})])
    with pytest.raises(PositionMoved):
        views.apply({"p": (3, 8)}, [("cases", "c1", {"case_id": "c1", "v": 2})])
    assert (views.position("p"), views.get("cases", "c1")) == (5, {"case_id": "c1", "v": 1})


def test_reset_drops_the_projection_and_only_its_collections(views):
    load_cases(views, position=4)
    views.apply({"units": (0, 2)}, [("units", "u1", {"unit_id": "u1"})])
    views.reset("case_status", ["cases"])
    assert views.find("cases") == ([], 0)
    assert views.position("case_status") == 0
    assert views.get("units", "u1") == {"unit_id": "u1"}
    assert views.position("units") == 2


def test_documents_outlive_the_store_object(tmp_path):
    settings = StoreSettings(service="t", data_dir=str(tmp_path))
    first = ViewStore(settings.view_store_env())
    first.apply({"p": (0, 5)}, [("cases", "c1", {"case_id": "c1"})])
    first.close()
    second = ViewStore(settings.view_store_env())
    try:
        assert (second.get("cases", "c1"), second.position("p")) == ({"case_id": "c1"}, 5)
    finally:
        second.close()
