"""What-if: every open case's entitlements under a draft policy edition, beside the recorded ones.

    .venv/bin/python -m services.whatif --edition path/to/draft.yaml [--out report.json]

Reads funding's read model (the data folder or PostgreSQL schema of `--config`) and writes nothing:
per-case differences and per-year totals (recorded vs draft) as JSON, with a progress bar on stderr
and the rate on the last line. The draft is checked like a released edition but not released.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import yaml
from nameko.cli.main import setup_yaml_parser
from tqdm import tqdm

from shared import policy as policies
from shared.config import Settings
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore


from services.funding.whatif import count_open, what_if


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edition", required=True, help="the draft edition's YAML file")
    parser.add_argument("--config", default="deploy/config.yaml")
    parser.add_argument("--out", help="write the JSON report here (default: stdout)")
    args = parser.parse_args(argv)

    draft = policies.read_draft(args.edition)
    setup_yaml_parser()
    with open(args.config, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    views = ViewStore(StoreSettings.of(Settings.from_mapping(config), "funding").view_store_env())
    try:
        total = count_open(views, draft["programme"])
        started = time.monotonic()
        with tqdm(total=total, unit="case", file=sys.stderr, desc=f"what-if {draft['edition']}") as bar:
            report = what_if(views, draft, progress=bar.update)
        seconds = time.monotonic() - started
    finally:
        views.close()
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text)
    print(f"{report['open_cases']} open cases, {report['cases_changed']} changed, in {seconds:.2f} s "
          f"({report['open_cases'] / seconds if seconds else 0:,.0f} cases/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
