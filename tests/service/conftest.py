
import pytest

from shared.config import Settings
from shared.platform.store import build_store
from tests.support.keys import keys_dir, token, trusted  # noqa: F401  (the service tests' tokens)


def service_config(data_dir, amqp_uri="pyamqp://guest:guest@127.0.0.1:5672/") -> dict:
    return {"AMQP_URI": amqp_uri, "serializer": "json", "KEYS": {"dir": keys_dir()},
            "STORE": {"kind": "sqlite", "data_dir": str(data_dir)}, "LOG_LEVEL": "WARNING",
            "CLOCK": {"start": CALL_OPEN}}     # business time inside the 2024 call, as the clusters run


CALL_OPEN = "2024-09-20T09:00:00+08:00"


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
