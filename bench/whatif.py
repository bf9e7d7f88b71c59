"""What-if throughput on the embedded store: fill a fresh funding store (SQLite, in a temporary folder)
with N decided programme A cases and N appointed placements through funding's own inbox, project them,
then time `what_if` under a draft of each programme (the same code `python -m services.whatif` runs).

    .venv/bin/python -m bench.whatif [--cases 2000]
"""
from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from shared import policy as policies
from shared.clock import BEIJING, ManualClock
from shared.eventstore.projection import ProjectionRunner
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.messaging.inbox import Inbox

from services.funding.app import FundingApplication
from services.funding.whatif import what_if
from tests.unit.test_funding_application import decided_v2, opened
from tests.unit.test_funding_b_application import appointed, filed


def draft(folder: Path, released: str, name: str, old: str, new: str) -> dict:
    text = Path(policies.editions().get(released).path).read_text(encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(text.replace(f"edition: {released}", f"edition: {name}").replace(old, new), encoding="utf-8")
    return policies.read_draft(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases of each programme")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        settings = StoreSettings(service="funding", data_dir=folder)
        settings.prepare()
        clock = ManualClock(datetime(2025, 3, 15, 10, tzinfo=BEIJING))
        app = FundingApplication(env=settings.event_store_env(), clock=clock)
        inbox = Inbox("funding", app, app.inbound_handlers())
        views = ViewStore(settings.view_store_env())
        started = time.monotonic()
        for _ in range(args.cases):
            case_id, placement_id = uuid.uuid4(), uuid.uuid4()
            inbox.accept(opened(case_id))
            inbox.accept(decided_v2(case_id))
            inbox.accept(filed(placement_id))
            inbox.accept(appointed(placement_id))
        runner = ProjectionRunner(app, views, app.projections())
        while runner.step():
            pass
        print(f"filled {2 * args.cases} cases in {time.monotonic() - started:.1f} s")
        for name, edition in (("A", draft(Path(folder), "changju-2024", "changju-2025-draft",
                                          "yearly_yuan: 50000", "yearly_yuan: 60000")),
                              ("B", draft(Path(folder), "vice-president-2.0", "vice-president-2.1-draft",
                                          "monthly_yuan: 2000", "monthly_yuan: 2500"))):
            t0 = time.perf_counter()
            report = what_if(views, edition)
            seconds = time.perf_counter() - t0
            print(f"programme {name}: {report['open_cases']} open cases, {report['cases_changed']} changed, "
                  f"{seconds:.2f} s = {report['open_cases'] / seconds:,.0f} cases/s")
        views.close()
        app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
