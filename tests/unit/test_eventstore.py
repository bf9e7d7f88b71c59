"""The event-store plumbing on a real SQLite file: the command path (handlers, idempotent
command ids, optimistic concurrency), the unit of work, event metadata, durability settings
and atomic tracking."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError, Tracking

from shared.clock import BEIJING
from shared.config import ConfigError, Settings
from shared.errors import Refused, rule_violation
from shared.eventstore.aggregate import Stream
from shared.eventstore.application import ServiceApplication, Written, check_version, handles
from shared.eventstore.receipts import fingerprint, receipt_id
from shared.eventstore.settings import StoreSettings, ViewsSQLitePool, sqlite_synchronous_of
from shared.eventstore.unit_of_work import UnitOfWork

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


@dataclass(frozen=True)
class OpenLedger:
    owner: str = "o"


@dataclass(frozen=True)
class Enter:
    ledger_id: object
    amount: int
    expected_version: int | None = None


@dataclass(frozen=True)
class Refuse:
    pass


class T(ServiceApplication):
    name = "t"
    before_save = None   # a test's hook: runs inside the handler, after loading, before saving

    @handles(OpenLedger)
    def open_ledger(self, command, uow):
        ledger = Ledger(command.owner)
        uow.add(ledger)
        return {"ledger_id": ledger.id}

    @handles(Enter)
    def enter(self, command, uow):
        ledger = uow.get(Ledger, command.ledger_id, "ledger")
        check_version(ledger, command.expected_version)
        if self.before_save:
            self.before_save(ledger)
        ledger.enter(command.amount)
        return {"version": ledger.version}

    @handles(Refuse)
    def refuse(self, command, uow):
        uow.add(Ledger("never"))
        raise rule_violation("test.no", "no")


@pytest.fixture
def settings(tmp_path) -> StoreSettings:
    return StoreSettings(service="t", data_dir=str(tmp_path))


@pytest.fixture
def app(settings, clock):
    application = T(env=settings.event_store_env(), clock=clock)
    yield application
    application.close()


def new_ledger(app) -> Ledger:
    written = app.handle(OpenLedger(), meta_for())
    return app.repository.get(written.result["ledger_id"])


# -- handle: the one path of a command -----------------------------------------------------
def test_handle_records_and_returns_the_new_position(app):
    assert app.position() == 0
    written = app.handle(OpenLedger("alice"), meta_for())
    assert written.position == app.position() == 1
    assert written.replayed is False
    assert app.repository.get(written.result["ledger_id"]).owner == "alice"


def test_handlers_are_registered_per_command_class():
    assert T.command_handlers == {OpenLedger: T.open_ledger, Enter: T.enter, Refuse: T.refuse}


def test_the_position_counts_receipts_too(app):
    written = app.handle(OpenLedger(), meta_for(command_id="cmd-00000001"))
    assert written.position == app.position() == 2   # the ledger's event and the command receipt


def test_a_repeated_command_id_returns_the_first_result_and_records_nothing(app, monkeypatch):
    runs = []
    monkeypatch.setattr(T, "command_handlers", {**T.command_handlers,
                                                OpenLedger: lambda self, c, uow: runs.append(1) or
                                                T.open_ledger(self, c, uow)})
    meta = meta_for(command_id="cmd-00000001")
    first = app.handle(OpenLedger("alice"), meta, fingerprint="fp-1")
    position = app.position()
    again = app.handle(OpenLedger("alice"), meta, fingerprint="fp-1")
    assert again.result == first.result
    assert again.replayed is True
    assert again.position == position == app.position()
    assert len(runs) == 1                    # the second call never ran the handler


def test_the_same_command_id_for_a_different_command_is_refused(app):
    meta = meta_for(command_id="cmd-00000001")
    app.handle(OpenLedger(), meta, fingerprint="fp-1")
    position = app.position()
    with pytest.raises(Refused) as caught:
        app.handle(OpenLedger(), meta, fingerprint="fp-2")
    assert caught.value.code == "command_id_reused"
    assert app.position() == position


def test_command_ids_are_scoped_to_the_actor(app):
    first = app.handle(OpenLedger(), meta_for("alice", command_id="cmd-00000001"), fingerprint="fp")
    second = app.handle(OpenLedger(), meta_for("bob", command_id="cmd-00000001"), fingerprint="fp")
    assert second.replayed is False
    assert second.result != first.result
    assert receipt_id("alice", "cmd-00000001") != receipt_id("bob", "cmd-00000001")


def test_a_refused_command_records_nothing_not_even_its_receipt(app):
    meta = meta_for(command_id="cmd-00000001")
    with pytest.raises(Refused) as caught:
        app.handle(Refuse(), meta, fingerprint="fp")
    assert (caught.value.code, caught.value.rule) == ("rule_violation", "test.no")
    assert app.position() == 0
    assert app.handle(OpenLedger(), meta, fingerprint="fp").replayed is False


def test_a_stale_expected_version_is_a_conflict(app):
    ledger = new_ledger(app)
    app.handle(Enter(ledger.id, 5, expected_version=1), meta_for())
    with pytest.raises(Refused) as caught:
        app.handle(Enter(ledger.id, 7, expected_version=1), meta_for())
    assert caught.value.code == "conflict"
    assert caught.value.rule == "expected_version"
    assert app.repository.get(ledger.id).entries == [5]


def test_an_unknown_aggregate_is_not_found_by_its_name(app):
    with pytest.raises(Refused) as caught:
        app.handle(Enter(uuid4(), 1), meta_for())
    assert caught.value.code == "not_found" and caught.value.message.startswith("ledger ")


def test_a_lost_race_is_retried_with_a_fresh_load(app, settings):
    """Another writer commits between our load and our save: the command decides again."""
    ledger = new_ledger(app)
    rival = T(env=settings.event_store_env())
    attempts = []

    def interfere(mine):
        if not attempts:
            rival.handle(Enter(ledger.id, 1), meta_for("rival"))
        attempts.append(mine.version)

    app.before_save = interfere
    try:
        app.handle(Enter(ledger.id, 2), meta_for())
    finally:
        rival.close()
    assert attempts == [1, 2]
    assert app.repository.get(ledger.id).entries == [1, 2]


def test_a_race_lost_every_time_becomes_a_conflict(app, settings):
    ledger = new_ledger(app)
    rival = T(env=settings.event_store_env())
    app.before_save = lambda mine: rival.handle(Enter(ledger.id, 1), meta_for("rival"))
    try:
        with pytest.raises(Refused) as caught:
            app.handle(Enter(ledger.id, 2), meta_for())
    finally:
        rival.close()
    assert caught.value.code == "conflict"
    assert 2 not in app.repository.get(ledger.id).entries


def test_two_racing_copies_of_one_command_record_it_once(app, settings, monkeypatch):
    """The loser of the race on the receipt reads the winner's result instead of writing again."""
    rival = T(env=settings.event_store_env())
    meta = meta_for(command_id="cmd-00000001")
    raced = []

    def open_after_the_rival(self, command, uow):
        if self is app and not raced:
            raced.append(rival.handle(command, meta, fingerprint="fp"))
        return T.open_ledger(self, command, uow)

    monkeypatch.setattr(T, "command_handlers", {**T.command_handlers, OpenLedger: open_after_the_rival})
    try:
        written = app.handle(OpenLedger("mine"), meta, fingerprint="fp")
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
    app.handle(OpenLedger(), meta_for())
    app.handle(OpenLedger(), meta_for())
    assert heard == [1, 2]


# -- the unit of work ------------------------------------------------------------------------
def test_a_unit_of_work_loads_each_aggregate_once(app):
    ledger_id = new_ledger(app).id
    uow = UnitOfWork(app, meta_for())
    assert uow.get(Ledger, ledger_id, "ledger") is uow.get(Ledger, str(ledger_id), "ledger") is uow.find(ledger_id)
    assert uow.find(uuid4()) is None


def test_a_unit_of_work_commits_every_change_at_once(app):
    ledger_id = new_ledger(app).id
    uow = UnitOfWork(app, meta_for("bob", "officer"))
    uow.get(Ledger, ledger_id, "ledger").enter(3)
    uow.add(Ledger("new"))
    assert uow.commit() == app.position() == 3
    assert [e.meta["actor"]["actor_id"] for e in app.events.get(ledger_id)] == ["officer-1", "bob"]


# -- metadata ------------------------------------------------------------------------------
def test_domain_events_carry_no_metadata_until_recorded():
    ledger = Ledger("somebody")
    ledger.enter(1)
    assert not any(hasattr(e, "meta") for e in ledger.collect_events())


def test_event_meta_is_stored_on_every_event_and_survives_reload(app, settings):
    opened = meta_for("alice", "unit_contact", unit_id="u-1", at=START, command_id="cmd-00000001")
    ledger_id = app.handle(OpenLedger(), opened).result["ledger_id"]
    later = meta_for("bob", "officer", at=START + timedelta(days=3), command_id="cmd-00000002")
    app.handle(Enter(ledger_id, 10), later)

    reopened = T(env=settings.event_store_env())
    try:
        first, second = reopened.events.get(ledger_id)
    finally:
        reopened.close()
    assert first.meta == {"actor": {"actor_id": "alice", "role": "unit_contact", "unit_id": "u-1"},
                          "occurred_at": START.isoformat(), "correlation_id": opened.correlation_id,
                          "causation_id": None, "command_id": "cmd-00000001",
                          "recorded_on": app.clock.now().isoformat()}
    assert second.meta["actor"]["actor_id"] == "bob"
    assert second.meta["occurred_at"] == (START + timedelta(days=3)).isoformat()
    assert second.meta["command_id"] == "cmd-00000002"
    assert second.meta["correlation_id"] == later.correlation_id != opened.correlation_id


def test_recorded_on_is_the_business_clock_at_commit_not_the_commands_time(app, settings):
    """A command may take effect at one business moment and be recorded at another: both are kept."""
    app.clock.set(START + timedelta(days=40))
    ledger_id = app.handle(OpenLedger(), meta_for("alice", "unit_contact", unit_id="u-1", at=START)).result["ledger_id"]
    (opened,) = app.events.get(ledger_id)
    assert opened.meta["occurred_at"] == START.isoformat()
    assert opened.meta["recorded_on"] == (START + timedelta(days=40)).isoformat()


def test_business_dates_survive_reload_as_dates(app, settings):
    ledger = new_ledger(app)
    ledger.schedule(date(2026, 2, 28))
    app.record(meta_for(), ledger)
    reopened = T(env=settings.event_store_env())
    try:
        due = reopened.repository.get(ledger.id).due
    finally:
        reopened.close()
    assert due == date(2026, 2, 28)
    assert type(due) is date        # not a string, not a datetime


# -- storage -------------------------------------------------------------------------------
def test_sqlite_store_syncs_every_commit(app, settings):
    app.handle(OpenLedger(), meta_for())
    assert sqlite_synchronous_of(settings.sqlite_path("t")) == 2   # FULL
    # the read models are rebuildable from the events: NORMAL (still never torn, in WAL mode)
    assert sqlite_synchronous_of(settings.sqlite_path("t-views"), ViewsSQLitePool) == 1


def test_sqlite_store_is_in_wal_mode(app, settings):
    import sqlite3

    app.handle(OpenLedger(), meta_for())
    connection = sqlite3.connect(settings.sqlite_path("t"))
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_record_with_tracking_writes_both(app):
    ledger = Ledger("x")
    position = app.record(meta_for(), ledger, tracking=Tracking("src/x", 1))
    assert position == app.position() == 1
    assert app.recorder.max_tracking_id("src/x") == 1


def test_record_with_tracking_is_atomic(app):
    """A tracking row that cannot be written takes the aggregate's events down with it."""
    app.record(meta_for(), tracking=Tracking("src/x", 1))
    ledger = Ledger("x")
    with pytest.raises(IntegrityError):
        app.record(meta_for(), ledger, tracking=Tracking("src/x", 1))
    assert app.get_or_none(ledger.id) is None
    assert app.position() == 0


def test_tracking_alone_does_not_move_the_position(app):
    assert app.record(meta_for(), tracking=Tracking("src/x", 1)) == 0
    assert app.recorder.max_tracking_id("src/x") == 1


def test_get_or_none(app):
    assert app.get_or_none(uuid4()) is None
    assert app.get_or_none(new_ledger(app).id).owner == "o"


def test_store_settings_from_config():
    config = Settings.from_mapping({"STORE": {"kind": "POSTGRES", "postgres": {"dbname": "x"}}})
    settings = StoreSettings.of(config, "review")
    assert (settings.service, settings.kind, settings.postgres.dbname) == ("review", "postgres", "x")
    env = settings.event_store_env()
    assert (env["POSTGRES_SCHEMA"], env["POSTGRES_DBNAME"]) == ("review", "x")
    assert settings.view_store_env()["POSTGRES_SCHEMA"] == "review_views"
    assert StoreSettings.of(Settings.from_mapping({}), "review").kind == "sqlite"
    with pytest.raises(ConfigError):
        Settings.from_mapping({"STORE": {"kind": "mongo"}})


def test_sqlite_events_and_views_live_in_separate_files(tmp_path):
    settings = StoreSettings(service="review", data_dir=str(tmp_path))
    assert settings.event_store_env()["SQLITE_DBNAME"] != settings.view_store_env()["SQLITE_DBNAME"]


def test_fingerprint_ignores_key_order_but_not_content():
    assert fingerprint("decide", {"a": 1, "b": 2}) == fingerprint("decide", {"b": 2, "a": 1})
    assert fingerprint("decide", {"a": 1}) != fingerprint("decide", {"a": 2})
    assert fingerprint("decide", {"a": 1}) != fingerprint("approve", {"a": 1})
    assert fingerprint("d", {"when": datetime(2024, 1, 1, tzinfo=BEIJING)})   # non-JSON values are fine
