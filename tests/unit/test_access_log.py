"""The access log's table and buffer, on SQLite and on PostgreSQL: rows reach the table only when
flushed (off the query path), a failed write keeps them, pruning honours the retention."""
import pytest

from shared.platform.access_log import (COLUMNS, AccessLog, AccessSettings, AccessTable, reads_field, reads_items,
                                        reads_record)
from tests.unit.test_views import views  # noqa: F401  (the SQLite and PostgreSQL view stores)

DAY = 86_400


class Wall:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def row(log, actor="officer-1", case_id="case-1", subject_kind="case", subject_id=None, entrypoint="status"):
    return (log.now(), "2024-10-01T09:00:00+08:00", "application", entrypoint, actor, "officer", None, subject_kind,
            subject_id or case_id, case_id, "corr-1")


def test_a_read_is_kept_in_memory_until_the_flush_writes_it(views):  # noqa: F811
    log = AccessLog(AccessTable(views))
    log.record(row(log))
    assert log.table.page({"case_id": "case-1"}, 50, 0)["total"] == 0   # nothing written on the query path
    assert log.flush() == 1
    page = log.table.page({"case_id": "case-1"}, 50, 0)
    assert page["total"] == 1
    item = page["items"][0]
    assert {k: item[k] for k in ("actor_id", "role", "entrypoint", "subject_kind", "subject_id")} == \
        {"actor_id": "officer-1", "role": "officer", "entrypoint": "status", "subject_kind": "case",
         "subject_id": "case-1"}
    assert set(COLUMNS) <= set(item)


def test_pages_by_case_subject_or_actor_oldest_first(views):  # noqa: F811
    log = AccessLog(AccessTable(views))
    for i in range(5):
        log.record(row(log, actor=f"auditor-{i % 2}", case_id=f"case-{i % 3}"))
    log.flush()
    page = log.table.page({"actor_id": "auditor-0"}, 2, 0)
    assert (page["total"], len(page["items"])) == (3, 2)
    assert [r["case_id"] for r in page["items"]] == ["case-0", "case-2"]
    assert log.table.page({"actor_id": "auditor-0"}, 2, 2)["items"][0]["case_id"] == "case-1"
    assert log.table.page({"case_id": "case-1", "actor_id": "auditor-1"}, 50, 0)["total"] == 1


def test_rows_older_than_the_retention_are_pruned(views):  # noqa: F811
    wall = Wall()
    log = AccessLog(AccessTable(views), AccessSettings(retention_days=30), wall=wall)
    log.record(row(log, case_id="old"))
    wall.now += 10 * DAY
    log.record(row(log, case_id="recent"))
    log.flush()
    wall.now += 25 * DAY            # "old" is 35 days old, "recent" 25
    assert log.prune() == 1
    assert log.table.page({"case_id": "old"}, 50, 0)["total"] == 0
    assert log.table.page({"case_id": "recent"}, 50, 0)["total"] == 1


class BrokenTable:
    def __init__(self):
        self.fail, self.written = True, []

    def insert(self, rows):
        if self.fail:
            raise OSError("disk full")
        self.written += rows


def test_a_failed_write_keeps_its_rows_for_the_next_flush():
    table = BrokenTable()
    log = AccessLog(table)
    log.record(("t", "b", "a"))
    assert log.flush() == 0
    log.record(("t", "b", "b"))
    table.fail = False
    assert log.flush() == 2 and table.written == [("t", "b", "a"), ("t", "b", "b")]


def test_a_full_batch_wakes_the_writer_and_stop_writes_what_is_left():
    table = BrokenTable()
    table.fail = False
    log = AccessLog(table, AccessSettings(batch_size=2))
    log.record(("t", "b", "a"))
    assert not log._wake.is_set()
    log.record(("t", "b", "b"))
    assert log._wake.is_set()
    log.record(("t", "b", "c"))
    log.stop()
    assert table.written == [("t", "b", "a"), ("t", "b", "b"), ("t", "b", "c")]


def test_what_each_declaration_reads():
    assert reads_field("case_id")({"case_id": "c1"}, {}) == [("case", "c1", "c1")]
    assert reads_field("unit_id")({"unit_id": "u1"}, {}) == [("unit", "u1", None)]
    assert reads_items("case_id")({}, {"items": [{"case_id": "c1"}, {"case_id": "c2"}]}) == \
        [("case", "c1", "c1"), ("case", "c2", "c2")]
    assert reads_items("expert_id")({}, {"items": []}) == []
    assert reads_record("cooperation_id")({"cooperation_id": "k1"}, {"case_id": "c9"}) == [("cooperation", "k1", "c9")]


@pytest.mark.parametrize("setting, value", [("flush_seconds", "0"), ("batch_size", "0"), ("retention_days", "x")])
def test_a_malformed_access_log_setting_is_refused(setting, value):
    from shared.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="ACCESS_LOG"):
        Settings.from_mapping({"ACCESS_LOG": {setting: value}})
