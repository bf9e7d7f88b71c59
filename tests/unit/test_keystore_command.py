"""`python -m services.keystore`: rotating the master key re-wraps data keys and rewrites no event;
the index migration maps legacy ID numbers to the records they were made under."""
from __future__ import annotations

from uuid import uuid4

from services.application.app import ApplicationApplication
from services.application.domain import Case
from services.keystore import migrate_index, rotate, status
from services.registration.app import RegistrationApplication
from services.registration.domain import Expert, legacy_expert_id
from shared.config import Settings
from shared.eventstore.settings import StoreSettings
from shared.privacy import attach
from shared.privacy.master import PrivacyKeys, generate_if_missing, keys_file
from tests.unit.test_expert_pool import POLICY_B, form

TALENT = {"name": "王晓明", "birth_date": "1972-03-15", "has_contract": True, "months_worked_per_year": 11,
          "field_fits_changping": True, "commits_years": 3}


def configured(tmp_path) -> Settings:
    generate_if_missing(str(tmp_path / "keys"))
    config = Settings(keys_dir=str(tmp_path / "keys"), data_dir=str(tmp_path / "data"))
    StoreSettings.of(config, "application").prepare()
    return config


def app_of(config, klass=ApplicationApplication, vault=True):
    app = klass(env=StoreSettings.of(config, klass.name).event_store_env())
    if vault:
        attach(app, config, klass.name)
    return app


def test_rotation_rewraps_every_data_key_and_rewrites_no_event(tmp_path):
    config = configured(tmp_path)
    app = app_of(config)
    case = Case(programme="A", unit_id=uuid4(), title="t", policy_edition="e")
    case._talent_declared(talent=dict(TALENT), claims=[], category="outstanding", entries={})
    app.save(case)
    stored = [e.state for e in app.recorder.select_events(case.id)]
    old = PrivacyKeys.load(keys_file(config.keys_dir)).master.current_kid

    done = rotate(config, wait_seconds=0)

    assert done["rewrapped"]["application"] == (1, 1) and done["dropped"] == [old]
    assert status(config)["application"] == {done["master"]: 1}
    assert set(PrivacyKeys.load(keys_file(config.keys_dir)).master.keys) == {done["master"]}
    assert [e.state for e in app.recorder.select_events(case.id)] == stored
    restarted = app_of(config)
    assert restarted.repository.get(case.id).talent["name"] == "王晓明"   # opens under the new master key


def test_the_index_migration_maps_legacy_experts_to_their_existing_ids(tmp_path):
    config = configured(tmp_path)
    legacy = app_of(config, RegistrationApplication, vault=False)            # as stores were before the index
    details = form(id_number="11010119800101123X")
    legacy.save(Expert.recommend(legacy_expert_id(details["id_number"]), details, POLICY_B))

    assert migrate_index(config) == {"experts": 1, "contacts": 0, "already_sealed": 0}
    assert migrate_index(config)["experts"] == 1            # safe to run again: the same mapping
    registration = app_of(config, RegistrationApplication)
    assert registration.vault.find_person("11010119800101123x") == str(legacy_expert_id("11010119800101123X"))


def test_a_keystore_restored_from_before_an_erasure_is_erased_again(tmp_path):
    import shutil

    from services.keystore import reapply_erasures
    from shared.privacy import ERASED
    from shared.privacy.erasure import ErasePerson
    from tests.unit.unit_helpers import handled

    config = configured(tmp_path)
    app = app_of(config)
    case = Case(programme="A", unit_id=uuid4(), title="t", policy_edition="e")
    case._talent_declared(talent=dict(TALENT), claims=[], category="outstanding", entries={})
    app.save(case)
    keystore_file = tmp_path / "data" / "application-keys.sqlite"
    app.vault.keystore.close()
    shutil.copy(keystore_file, tmp_path / "backup.sqlite")                          # last night's backup
    handled(app, ErasePerson(case_id=case.id, legal_reason="PIPL art. 47"), "ops-1", "operator")
    app.vault.keystore.close()
    shutil.copy(tmp_path / "backup.sqlite", keystore_file)                          # restored after a disk loss
    restored = app_of(config)
    assert restored.repository.get(case.id).talent["name"] == "王晓明"              # the key came back ...

    assert reapply_erasures(config)["keys_destroyed_again"]["application"] == 1
    again = app_of(config)
    assert again.repository.get(case.id).talent["name"] == ERASED                  # ... and is gone again
