"""Fixtures shared by the unit tests: a manual clock and SQLite-backed applications.
No broker, no nameko containers."""
from __future__ import annotations

import pytest

from shared.clock import ManualClock
from shared.eventstore.settings import StoreSettings

from tests.unit.unit_helpers import START


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def make_app(tmp_path, clock):
    """Build a service Application on its own SQLite file under tmp_path; closed at teardown."""
    made = []

    def make(cls, service: str | None = None, **kwargs):
        settings = StoreSettings(service=service or cls.name, data_dir=str(tmp_path))
        app = cls(env=settings.event_store_env(), clock=kwargs.pop("clock", clock), **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()
