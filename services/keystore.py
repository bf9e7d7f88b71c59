"""The keystores of personal data (docs/privacy.md): rotate the master key, migrate legacy ids.

    python -m services.keystore rotate                 # new master key; every service's data keys re-wrapped
    python -m services.keystore status                 # data keys per service and the master keys wrapping them
    python -m services.keystore migrate-index          # index the ID numbers of records made before the index
    python -m services.keystore reapply-erasures       # after restoring a keystore backup: erase again

`rotate` adds a master key to the privacy keys file and makes it current, waits until running
services have re-read the file (they check it every few seconds), re-wraps every data key of every
service under it, and drops the old master keys once no data key uses them. No event is rewritten:
events are sealed under data keys, which do not change.

`migrate-index` is for stores that hold records made before the keyed index existed: experts whose
id is uuid5 of their ID number, and unit contacts. It reads each such record's ID number (stored in
clear then) and records the mapping ID number -> person in the index: for an expert, to the expert's
existing id (the stream is never rewritten); for a contact, to a new random person. It is safe to
run again. docs/privacy.md says what stays of those legacy records after an erasure.
"""
from __future__ import annotations

import argparse
import time

import yaml
from nameko.cli.main import setup_yaml_parser

from services.catalog import APPLICATIONS
from shared.config import Settings
from shared.eventstore.settings import StoreSettings
from shared.keys import KeyProblem
from shared.privacy import open_keystore
from shared.privacy.master import LiveMasterKeys, PrivacyKeys, keys_file
from shared.privacy.sealing import is_sealed
from shared.privacy.vault import ID_NUMBERS


def rotate(config: Settings, services=tuple(APPLICATIONS), wait_seconds: float | None = None) -> dict:
    """The rotation; {"master": new kid, "rewrapped": {service: (re-wrapped, total)}, "dropped": [kids]}."""
    path = keys_file(config.keys_dir, config.privacy_keys_file)
    keys = PrivacyKeys.load(path)
    new_kid = keys.add_master()
    keys.save(path)
    time.sleep(LiveMasterKeys.RELOAD_SECONDS + 1 if wait_seconds is None else wait_seconds)
    rewrapped, in_use = {}, set()
    for service in services:
        keystore = open_keystore(config, service)
        try:
            rewrapped[service] = keystore.rewrap()
            in_use |= keystore.master_kids_in_use()
        finally:
            keystore.close()
    keys = PrivacyKeys.load(path)
    dropped = keys.drop_masters_except(in_use)
    keys.save(path)
    return {"master": new_kid, "rewrapped": rewrapped, "dropped": dropped}


def status(config: Settings, services=tuple(APPLICATIONS)) -> dict:
    found = {}
    for service in services:
        keystore = open_keystore(config, service)
        try:
            rows = keystore._execute("SELECT master_kid, COUNT(*) FROM {p}data_keys GROUP BY master_kid")
            found[service] = dict(rows)
        finally:
            keystore.close()
    return found


def migrate_index(config: Settings) -> dict:
    """Index the ID numbers of the registration records stored before the keyed index."""
    settings = StoreSettings.of(config, "registration")
    app = APPLICATIONS["registration"](env=settings.event_store_env())
    keystore = open_keystore(config, "registration")
    counts = {"experts": 0, "contacts": 0, "already_sealed": 0}
    try:
        position = 0
        while notifications := app.recorder.select_notifications(start=position + 1, limit=1000):
            for notification in notifications:
                position = notification.id
                if not notification.topic.endswith(("Expert.Recommended", "Unit.Registered", "Unit.DetailsUpdated")):
                    continue
                state = app.mapper.transcoder.decode(notification.state)
                if notification.topic.endswith("Expert.Recommended"):
                    number = state.get("id_number")
                    if is_sealed(number):
                        counts["already_sealed"] += 1
                    elif number and keystore.index(ID_NUMBERS, number, str(notification.originator_id)):
                        counts["experts"] += 1
                else:
                    number = (state.get("contact") or {}).get("id_number")
                    if is_sealed(number):
                        counts["already_sealed"] += 1
                    elif number:
                        keystore.hold(str(notification.originator_id), keystore.person_for(ID_NUMBERS, number))
                        counts["contacts"] += 1
    finally:
        keystore.close()
        app.close()
    return counts


def reapply_erasures(config: Settings, services=("registration", "application")) -> dict:
    """Erase again every person whose erasure the event stores record, in every service's keystore:
    a keystore restored from a backup older than an erasure must not bring the key back."""
    people = set()
    for service in services:
        app = APPLICATIONS[service](env=StoreSettings.of(config, service).event_store_env())
        try:
            position = 0
            while notifications := app.recorder.select_notifications(start=position + 1, limit=1000,
                                                                      topics=_erasure_topics()):
                people |= {app.mapper.to_domain_event(n).person_id for n in notifications}
                position = notifications[-1].id
        finally:
            app.close()
    erased = {}
    for service in APPLICATIONS:
        keystore = open_keystore(config, service)
        try:
            erased[service] = sum(1 for person in people if keystore.erase(person)["data_keys"])
        finally:
            keystore.close()
    return {"people": len(people), "keys_destroyed_again": erased}


def _erasure_topics() -> list[str]:
    from eventsourcing.utils import get_topic

    from shared.privacy.erasure import Erasure
    return [get_topic(Erasure.Erased), get_topic(Erasure.ErasedAgain)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("rotate", "status", "migrate-index", "reapply-erasures"))
    parser.add_argument("--config", default="deploy/config.yaml")
    args = parser.parse_args(argv)
    setup_yaml_parser()
    with open(args.config, encoding="utf-8") as handle:
        config = Settings.from_mapping(yaml.safe_load(handle))
    for service in APPLICATIONS:
        StoreSettings.of(config, service).prepare()
    try:
        if args.command == "rotate":
            done = rotate(config)
            print(f"master key {done['master']} is current; re-wrapped: "
                  + ", ".join(f"{s} {n}/{total}" for s, (n, total) in done["rewrapped"].items())
                  + f"; dropped old master keys: {', '.join(done['dropped']) or 'none'}; no event was rewritten")
        elif args.command == "status":
            for service, masters in status(config).items():
                print(f"{service}: " + (", ".join(f"{n} data keys under {kid}" for kid, n in masters.items())
                                        or "no data keys"))
        elif args.command == "reapply-erasures":
            done = reapply_erasures(config)
            print(f"{done['people']} erased people; data keys destroyed again: "
                  + ", ".join(f"{s} {n}" for s, n in done["keys_destroyed_again"].items()))
        else:
            counts = migrate_index(config)
            print(f"indexed {counts['experts']} experts under their existing ids and {counts['contacts']} unit "
                  f"contacts under new person ids; {counts['already_sealed']} records were already sealed")
    except KeyProblem as problem:
        print(f"error: {problem}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
