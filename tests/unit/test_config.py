"""The typed configuration: defaults, parsing, and a clear refusal of a malformed setting."""
from datetime import datetime

import pytest

from shared.clock import BEIJING, ScaledClock, SystemClock
from shared.config import ConfigError, Settings


def test_an_empty_mapping_gives_the_documented_defaults():
    settings = Settings.from_mapping({})
    assert (settings.store_kind, settings.data_dir, settings.relay_poll_seconds, settings.relay_batch_size,
            settings.inbox_max_attempts, settings.timer_seconds) == ("sqlite", "data", 1.0, 200, 5, {})
    assert isinstance(settings.clock.clock(), SystemClock)


def test_values_from_the_yaml_are_typed():
    settings = Settings.from_mapping({
        "STORE": {"kind": "Postgres", "postgres": {"host": "db", "port": "6543", "password": "s"}},
        "RELAY": {"poll_seconds": "0.5", "paused": "true", "batch_size": "50"},
        "INBOX": {"max_attempts": "3"}, "FUNDING": {"timer_seconds": "0.3", "rent_frequency_months": "3"},
        "APPLICATION": {"timer_seconds": ""},
        "CLOCK": {"start": "2024-10-01T09:00:00", "epoch": "1700000000", "speed": "0"}})
    assert settings.store_kind == "postgres" and settings.postgres.port == 6543
    assert settings.postgres.connect_kwargs()["password"] == "s"
    assert (settings.relay_poll_seconds, settings.relay_paused, settings.relay_batch_size) == (0.5, True, 50)
    assert settings.inbox_max_attempts == 3 and settings.rent_frequency_months == 3
    assert settings.timer_seconds == {"FUNDING": 0.3}              # an empty value keeps the timer's default
    clock = settings.clock.clock()
    assert isinstance(clock, ScaledClock) and clock.speed == 0.0   # 0 is a frozen clock, not "unset"
    assert clock.start == datetime(2024, 10, 1, 9, tzinfo=BEIJING)


@pytest.mark.parametrize("config, named", [
    ({"STORE": {"kind": "mongo"}}, "STORE.kind"),
    ({"RELAY": {"batch_size": "many"}}, "RELAY.batch_size"),
    ({"CLOCK": {"start": "next tuesday"}}, "CLOCK.start"),
    ({"INBOX": "five"}, "INBOX"),
])
def test_a_malformed_setting_is_refused_by_name(config, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        Settings.from_mapping(config)


def test_the_keys_folder_is_a_setting():
    assert Settings.from_mapping({}).keys_dir == "keys"
    assert Settings.from_mapping({"KEYS": {"dir": "/run/keys"}}).keys_dir == "/run/keys"
    with pytest.raises(ConfigError, match="KEYS"):
        Settings.from_mapping({"KEYS": "/run/keys"})
