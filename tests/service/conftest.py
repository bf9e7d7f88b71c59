import os

import pytest

from shared.config import Settings
from shared.keys import generate
from shared.platform.store import build_store

TOKEN_KEY = "service-test-token-key-0123456789abcdef"


def service_config(data_dir, amqp_uri="pyamqp://guest:guest@127.0.0.1:5672/") -> dict:
    """A service's config on `data_dir`, with every service's signing key made in `<data_dir>/keys`."""
    keys = os.path.join(str(data_dir), "keys")
    generate(keys, {service: ("event-signing", ()) for service in ("registration", "application", "review", "funding")})
    return {"AMQP_URI": amqp_uri, "serializer": "json", "TOKEN": {"key": TOKEN_KEY, "issuer": "changping-portal"},
            "STORE": {"kind": "sqlite", "data_dir": str(data_dir)}, "KEYS": {"dir": keys}, "LOG_LEVEL": "WARNING"}


@pytest.fixture
def store_for(tmp_path):
    """A real store (SQLite in tmp_path) for a service's Application, closed afterwards."""
    built = []

    def build(service, application_class):
        store = build_store(Settings.from_mapping(service_config(tmp_path)), service, application_class)
        built.append(store)
        return store
    yield build
    for store in built:
        store.close()
