"""Fixtures shared by the unit tests: a manual clock and SQLite-backed applications.
No broker, no nameko containers."""
from __future__ import annotations

import pytest

from shared.clock import ManualClock
from shared.config import Settings
from shared.eventstore.settings import StoreSettings
from shared.privacy import attach
from tests.support import keys

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
        # with its keystore, as build_store gives it (test keys: tests/support/keys.py)
        attach(app, Settings(keys_dir=keys.keys_dir(), data_dir=str(tmp_path)), service or cls.name)
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()
        app.vault.keystore.close()
