"""Personal data: the inventory, sealing at rest under per-person data keys, the keystore, erasure.
See docs/privacy.md."""
from __future__ import annotations

from shared.privacy.inventory import ERASED  # noqa: F401


def open_keystore(config, service: str):
    """The service's keystore, beside its stores (SQLite file or PostgreSQL schema); KeyProblem if
    the privacy keys are missing or malformed (the service refuses to start)."""
    from shared.eventstore.settings import StoreSettings
    from shared.privacy.keystore import Keystore
    from shared.privacy.master import LiveMasterKeys, keys_file

    keys = LiveMasterKeys(keys_file(config.keys_dir, config.privacy_keys_file))
    settings = StoreSettings.of(config, service)
    if settings.kind == "sqlite":
        return Keystore(service, keys, keys.index_key, sqlite_path=settings.sqlite_path(f"{service}-keys"))
    import psycopg

    return Keystore(service, keys, keys.index_key,
                    connect=lambda: psycopg.connect(**settings.postgres.connect_kwargs()), schema=f"{service}_keys")


def attach(app, config, service: str):
    """Give `app` its vault: its mapper seals and opens personal fields from now on."""
    from shared.privacy.vault import Vault

    vault = Vault(service, open_keystore(config, service))
    app.mapper.vault = vault
    app.vault = vault
    return vault
