"""What sealing and opening personal fields cost in the event mapper itself, in CPU microseconds.

    python -m bench.privacy [--events 5000] [--rounds 5]

In this process, on a throwaway SQLite store: the talent's declaration (`Case.TalentDeclared`, two
sealed fields) is mapped to its stored form (for a new person, whose data key is made then, and for
a known one) and back, with the service's keystore (sealed) and without (in clear), in interleaved
rounds; the median per event of each is printed with the
difference. No broker, no other process: this isolates the mapper's share, which `bench.rpc
--no-encryption` measures inside whole calls. This is a report: no timing is asserted anywhere.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from uuid import uuid4

from services.application.app import ApplicationApplication
from services.application.domain import Case
from services.samples import talent
from shared.config import Settings
from shared.eventstore.settings import StoreSettings
from shared.privacy import attach
from shared.privacy.master import generate_if_missing


def declared(n: int) -> list:
    events = []
    for _ in range(n):
        case = Case(programme="A", unit_id=uuid4(), title="t", policy_edition="e")
        case._talent_declared(talent=talent(), claims=[], category="outstanding", entries={})
        events.append(case.collect_events()[-1])
    return events


def cpu_per_event(work, items) -> float:
    started = time.process_time()
    for item in items:
        work(item)
    return (time.process_time() - started) / len(items) * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.privacy", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        generate_if_missing(f"{folder}/keys")
        config = Settings(keys_dir=f"{folder}/keys", data_dir=f"{folder}/data")
        StoreSettings.of(config, "application").prepare()
        app = ApplicationApplication(env=StoreSettings.of(config, "application").event_store_env())
        vault = attach(app, config, "application")
        mapper = app.mapper
        known = declared(args.events)
        kinds = ("new person", "known person", "read")
        results = {mode: {kind: [] for kind in kinds} for mode in ("sealed", "clear")}
        for _ in range(args.rounds):
            for mode in ("sealed", "clear"):
                fresh = declared(args.events)       # each a new case: its talent's first write makes the key
                mapper.vault = vault if mode == "sealed" else None
                results[mode]["new person"].append(cpu_per_event(mapper.to_stored_event, fresh))
                results[mode]["known person"].append(cpu_per_event(mapper.to_stored_event, known))
                stored = [mapper.to_stored_event(e) for e in known]
                mapper.vault = vault     # reading a sealed value needs the keystore
                results[mode]["read"].append(cpu_per_event(mapper.to_domain_event, stored))
        app.close()
        vault.keystore.close()
    print(f"Case.TalentDeclared (2 personal fields), {args.events} events, median of {args.rounds} interleaved rounds, "
          "CPU µs per event")
    for what in kinds:
        sealed, clear = (statistics.median(results[m][what]) for m in ("sealed", "clear"))
        label = "read" if what == "read" else f"write, {what}"
        print(f"  {label:26} sealed {sealed:7.1f}   clear {clear:7.1f}   sealing costs {sealed - clear:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
