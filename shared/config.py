"""The service configuration, typed and checked once when a service starts.

nameko hands every extension the same mapping, read from deploy/config.yaml with `${VAR:default}`
substitution. `Settings.of(container)` turns it into this object once per container (a bad value
stops the service at start-up with the setting's name), and every part of the platform reads its
settings here rather than picking through the mapping.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from shared.clock import BEIJING, Clock, ScaledClock, SystemClock


class ConfigError(ValueError):
    """A setting is missing or malformed: the service refuses to start and says which."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "changping"

    def connect_kwargs(self, dbname: str | None = None) -> dict:
        """psycopg.connect's arguments (autocommit, a bounded connect timeout)."""
        return dict(host=self.host, port=self.port, user=self.user, password=self.password or None,
                    dbname=dbname or self.dbname, autocommit=True, connect_timeout=10)


@dataclass(frozen=True)
class ClockSettings:
    """Business time: empty `start` is wall time; else now = start + (wall - epoch) * speed."""
    start: datetime | None = None
    epoch: float | None = None
    speed: float = 1.0

    def clock(self) -> Clock:
        if self.start is None:
            return SystemClock()
        return ScaledClock(self.start, self.epoch if self.epoch is not None else time.time(), self.speed)


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = "pyamqp://guest:guest@127.0.0.1:5672/"
    keys_dir: str = "keys"                        # the key registry and this service's private keys (shared/keys.py)
    amqp_ssl: dict | None = None                  # nameko's AMQP_SSL (TLS to the broker), also for our publishers
    store_kind: str = "sqlite"                    # sqlite | postgres
    data_dir: str = "data"
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    clock: ClockSettings = field(default_factory=ClockSettings)
    log_level: str = "INFO"
    relay_poll_seconds: float = 1.0
    relay_paused: bool = False
    relay_batch_size: int = 200
    inbox_max_attempts: int = 5
    timer_seconds: dict = field(default_factory=dict)   # section ("APPLICATION", "FUNDING") -> wall seconds
    rent_frequency_months: int | None = None            # funding: an office setting; None = the edition's
    policy_dirs: tuple[str, ...] = ()                   # released policy editions beyond shared/policy (docs/policy.md)

    @classmethod
    def of(cls, container) -> Settings:
        """The container's settings, read from its config on first use."""
        settings = getattr(container, "_changping_settings", None)
        if settings is None:
            settings = cls.from_mapping(container.config)
            container._changping_settings = settings
        return settings

    @classmethod
    def from_mapping(cls, config: dict | None) -> Settings:
        config = config or {}
        store, relay = _section(config, "STORE"), _section(config, "RELAY")
        postgres = _section(store, "postgres")
        kind = str(store.get("kind") or "sqlite").lower()
        if kind not in ("sqlite", "postgres"):
            raise ConfigError(f"STORE.kind must be sqlite or postgres, not {kind!r}")
        return cls(
            amqp_uri=str(config.get("AMQP_URI") or cls.amqp_uri),
            keys_dir=str(_section(config, "KEYS").get("dir") or cls.keys_dir),
            amqp_ssl=_amqp_ssl(config.get("AMQP_SSL")),
            store_kind=kind,
            data_dir=str(store.get("data_dir") or "data"),
            postgres=PostgresSettings(
                host=str(postgres.get("host") or "127.0.0.1"), port=_number(postgres, "port", 5432, int, "STORE.postgres"),
                user=str(postgres.get("user") or "postgres"), password=str(postgres.get("password") or ""),
                dbname=str(postgres.get("dbname") or "changping")),
            clock=_clock(_section(config, "CLOCK")),
            log_level=str(config.get("LOG_LEVEL") or "INFO"),
            relay_poll_seconds=_number(relay, "poll_seconds", 1.0, float, "RELAY"),
            relay_paused=relay.get("paused") is True or str(relay.get("paused")).lower() == "true",
            relay_batch_size=_number(relay, "batch_size", 200, int, "RELAY"),
            inbox_max_attempts=_number(_section(config, "INBOX"), "max_attempts", 5, int, "INBOX"),
            timer_seconds={name: _number(_section(config, name), "timer_seconds", None, float, name)
                           for name in ("APPLICATION", "FUNDING") if _section(config, name).get("timer_seconds")
                           not in (None, "")},
            rent_frequency_months=_number(_section(config, "FUNDING"), "rent_frequency_months", None, int, "FUNDING"),
            policy_dirs=tuple(d for d in str(_section(config, "POLICY").get("dirs") or "").split(":") if d),
        )


def _amqp_ssl(value) -> dict | None:
    """nameko's AMQP_SSL: absent or empty is plain AMQP; a mapping is kombu's ssl options."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise ConfigError("AMQP_SSL must be a mapping of TLS options (ca_certs, certfile, keyfile, cert_reqs)")
    return dict(value)


def _section(config: dict, name: str) -> dict:
    value = config.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a mapping")
    return value


def _number(section: dict, key: str, default, kind, where: str):
    value = section.get(key)
    if value in (None, ""):
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.{key} must be a number, not {value!r}") from None


def _clock(section: dict) -> ClockSettings:
    start = section.get("start")
    if start in (None, ""):
        return ClockSettings()
    try:
        moment = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
    except ValueError:
        raise ConfigError(f"CLOCK.start must be an ISO 8601 date-time, not {start!r}") from None
    speed = _number(section, "speed", 1.0, float, "CLOCK")   # 0 is a frozen clock, not a default
    return ClockSettings(start=moment if moment.tzinfo else moment.replace(tzinfo=BEIJING),
                         epoch=_number(section, "epoch", None, float, "CLOCK"), speed=speed)
