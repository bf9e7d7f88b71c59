"""The event-store plumbing on a real SQLite file: idempotent commands, optimistic
concurrency, event metadata, durability settings and atomic tracking."""
from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError, Tracking

from shared.clock import BEIJING
from shared.errors import ServiceError
from shared.eventstore.aggregate import Stream
from shared.eventstore.application import ServiceApplication, Written, check_version
from shared.eventstore.meta import NoActorError, acting
from shared.eventstore.receipts import fingerprint, receipt_id
from shared.eventstore.settings import StoreSettings, ViewsSQLitePool, sqlite_synchronous_of

from tests.unit.unit_helpers import START, meta_for


class Ledger(Stream):
    STREAM = "ledger"

    @event("Opened")
    def __init__(self, owner: str):
        self.owner = owner
        self.entries: list[int] = []
        self.due: date | None = None

    @event("Entered")
    def enter(self, amount: int):
        self.entries.append(amount)

    @event("Scheduled")
    def schedule(self, due: date):
        self.due = due


class T(ServiceApplication):
    name = "t"


@pytest.fixture
def settings(tmp_path) -> StoreSettings:
    return StoreSettings(service="t", data_dir=str(tmp_path))


@pytest.fixture
def app(settings, clock):
    application = T(env=settings.event_store_env(), clock=clock)
    yield application
    application.close()


def open_ledger(app, owner="o"):
    def action():
        ledger = Ledger(owner)
        return {"ledger_id": ledger.id}, [ledger]
    return action


def enter(app, ledger_id, amount, expected_version=None):
    def action():
        ledger = app.repository.get(ledger_id)
        check_version(ledger, expected_version)
        ledger.enter(amount)
        return {"version": ledger.version}, [ledger]
    return action


def new_ledger(app) -> Ledger:
    written = app.execute(meta_for(), open_ledger(app))
    return app.repository.get(written.result["ledger_id"])


# -- execute -------------------------------------------------------------------------------
def test_execute_records_and_returns_the_new_position(app):
    assert app.position() == 0
    written = app.execute(meta_for(), open_ledger(app, "alice"))
    assert written.position == app.position() == 1
    assert written.replayed is False
    ledger = app.repository.get(written.result["ledger_id"])
    assert ledger.owner == "alice"


def test_execute_position_counts_receipts_too(app):
    written = app.execute(meta_for(command_id="cmd-00000001"), open_ledger(app))
    assert written.position == app.position() == 2   # the ledger's event and the command receipt


def test_a_repeated_command_id_returns_the_first_result_and_records_nothing(app):
    runs = []

    def action():
        runs.append(1)
        ledger = Ledger("alice")
        return {"ledger_id": ledger.id}, [ledger]

    meta = meta_for(command_id="cmd-00000001")
    first = app.execute(meta, action, fingerprint="fp-1")
    position = app.position()
    again = app.execute(meta, action, fingerprint="fp-1")
    assert again.result == first.result
    assert again.replayed is True
    assert again.position == position == app.position()
    assert len(runs) == 1                    # the second call never ran the action


def test_the_same_command_id_for_a_different_command_is_refused(app):
    meta = meta_for(command_id="cmd-00000001")
    app.execute(meta, open_ledger(app), fingerprint="fp-1")
    position = app.position()
    with pytest.raises(ServiceError) as caught:
        app.execute(meta, open_ledger(app), fingerprint="fp-2")
    assert caught.value.code == "command_id_reused"
    assert app.position() == position


def test_command_ids_are_scoped_to_the_actor(app):
    first = app.execute(meta_for("alice", command_id="cmd-00000001"), open_ledger(app), fingerprint="fp")
    second = app.execute(meta_for("bob", command_id="cmd-00000001"), open_ledger(app), fingerprint="fp")
    assert second.replayed is False
    assert second.result != first.result
    assert receipt_id("alice", "cmd-00000001") != receipt_id("bob", "cmd-00000001")


def test_a_failed_command_records_no_receipt(app):
    meta = meta_for(command_id="cmd-00000001")

    def refuse():
        raise ServiceError("rule_violation", "no")

    with pytest.raises(ServiceError):
        app.execute(meta, refuse, fingerprint="fp")
    assert app.position() == 0
    assert app.execute(meta, open_ledger(app), fingerprint="fp").replayed is False


def test_a_stale_expected_version_is_a_conflict(app):
    ledger = new_ledger(app)
    app.execute(meta_for(), enter(app, ledger.id, 5, expected_version=1))
    with pytest.raises(ServiceError) as caught:
        app.execute(meta_for(), enter(app, ledger.id, 7, expected_version=1))
    assert caught.value.code == "conflict"
    assert caught.value.rule == "expected_version"
    assert app.repository.get(ledger.id).entries == [5]


def test_a_lost_race_is_retried_with_a_fresh_load(app, settings):
    """Another writer commits between our load and our save: the command decides again."""
    ledger = new_ledger(app)
    rival = T(env=settings.event_store_env())
    attempts = []

    def action():
        mine = app.repository.get(ledger.id)
        if not attempts:
            theirs = rival.repository.get(ledger.id)
            with acting(meta_for("rival")):
                theirs.enter(1)
            rival.record(theirs)
        attempts.append(mine.version)
        mine.enter(2)
        return {}, [mine]

    try:
        app.execute(meta_for(), action)
    finally:
        rival.close()
    assert attempts == [1, 2]
    assert app.repository.get(ledger.id).entries == [1, 2]


def test_a_race_lost_every_time_becomes_a_conflict(app, settings):
    ledger = new_ledger(app)
    rival = T(env=settings.event_store_env())

    def action():
        mine = app.repository.get(ledger.id)
        theirs = rival.repository.get(ledger.id)
        with acting(meta_for("rival")):
            theirs.enter(1)
        rival.record(theirs)
        mine.enter(2)
        return {}, [mine]

    try:
        with pytest.raises(ServiceError) as caught:
            app.execute(meta_for(), action)
    finally:
        rival.close()
    assert caught.value.code == "conflict"
    assert 2 not in app.repository.get(ledger.id).entries


def test_two_racing_copies_of_one_command_record_it_once(app, settings):
    """The loser of the race on the receipt reads the winner's result instead of writing again."""
    rival = T(env=settings.event_store_env())
    meta = meta_for(command_id="cmd-00000001")
    raced = []

    def action():
        if not raced:
            raced.append(rival.execute(meta, open_ledger(rival), fingerprint="fp"))
        ledger = Ledger("mine")
        return {"ledger_id": ledger.id}, [ledger]

    try:
        written = app.execute(meta, action, fingerprint="fp")
    finally:
        rival.close()
    assert written.replayed is True
    assert written.result == raced[0].result
    assert app.position() == raced[0].position == 2     # one ledger, one receipt


def test_written_response_carries_position_and_replayed():
    assert Written({"a": 1}, 7, True).response() == {"a": 1, "position": 7, "replayed": True}


def test_commit_listeners_hear_every_record(app):
    heard = []
    app.on_commit(lambda: heard.append(app.position()))
    app.execute(meta_for(), open_ledger(app))
    app.execute(meta_for(), open_ledger(app))
    assert heard == [1, 2]


# -- metadata ------------------------------------------------------------------------------
def test_events_cannot_be_triggered_without_an_actor():
    with pytest.raises(NoActorError):
        Ledger("nobody")
    with acting(meta_for()):
        ledger = Ledger("somebody")
    with pytest.raises(NoActorError):
        ledger.enter(1)


def test_event_meta_is_stored_on_every_event_and_survives_reload(app, settings):
    opened = meta_for("alice", "unit_contact", unit_id="u-1", at=START, command_id="cmd-00000001")
    ledger_id = app.execute(opened, open_ledger(app)).result["ledger_id"]
    later = meta_for("bob", "officer", at=START + timedelta(days=3), command_id="cmd-00000002")
    app.execute(later, enter(app, ledger_id, 10))

    reopened = T(env=settings.event_store_env())
    try:
        first, second = reopened.events.get(ledger_id)
    finally:
        reopened.close()
    assert first.meta == {"actor": {"actor_id": "alice", "role": "unit_contact", "unit_id": "u-1"},
                          "occurred_at": START.isoformat(), "correlation_id": opened.correlation_id,
                          "causation_id": None, "command_id": "cmd-00000001"}
    assert second.meta["actor"]["actor_id"] == "bob"
    assert second.meta["occurred_at"] == (START + timedelta(days=3)).isoformat()
    assert second.meta["command_id"] == "cmd-00000002"
    assert second.meta["correlation_id"] == later.correlation_id != opened.correlation_id


def test_business_dates_survive_reload_as_dates(app, settings):
    ledger = new_ledger(app)
    with acting(meta_for()):
        ledger.schedule(date(2026, 2, 28))
    app.record(ledger)
    reopened = T(env=settings.event_store_env())
    try:
        due = reopened.repository.get(ledger.id).due
    finally:
        reopened.close()
    assert due == date(2026, 2, 28)
    assert type(due) is date        # not a string, not a datetime


def test_acting_restores_the_outer_meta():
    outer, inner = meta_for("outer"), meta_for("inner")
    with acting(outer):
        with acting(inner):
            assert Ledger("x").collect_events()[0].meta["actor"]["actor_id"] == "inner"
        assert Ledger("y").collect_events()[0].meta["actor"]["actor_id"] == "outer"


# -- storage -------------------------------------------------------------------------------
def test_sqlite_store_syncs_every_commit(app, settings):
    app.execute(meta_for(), open_ledger(app))
    assert sqlite_synchronous_of(settings.sqlite_path("t")) == 2   # FULL
    # the read models are rebuildable from the events: NORMAL (still never torn, in WAL mode)
    assert sqlite_synchronous_of(settings.sqlite_path("t-views"), ViewsSQLitePool) == 1


def test_sqlite_store_is_in_wal_mode(app, settings):
    import sqlite3

    app.execute(meta_for(), open_ledger(app))
    connection = sqlite3.connect(settings.sqlite_path("t"))
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_record_with_tracking_writes_both(app):
    with acting(meta_for()):
        ledger = Ledger("x")
    position = app.record(ledger, tracking=Tracking("src/x", 1))
    assert position == app.position() == 1
    assert app.recorder.max_tracking_id("src/x") == 1


def test_record_with_tracking_is_atomic(app):
    """A tracking row that cannot be written takes the aggregate's events down with it."""
    app.record(tracking=Tracking("src/x", 1))
    with acting(meta_for()):
        ledger = Ledger("x")
    with pytest.raises(IntegrityError):
        app.record(ledger, tracking=Tracking("src/x", 1))
    assert app.get_or_none(ledger.id) is None
    assert app.position() == 0


def test_tracking_alone_does_not_move_the_position(app):
    assert app.record(tracking=Tracking("src/x", 1)) == 0
    assert app.recorder.max_tracking_id("src/x") == 1


def test_get_or_none(app):
    assert app.get_or_none(uuid4()) is None
    assert app.get_or_none(new_ledger(app).id).owner == "o"


def test_store_settings_from_config():
    settings = StoreSettings.from_config({"STORE": {"kind": "POSTGRES", "postgres": {"dbname": "x"}}}, "review")
    assert (settings.service, settings.kind, settings.postgres) == ("review", "postgres", {"dbname": "x"})
    env = settings.event_store_env()
    assert (env["POSTGRES_SCHEMA"], env["POSTGRES_DBNAME"]) == ("review", "x")
    assert settings.view_store_env()["POSTGRES_SCHEMA"] == "review_views"
    assert StoreSettings.from_config({}, "review").kind == "sqlite"
    with pytest.raises(ValueError):
        StoreSettings.from_config({"STORE": {"kind": "mongo"}}, "review")


def test_sqlite_events_and_views_live_in_separate_files(tmp_path):
    settings = StoreSettings(service="review", data_dir=str(tmp_path))
    assert settings.event_store_env()["SQLITE_DBNAME"] != settings.view_store_env()["SQLITE_DBNAME"]


def test_fingerprint_ignores_key_order_but_not_content():
    assert fingerprint("decide", {"a": 1, "b": 2}) == fingerprint("decide", {"b": 2, "a": 1})
    assert fingerprint("decide", {"a": 1}) != fingerprint("decide", {"a": 2})
    assert fingerprint("decide", {"a": 1}) != fingerprint("approve", {"a": 1})
    assert fingerprint("d", {"when": datetime(2024, 1, 1, tzinfo=BEIJING)})   # non-JSON values are fine
