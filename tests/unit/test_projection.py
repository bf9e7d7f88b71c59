"""Projection runners: batches, positions, read-your-writes waits and rebuilds from zero."""
import threading
import uuid

import pytest

from shared.eventstore.projection import Projection, ProjectionRunner
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore

from services.registration.app import UNITS, RegistrationApplication, UnitsView
from services.review.app import REVIEWS, ReviewApplication, ReviewsView
from services.registration import commands as registering
from services.review import commands as reviewing
from tests.unit.unit_helpers import SOURCE, handled, meta_for, submitted, unit_details


class Seen(Projection):
    """Records, per batch, which notifications it was shown."""
    name = "seen"
    collections = ("seen",)

    def apply(self, event, notification_id, docs):
        doc = docs.get("seen", "all") or {"ids": []}
        docs.put("seen", "all", {"ids": [*doc["ids"], notification_id]})


@pytest.fixture
def views(tmp_path):
    store = ViewStore(StoreSettings(service="registration", data_dir=str(tmp_path)).view_store_env())
    yield store
    store.close()


@pytest.fixture
def registration(make_app):
    return make_app(RegistrationApplication)


def credit_code(n: int) -> str:
    return f"91110114MA{n:08d}"


def register(app, n: int) -> uuid.UUID:
    written = app.handle(registering.RegisterUnit(**unit_details(credit_code(n))), meta_for("contact", "unit_contact"))
    return uuid.UUID(written.result["unit_id"])


def audit(app, unit_id, outcome="approve", officer="officer-1"):
    return app.handle(registering.AuditUnit(unit_id=unit_id, outcome=outcome, reason=f"{outcome}d"), meta_for(officer))


def all_docs(views, collection) -> list[dict]:
    docs, total = views.find(collection, limit=10_000)
    assert len(docs) == total
    return docs


def test_step_applies_one_batch_and_records_its_position(registration, views):
    for n in range(5):
        register(registration, n)
    runner = ProjectionRunner(registration, views, [Seen()])
    assert runner.step(limit=2) == 2
    assert runner.position == 2
    assert views.get("seen", "all") == {"ids": [1, 2]}
    assert runner.step(limit=2) == 2
    assert runner.step(limit=2) == 1
    assert runner.step(limit=2) == 0
    assert runner.position == 5
    assert views.get("seen", "all") == {"ids": [1, 2, 3, 4, 5]}


def test_step_with_nothing_new_changes_nothing(registration, views):
    runner = ProjectionRunner(registration, views, [Seen()])
    assert runner.step() == 0
    assert runner.position == 0
    assert views.get("seen", "all") is None


def test_units_view_follows_the_units(registration, views):
    unit_id = register(registration, 1)
    audit(registration, unit_id, "approve", "officer-7")
    ProjectionRunner(registration, views, [UnitsView()]).step()
    doc = views.get(UNITS, str(unit_id))
    assert doc["status"] == "approved"
    assert doc["audited_by"] == "officer-7"
    assert doc["version"] == 2
    assert "contact" not in doc


def test_a_batch_sees_its_own_earlier_changes(registration, views):
    """Registered and Approved of one unit in one batch: the second builds on the first."""
    unit_id = register(registration, 1)
    audit(registration, unit_id)
    ProjectionRunner(registration, views, [UnitsView()]).step(limit=100)
    assert views.get(UNITS, str(unit_id))["name"] == unit_details()["name"]


def test_wait_for_returns_once_the_follower_has_caught_up(registration, views):
    runner = ProjectionRunner(registration, views, [UnitsView()], poll_seconds=5)
    registration.on_commit(runner.follower.wake)
    follower = threading.Thread(target=runner.follower.run, daemon=True)
    follower.start()
    try:
        position = audit(registration, register(registration, 1)).position
        assert runner.wait_for(position, timeout=5) is True
        assert runner.position >= position
        assert runner.wait_for(position + 100, timeout=0.1) is False
    finally:
        runner.follower.stop()
        follower.join(timeout=5)


def test_wait_for_an_already_reached_position_does_not_wait(registration, views):
    runner = ProjectionRunner(registration, views, [UnitsView()])
    runner.step()
    assert runner.wait_for(0, timeout=0) is True


def test_rebuild_reproduces_the_incremental_documents(registration, views):
    runner = ProjectionRunner(registration, views, [UnitsView()])
    units = [register(registration, n) for n in range(6)]
    runner.step(limit=3)
    for unit_id in units[:3]:
        audit(registration, unit_id, "approve")
    runner.step(limit=1)
    audit(registration, units[4], "reject")
    while runner.step(limit=2):
        pass
    incremental, position = all_docs(views, UNITS), runner.position

    assert runner.rebuild("units") == position
    assert runner.position == position
    assert all_docs(views, UNITS) == incremental
    assert {doc["status"] for doc in incremental} == {"approved", "rejected", "pending"}


def test_rebuild_drops_documents_no_event_supports(registration, views):
    register(registration, 1)
    runner = ProjectionRunner(registration, views, [UnitsView()])
    runner.step()
    views.apply({}, [(UNITS, "stray", {"unit_id": "stray"})])
    runner.rebuild("units")
    assert views.get(UNITS, "stray") is None
    assert len(all_docs(views, UNITS)) == 1


def test_rebuild_reports_progress(registration, views):
    for n in range(5):
        register(registration, n)
    runner = ProjectionRunner(registration, views, [Seen()])
    progress = []
    runner.rebuild("seen", progress=progress.append)
    assert sum(progress) == 5


def test_reviews_view_rebuilds_identically(make_app, tmp_path):
    review = make_app(ReviewApplication)
    store = ViewStore(StoreSettings(service="review", data_dir=str(tmp_path)).view_store_env())
    try:
        runner = ProjectionRunner(review, store, [ReviewsView()])
        for n in range(4):
            opened = submitted()
            review.record(meta_for("system:review", "system"), opened)
            runner.step(limit=1)
            if n % 2:
                handled(review, reviewing.ApproveAudit(case_id=opened.id, reason="ok"))
                paper_checked = review.review(opened.id)
                paper_checked.check_paper(True, SOURCE)
                review.record(meta_for("system:review", "system"), paper_checked)
                handled(review, reviewing.Score(case_id=opened.id, score=80, opinion="ok"), "reviewer-1", "reviewer")
            if n == 3:
                handled(review, reviewing.DecideAward(case_id=opened.id, award_fen=1_000, reason="ok"),
                        "decider-1", "decision_maker")
        runner.step()
        incremental = all_docs(store, REVIEWS)
        runner.rebuild("reviews")
        assert all_docs(store, REVIEWS) == incremental
        assert [d.get("award_fen") for d in incremental].count(1_000) == 1
    finally:
        store.close()
