"""Rebuild a service's read models from position zero of its own store, with a progress bar.

    python -m services.rebuild application                 # every projection of the service
    python -m services.rebuild application case_status     # just one

If the service is not running (this command can take the store's lease), it rebuilds
here. If it is running, it resets the projections and the running service rebuilds them
(its runner sees them back at zero); this command follows its progress until it is done.
"""
from __future__ import annotations

import argparse
import sys
import time

import yaml
from nameko.cli.main import setup_yaml_parser
from tqdm import tqdm

from services.catalog import APPLICATIONS
from shared.config import Settings
from shared.privacy import attach as attach_vault
from shared.eventstore.projection import ProjectionRunner
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.platform.projections import platform_projections


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=sorted(APPLICATIONS))
    parser.add_argument("projections", nargs="*", help="projection names (default: all of the service's)")
    parser.add_argument("--config", default="deploy/config.yaml")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for a running service")
    args = parser.parse_args(argv)

    setup_yaml_parser()
    with open(args.config, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    config = Settings.from_mapping(config)
    settings = StoreSettings.of(config, args.service)
    settings.prepare()
    app = APPLICATIONS[args.service](env=settings.event_store_env())
    attach_vault(app, config, args.service)   # projections read personal fields as the service does
    views = ViewStore(settings.view_store_env())
    lease = settings.lease()
    try:
        runner = ProjectionRunner(app, views, (*app.projections(), *platform_projections()))
        names = args.projections or list(runner.projections)
        unknown = set(names) - set(runner.projections)
        if unknown:
            parser.error(f"{args.service} has no projection {', '.join(sorted(unknown))}; "
                         f"it has {', '.join(runner.projections)}")
        head = app.position()
        started = time.monotonic()
        if lease.acquire():
            read = rebuild_here(runner, names, head)
            where = "here (the service is not running)"
        else:
            read = follow_running_service(runner, views, names, head, args.timeout)
            where = "by the running service"
        seconds = time.monotonic() - started
        print(f"rebuilt {', '.join(names)} of {args.service} {where}: {read} events in {seconds:.1f} s "
              f"({read / seconds if seconds else 0:,.0f} events/s)")
        return 0
    finally:
        lease.release()
        views.close()
        app.close()


def rebuild_here(runner: ProjectionRunner, names: list[str], head: int) -> int:
    total = 0
    for name in names:
        with tqdm(total=head, desc=name, unit="event") as bar:
            total += runner.rebuild(name, progress=bar.update)
    return total


def follow_running_service(runner, views, names, head: int, timeout: float) -> int:
    for name in names:
        views.reset(name, runner.projections[name].collections)
    deadline = time.monotonic() + timeout
    with tqdm(total=head * len(names), desc="rebuilding in the service", unit="event") as bar:
        while (done := sum(min(views.position(name), head) for name in names)) < head * len(names):
            bar.update(done - bar.n)
            if time.monotonic() > deadline:
                print("the running service did not finish the rebuild in time", file=sys.stderr)
                raise SystemExit(1)
            time.sleep(0.2)
        bar.update(done - bar.n)
    return head * len(names)


if __name__ == "__main__":
    raise SystemExit(main())
