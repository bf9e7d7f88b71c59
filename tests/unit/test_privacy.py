"""Personal fields at rest: sealed per person, bound to their place, erasable by key, re-wrapped on rotation."""
from __future__ import annotations

import json

import pytest

from services.application.app import ApplicationApplication
from services.application.domain import Case
from services.registration.app import RegistrationApplication
from services.registration.domain import Unit
from shared.config import Settings
from shared.eventstore.settings import StoreSettings
from shared.privacy import ERASED, attach
from shared.privacy.inventory import INVENTORY, locate
from shared.privacy.master import PrivacyKeys, generate_if_missing, keys_file
from shared.privacy.sealing import Unreadable, is_sealed

TALENT = {"name": "王晓明", "birth_date": "1972-03-15", "has_contract": True, "months_worked_per_year": 11,
          "field_fits_changping": True, "commits_years": 3}


def settings_for(tmp_path) -> Settings:
    keys = tmp_path / "keys"
    generate_if_missing(str(keys))
    return Settings(keys_dir=str(keys), data_dir=str(tmp_path / "data"))


def application(tmp_path, service="application", klass=ApplicationApplication):
    config = settings_for(tmp_path)
    store = StoreSettings.of(config, service)
    store.prepare()
    app = klass(env=store.event_store_env(), settings=config)
    attach(app, config, service)
    return app, config


def stored_state(app, stream_id, version) -> dict:
    record = app.recorder.select_events(stream_id, gt=version - 1, lte=version)[0]
    return json.loads(record.state)


def talent_event(app) -> Case:
    case = Case(programme="A", unit_id=__import__("uuid").uuid4(), title="t", policy_edition="e")
    case._talent_declared(talent=dict(TALENT), claims=[], category="outstanding", entries={})
    app.save(case)
    return case


def test_every_inventory_entry_names_real_event_classes():
    from services.catalog import APPLICATIONS
    for entry in INVENTORY:
        app_class = APPLICATIONS[entry.service]
        module = __import__(app_class.__module__.rsplit(".", 1)[0] + ".domain", fromlist=["x"])
        owner, event = entry.event.split(".")
        assert hasattr(getattr(module, owner), event), entry.event


def test_personal_fields_are_stored_sealed_and_read_back(tmp_path):
    app, _ = application(tmp_path)
    case = talent_event(app)
    state = stored_state(app, case.id, 2)
    assert is_sealed(state["talent"]["name"]) and is_sealed(state["talent"]["birth_date"])
    assert state["talent"]["commits_years"] == 3                       # the facts the rules read stay plain
    assert "王晓明" not in json.dumps(state, ensure_ascii=False)
    again = app.repository.get(case.id)
    assert again.talent["name"] == "王晓明" and str(again.talent["birth_date"]) == "1972-03-15"


def test_each_encryption_takes_a_fresh_nonce(tmp_path):
    app, _ = application(tmp_path)
    first, second = stored_state(app, talent_event(app).id, 2), stored_state(app, talent_event(app).id, 2)
    assert first["talent"]["name"]["nonce"] != second["talent"]["name"]["nonce"]
    assert first["talent"]["name"]["ct"] != second["talent"]["name"]["ct"]


def test_a_sealed_value_moved_to_another_field_or_record_does_not_open(tmp_path):
    app, _ = application(tmp_path)
    case = talent_event(app)
    sealed = stored_state(app, case.id, 2)["talent"]["name"]
    vault = app.vault
    assert vault.open_value(sealed, str(case.id), 2, "talent.name") is not None
    for stream, version, field in ((str(case.id), 2, "talent.birth_date"), (str(case.id), 3, "talent.name"),
                                   ("00000000-0000-0000-0000-000000000000", 2, "talent.name")):
        with pytest.raises(Unreadable):
            vault.open_value(sealed, stream, version, field)


def test_erasing_the_person_reads_erased_and_keeps_the_record_replayable(tmp_path):
    app, _ = application(tmp_path)
    case = talent_event(app)
    person = app.vault.keystore.find_subject(str(case.id))
    assert person is not None
    app.vault.erase(person)
    again = app.repository.get(case.id)
    assert again.talent["name"] == ERASED and again.talent["birth_date"] == ERASED
    assert again.talent["commits_years"] == 3 and again.version == 2
    assert stored_state(app, case.id, 2)["talent"]["name"]["ct"]       # the event itself is untouched


def test_rotating_the_master_key_rewraps_data_keys_and_rewrites_no_event(tmp_path):
    app, config = application(tmp_path)
    case = talent_event(app)
    before = app.recorder.select_events(case.id)
    path = keys_file(config.keys_dir)
    keys = PrivacyKeys.load(path)
    old = keys.master.current_kid
    keys.add_master()
    keys.save(path)
    app2, _ = application(tmp_path)                                   # a service restarted with the new keys
    assert app2.vault.keystore.rewrap() == (1, 1)
    assert app2.vault.keystore.master_kids_in_use() == {keys.master.current_kid}
    keys.drop_masters_except(app2.vault.keystore.master_kids_in_use())
    keys.save(path)
    assert old not in PrivacyKeys.load(path).master.keys
    app3, _ = application(tmp_path)
    assert app3.repository.get(case.id).talent["name"] == "王晓明"
    assert [e.state for e in app3.recorder.select_events(case.id)] == [e.state for e in before]


def test_the_keyed_index_finds_a_person_by_id_number_only_with_the_key(tmp_path):
    app, _ = application(tmp_path, "registration", RegistrationApplication)
    vault = app.vault
    person = vault.person_for_id_number("11010119900101123x")
    assert vault.find_person(" 11010119900101123X ") == person
    assert vault.person_for_id_number("11010119900101123X") == person
    import uuid
    assert person != str(uuid.uuid5(uuid.NAMESPACE_URL, "11010119900101123X"))
    digest = vault.keystore.digest("id", "11010119900101123X")
    assert "11010119900101123X" not in digest and len(digest) == 64
    vault.erase(person)
    assert vault.find_person("11010119900101123X") is None


def test_a_unit_contact_is_sealed_under_the_person_its_id_number_names(tmp_path):
    app, _ = application(tmp_path, "registration", RegistrationApplication)
    contact = {"name": "张三", "phone": "13800000000", "id_number": "110101199001011234"}
    unit = Unit(id=__import__("uuid").uuid4(), name="x", credit_code="91110114MA01ABCDE1", unit_type="enterprise",
                industry="medicine_health", registered_in_changping=True, contact=contact, materials=[])
    app.save(unit)
    state = stored_state(app, unit.id, 1)
    assert all(is_sealed(state["contact"][k]) for k in contact)
    person = app.vault.find_person("110101199001011234")
    assert person is not None
    app.vault.erase(person)
    assert app.repository.get(unit.id).contact == {"name": ERASED, "phone": ERASED, "id_number": ERASED}
    assert app.repository.get(unit.id).credit_code == "91110114MA01ABCDE1"


def test_locate_walks_lists_and_mappings():
    state = {"a": [{"b": {"c": 1}}, {"b": None}, {"b": {"c": 2}}], "d": None}
    assert [c[k] for c, k in locate(state, "a[].b.c")] == [1, 2]
    assert locate(state, "d.x") == [] and locate(state, "missing") == []


def test_an_application_without_a_keystore_refuses_to_read_sealed_values(tmp_path):
    app, config = application(tmp_path)
    case = talent_event(app)
    bare = ApplicationApplication(env=StoreSettings.of(config, "application").event_store_env())
    with pytest.raises(Unreadable):
        bare.repository.get(case.id)


def test_the_keystore_works_the_same_on_postgresql(tmp_path):
    """Data keys, the keyed index, record subjects, erasure and re-wrapping on a PostgreSQL schema."""
    psycopg = pytest.importorskip("psycopg")
    from shared.config import PostgresSettings
    from shared.privacy import open_keystore
    from tests.support.postgres import SERVER, throwaway_database

    try:
        psycopg.connect(dbname="postgres", connect_timeout=3, **SERVER).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
    with throwaway_database() as dbname:
        generate_if_missing(str(tmp_path / "keys"))
        config = Settings(keys_dir=str(tmp_path / "keys"), store_kind="postgres",
                          postgres=PostgresSettings(dbname=dbname, **SERVER))
        StoreSettings.of(config, "registration").prepare()
        keystore = open_keystore(config, "registration")
        try:
            kid, key = keystore.key_for("person-1")
            assert keystore.key_for("person-1")[0] == kid and keystore.key_by_kid(kid) is not None
            person = keystore.person_for("id", "110101199001011234")
            assert keystore.find_person("id", " 110101199001011234 ") == person
            keystore.hold("record-1", "person-1")
            assert keystore.find_subject("record-1") == "person-1"
            path = keys_file(config.keys_dir)
            keys = PrivacyKeys.load(path)
            keys.add_master()
            keys.save(path)
            keystore._by_kid.clear(), keystore._by_person.clear()
            import time
            time.sleep(keystore.master.RELOAD_SECONDS + 0.1)
            assert keystore.rewrap() == (1, 1) and keystore.master_kids_in_use() == {keys.master.current_kid}
            assert keystore.erase("person-1") == {"data_keys": 1, "person_index": 0, "record_subjects": 1}
            keystore._by_kid.clear()
            assert keystore.key_by_kid(kid) is None
        finally:
            keystore.close()
