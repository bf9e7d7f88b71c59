"""RPC latency and throughput of our services against a bare nameko echo, in one run.

    python -m bench.rpc [--calls 500] [--concurrent-calls 2000] [--concurrency 16] [--warmup 50]
                        [--log-level WARNING] [--keep] [--no-signing | --no-access-log | --no-encryption]
                        [--targets echo status file_case history]

What is measured, each sequentially (one caller, N calls: median and p95 latency) and with
16 concurrent callers (16 green threads, each with its own ClusterRpcProxy: calls/s):

* `bench_echo.echo` - the baseline: nameko + RabbitMQ + JSON and nothing else;
* `application.file_case` - a write with the talent's form: token check, validation, command receipt and event
  store commit (fsync'd: the durability in force is printed); meanwhile the relay, the
  projection, and review and funding (which open their own records for each case, whose
  events come back to application's inbox) do their part in the background. Each call has
  a fresh command id, for a unit registered and approved during setup;
* `application.status` - a query: token check, validation, one read-model lookup, on a
  case filed during setup;
* `application.history` - a query that reads the case's events and opens the talent's sealed
  fields (name, birth date), on the same case.

Each phase starts once every store, projection and inbox has caught up with the previous
one (the report says how long that took: the write burst's backlog is a result too).

The services' CPU time (user + system, from /proc) over each target's phases is reported per
call, and for the write per integration event it caused (counted through `events_after`). With
`--no-signing` the services run without signing or verifying events (bench/unsigned.py: a switch
of the benchmark, not of the configuration); interleaved runs with and without give what
signing and verifying cost, in CPU microseconds per event. With `--no-access-log` they run without
recording reads of personal data (bench/unlogged.py), and with `--no-encryption` they store personal
fields in clear (bench/plaintext.py): switches of the benchmark only, one at a time. Interleaved runs
with and without one give its CPU cost per write and per query.

Why the baseline runs in the same run: absolute milliseconds depend on the machine, its
load and the broker of the moment; the ratio to an echo measured minutes apart on the same
broker, processes and client does not, so the goals are stated as ratios to the echo.

Everything measured is started here as real processes (`nameko run`, one per service) in
a throwaway RabbitMQ vhost with a fresh data folder, and stopped at the end, even on
error or Ctrl-C. Other config variables (MAX_WORKERS, STORE_KIND, ...) pass through from
your environment. This is a report: no timing is asserted anywhere.
"""
import eventlet

eventlet.monkey_patch()  # before kombu/nameko/eventsourcing are imported: the callers are green threads

import argparse  # noqa: E402
import functools  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from uuid import uuid4  # noqa: E402

from kombu import Connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench import harness  # noqa: E402
from bench.report import print_report  # noqa: E402
from services import samples  # noqa: E402
from services.registration.domain import unit_id_for  # noqa: E402
from shared.client import cluster  # noqa: E402
from shared.errors import ServiceError  # noqa: E402
from shared.identity import Portals  # noqa: E402
from shared.messaging.topology import FOLLOWS, inbox_name, retry_queues  # noqa: E402

SERVICES = ("registration", "application", "review", "funding")
ECHO = "bench_echo"
CALL_TIMEOUT = 10     # seconds; a reply that takes longer counts as a failed call
MAX_ERRORS = 20       # failed calls per target before the run is abandoned


@dataclass
class Target:
    name: str
    token: str | None
    call: object              # call(rpc, i) -> anything


@dataclass
class Result:
    target: str
    sequential: list = field(default_factory=list)   # seconds per successful call
    concurrent: list = field(default_factory=list)
    wall: float = 0.0                                  # of the concurrent phase
    client_cpu: float = 0.0                            # this process's CPU seconds in the concurrent phase
    service_cpu: float = 0.0                           # the services' CPU seconds over both phases and drains
    cpu_by_service: dict = field(default_factory=dict)  # the same, per service process
    calls: int = 0                                     # every call made in those phases (warm-up included)
    events: dict = field(default_factory=dict)         # integration events published by source in them
    drained: list = field(default_factory=list)        # seconds until all caught up after each phase
    errors: list = field(default_factory=list)

    def failed(self, error: Exception, check_alive) -> None:
        self.errors.append(error)
        check_alive()
        if len(self.errors) >= MAX_ERRORS:
            raise RuntimeError(f"{self.target}: {len(self.errors)} calls failed, the last with {error!r}")

    @property
    def throughput(self) -> float:
        return len(self.concurrent) / self.wall if self.wall else 0.0


# -- measuring -----------------------------------------------------------------------
def measure(uri: str, target: Target, args, settle, check_alive, services=(), count_events=None) -> Result:
    """The sequential phase, then the concurrent one, each starting with all background work done.
    A failed call is counted (and shown in the report); a dead service or MAX_ERRORS failures end the run.
    `services`: the processes whose CPU time is taken over both phases; `count_events()`: the
    integration events published so far, by source."""
    result = Result(target.name)
    settle()
    events_before = count_events() if count_events else {}
    cpu_before = {p.name: p.cpu_seconds() for p in services}

    def timed(rpc, i: int, into: list) -> None:
        start = time.perf_counter()
        try:
            target.call(rpc, i)
        except Exception as error:  # noqa: BLE001
            result.failed(error, check_alive)
        else:
            into.append(time.perf_counter() - start)

    with cluster(uri, target.token, timeout=CALL_TIMEOUT) as rpc:
        for i in range(args.warmup):
            target.call(rpc, i)
        for i in tqdm(range(args.calls), desc=f"{target.name:<10} 1 caller", unit="call", leave=False):
            timed(rpc, i, result.sequential)

    result.drained.append(settle())
    proxies = [cluster(uri, target.token, timeout=CALL_TIMEOUT) for _ in range(args.concurrency)]
    try:
        rpcs = [proxy.start() for proxy in proxies]
        for rpc in rpcs:                           # each connection's first call outside the clock
            target.call(rpc, -1)
        counter = itertools.count()
        bar = tqdm(total=args.concurrent_calls, desc=f"{target.name:<10} {args.concurrency} callers",
                   unit="call", leave=False)

        def caller(rpc):
            while (i := next(counter)) < args.concurrent_calls:
                timed(rpc, i, result.concurrent)
                bar.update()

        start, cpu = time.perf_counter(), time.process_time()
        callers = [eventlet.spawn(caller, rpc) for rpc in rpcs]
        try:
            for thread in callers:
                thread.wait()             # re-raises what ended a caller
        finally:
            for thread in callers:
                thread.kill()
        result.wall, result.client_cpu = time.perf_counter() - start, time.process_time() - cpu
        bar.close()
    finally:
        for proxy in proxies:
            proxy.stop()
    result.drained.append(settle())
    result.cpu_by_service = {p.name: p.cpu_seconds() - cpu_before[p.name] for p in services}
    result.service_cpu = sum(result.cpu_by_service.values())
    result.calls = args.warmup + args.calls + args.concurrency + args.concurrent_calls
    if count_events:
        result.events = {source: n - events_before.get(source, 0) for source, n in count_events().items()}
    return result


def published_events(uri: str, token: str) -> dict[str, int]:
    """How many integration events each service has published (its `events_after` from 0)."""
    counts = {}
    with cluster(uri, token, timeout=60) as rpc:
        for service in SERVICES:
            position, counts[service] = 0, 0
            while True:
                page = rpc[service].events_after(position=position, limit=1000)
                counts[service] += len(page["events"])
                if page["last_position"] == position:
                    break
                position = page["last_position"]
    return counts


class Lagging(Exception):
    pass


def settle(uri: str, processes, timeout: float = 120.0) -> float:
    """Wait until every store has relayed and projected all it holds and every inbox is empty,
    twice in a row with the same positions (a message being handled is not in its queue's count),
    so that one phase's background work does not land in the next phase's figures."""
    queues = [inbox_name(s) for s, sources in FOLLOWS.items() if sources]
    queues += [q.name for s, sources in FOLLOWS.items() if sources for q in retry_queues(s)]
    start, previous = time.monotonic(), []

    def snapshot():
        """The stores' positions if all is caught up; else raises Lagging, saying what lags."""
        lagging, healths = [], []
        with cluster(uri, timeout=10) as rpc:
            for service in SERVICES:
                try:
                    healths.append(h := rpc[service].health())
                except Exception as error:  # noqa: BLE001
                    lagging.append(f"{service}.health() failed: {error!r}")
                    continue
                behind = {k: v for k, v in [("relay", h["relay_position"]), *h["projections"].items()]
                          if v != h["position"]}
                if behind:
                    lagging.append(f"{service} at {h['position']}, behind: {behind}")
        with Connection(uri) as conn:
            channel = conn.default_channel
            for q in queues:
                if count := channel.queue_declare(queue=q, passive=True).message_count:
                    lagging.append(f"{q}: {count} messages")
        if lagging:
            raise Lagging("; ".join(lagging))
        return [h["position"] for h in healths]

    def quiet():
        before = previous[:]
        previous.clear()
        previous.append(snapshot())   # stays empty if the snapshot raises
        return previous == before

    harness.wait_until(quiet, "every service has caught up", timeout=timeout, interval=0.25, processes=processes)
    return time.monotonic() - start


# -- setting up ----------------------------------------------------------------------
def start_all(uri: str, data_dir: str, keys_dir: str, log_level: str, signing: bool = True,
              access_log: bool = True, encryption: bool = True):
    env = harness.service_env(uri, data_dir, log_level=log_level, KEYS_DIR=keys_dir)
    modules = {service: f"services.{service}.service" for service in SERVICES}
    modules[ECHO] = "bench.echo_service"
    switched_off = [launcher for on, launcher in ((signing, "bench.unsigned"), (access_log, "bench.unlogged"),
                                                  (encryption, "bench.plaintext")) if not on]
    if len(switched_off) > 1:
        raise SystemExit("--no-signing, --no-access-log and --no-encryption measure one switch at a time")
    launcher = switched_off[0] if switched_off else "nameko"
    return [harness.NamekoProcess(name, module, env, log_dir=data_dir, launcher=launcher)
            for name, module in modules.items()]


def wait_ready(uri: str, processes) -> dict:
    """Each service's health() (the echo's answer to an echo), once it listens."""
    def answer(name):
        with cluster(uri, timeout=5) as rpc:
            return rpc.bench_echo.echo("ready") if name == ECHO else rpc[name].health()

    answers = {}
    for p in processes:
        harness.wait_until(lambda: harness.nameko_listening(uri, p.name), f"{p.name} listens", timeout=90,
                           processes=processes)
        answers[p.name] = harness.wait_until(lambda: answer(p.name), f"{p.name} answers", timeout=30,
                                             processes=processes)
    return answers


def approved_unit_and_case(uri: str, portals: Portals, processes):
    """Register a unit, approve it as an officer, and file its first case once `application` knows."""
    officer = portals.token("bench-officer", "officer", ttl_seconds=3600)
    credit_code = uuid4().hex.upper()[:18]
    unit_id = str(unit_id_for(credit_code))
    contact = portals.token("bench-contact", "unit_contact", unit_id, ttl_seconds=3600)
    with cluster(uri, officer) as rpc:
        rpc.registration.register_unit(command_id=f"bench-{uuid4()}",
                                       **{**samples.unit_registration(credit_code), "name": "Benchmark Unit"})
        rpc.registration.audit_unit(command_id=f"bench-{uuid4()}", unit_id=unit_id, outcome="approve",
                                    reason="benchmark unit")

    def file_first_case(rpc):
        try:
            return rpc.application.file_case(command_id=f"bench-{uuid4()}", unit_id=unit_id, programme="A",
                                              title="benchmark status case", talent=samples.talent(),
                                              claims=samples.claims())
        except ServiceError as error:
            if error.code in ("not_found", "rule_violation"):   # approval not learnt yet
                return None
            raise

    with cluster(uri, contact) as rpc:
        filed = harness.wait_until(lambda: file_first_case(rpc), "application has learnt the approval",
                                   timeout=30, processes=processes)
    return unit_id, contact, filed["case_id"]


def targets(unit_id: str, contact: str, case_id: str) -> list[Target]:
    def case_payload(i):
        # with the talent's form, as portals send it: its name and birth date are sealed at rest
        return {"command_id": f"bench-{uuid4()}", "unit_id": unit_id, "programme": "A",
                "title": f"benchmark case {i}", "talent": samples.talent(), "claims": samples.claims()}
    return [
        # the echo carries a payload of the same shape and size as file_case's
        Target("echo", contact, lambda rpc, i: rpc.bench_echo.echo(case_payload(i))),
        Target("status", contact, lambda rpc, i: rpc.application.status(case_id=case_id)),
        # a query that opens personal fields: the case stream, read from the events
        Target("history", contact, lambda rpc, i: rpc.application.history(case_id=case_id)),
        Target("file_case", contact, lambda rpc, i: rpc.application.file_case(**case_payload(i))),
    ]


# -- the run -------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.rpc", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="sequential calls per target (default 500)")
    parser.add_argument("--concurrent-calls", type=int, default=2000,
                        help="calls per target spread over the concurrent callers (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent callers (default 16)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured calls per target first (default 50)")
    switches = parser.add_mutually_exclusive_group()
    switches.add_argument("--no-signing", action="store_true",
                          help="run the services without signing or verifying events (to measure what they cost)")
    switches.add_argument("--no-access-log", action="store_true",
                          help="run the services without recording reads in the access log (to measure its cost)")
    switches.add_argument("--no-encryption", action="store_true",
                          help="run the services with personal fields stored in clear (to measure what sealing costs)")
    parser.add_argument("--targets", nargs="+", choices=("echo", "status", "file_case", "history"),
                        default=["echo", "status", "file_case", "history"],
                        help="what to measure (default all; the echo always runs, as the baseline)")
    harness.add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so a SIGTERM stops the services too
    load_before = os.getloadavg()[0]
    processes = []
    with harness.Workdir("bench-rpc-", args.keep) as run:
        workdir = run.path
        with harness.throwaway_vhost(harness.Management(args.management_url)) as vhost:
            uri = harness.amqp_uri(vhost, host=args.rabbit_host)
            keys_dir = harness.development_keys(os.path.join(workdir, "keys"))
            processes = start_all(uri, workdir, keys_dir, args.log_level, signing=not args.no_signing,
                                  access_log=not args.no_access_log, encryption=not args.no_encryption)
            with harness.running(processes):
                print(f"vhost {vhost}, data and logs in {workdir}; starting {len(processes)} services ...",
                      file=sys.stderr)
                healths = wait_ready(uri, processes)
                unit_id, contact, case_id = approved_unit_and_case(uri, Portals(keys_dir), processes)
                quiet = functools.partial(settle, uri, processes)
                alive = functools.partial(harness.check_alive, processes, "measuring")
                auditor = Portals(keys_dir).token("bench-auditor", "auditor", ttl_seconds=3600)
                services = [p for p in processes if p.name != ECHO]
                count = functools.partial(published_events, uri, auditor)
                results = [measure(uri, target, args, quiet, alive, services, count)
                           for target in targets(unit_id, contact, case_id)
                           if target.name == "echo" or target.name in args.targets]
        problems = harness.log_problems(processes)
        run.keep = run.keep or bool(problems)
        print_report(results, args, {n: h["store"] for n, h in healths.items() if n != ECHO},
                     machine=f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                     load=(load_before, os.getloadavg()[0]),
                     problems=problems, workdir=run.path if run.keep else None)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
