"""Event flow between our services, each figure beside a bare-nameko baseline from the same run.

    python -m bench.events [--rate 200] [--seconds 20] [--callers 16] [--catch-up-events 2000]
                           [--rebuild-events 20000] [--keep]

What is measured:

1. Publish-to-handled latency under load. `registration.register_unit` is called at a
   steady rate (fresh credit codes; several concurrent callers, each call started at its
   slot in the schedule, so one slow call does not hold back the next; the report says how
   far behind the schedule calls started). For each `registration.unit.Registered`
   event: the time from its `timestamp` in registration's store to the `timestamp` of the
   `UnitStanding.Learnt` it caused in application's store (matched by the latter's
   `meta["causation_id"]`, the integration event id). Both stamps are taken just before
   each side's commit, so this covers registration's commit, the outbox relay, RabbitMQ
   and application's inbox. Read from the SQLite files after the run. Meanwhile, every
   0.5 s, what waits where (registration's unrelayed notifications, application's inbox
   queue) and, over the drive, each process's CPU time, to show which stage falls behind.
   Baseline: `bench_emitter.emit` dispatches a nameko event carrying its wall-clock time,
   `bench_sink`'s `@event_handler` notes its own on arrival (bench/event_pair.py); same
   rate, callers and payload.
2. Catch-up of a consumer that was down. The application process is stopped, K units are
   registered (their events wait in application's durable inbox queue), the process is
   started again: the time from its start to the last of the K applied (and from the first
   to the last, without the process start-up). Baseline: the sink stopped while K events
   wait in its durable queue, then started.
3. Projection rebuild from the local store, in this process, no broker: an application
   store of N events filled through `app.handle(FileCase)`, then
   `ProjectionRunner.rebuild("case_status")`. Baseline: reading and decoding every
   notification in the same batch size, projecting nothing.

Why the baselines run in the same run: absolute milliseconds depend on the machine, its
load and the broker of the moment. A baseline measured minutes apart on the same broker,
machine and client says how much of a figure is nameko + RabbitMQ (or SQLite + decoding)
and how much is our relay, inbox, stores and projections.

Every process is started here (`nameko run`, one per service, plus the baseline pair) in
a throwaway RabbitMQ vhost with a fresh data folder, and stopped at the end, even on error
or Ctrl-C. Other config variables (MAX_WORKERS, RELAY_POLL_SECONDS, ...) pass through from
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
from contextlib import contextmanager  # noqa: E402
from datetime import datetime  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from uuid import uuid4  # noqa: E402

from kombu import Connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench import harness  # noqa: E402
from bench.harness import CALL_OPEN  # noqa: E402
from bench.event_pair import EMITTER, SINK, sink_queue  # noqa: E402
from bench.events_report import CatchUp, Flow, Rebuild, print_report  # noqa: E402
from bench.rpc import settle  # noqa: E402
from services import samples  # noqa: E402
from services.application.app import ApplicationApplication  # noqa: E402
from services.application.commands import FileCase  # noqa: E402
from services.application.domain import UnitStanding  # noqa: E402
from services.registration.app import RegistrationApplication  # noqa: E402
from services.registration.domain import Unit, unit_id_for  # noqa: E402
from shared.client import cluster  # noqa: E402
from shared.clock import ManualClock  # noqa: E402
from shared.contracts.envelope import event_id_for  # noqa: E402
from shared.eventstore.meta import EventMeta  # noqa: E402
from shared.eventstore.projection import BATCH, ProjectionRunner  # noqa: E402
from shared.eventstore.settings import StoreSettings  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.privacy import attach as attach_vault  # noqa: E402
from shared.eventstore.views import ViewStore  # noqa: E402
from shared.identity import Identity, Portals, system_actor  # noqa: E402
from shared.messaging.topology import inbox_name  # noqa: E402
from shared.platform.parking import ParkedProjection  # noqa: E402

SERVICES = ("registration", "application", "review", "funding")
CALL_TIMEOUT = 10     # seconds; a reply that takes longer counts as a failed call
MAX_ERRORS = 20       # failed calls per burst before the run is abandoned
def unit_payload(tag: str, i: int, credit_code: str) -> dict:
    return {**samples.unit_registration(credit_code), "name": f"Benchmark Unit {tag} {i}"}


# -- driving calls ------------------------------------------------------------------------
@dataclass
class Burst:
    ok: int = 0
    errors: list = field(default_factory=list)
    wall: float = 0.0
    late: float = 0.0          # the furthest behind its slot that a call started, in seconds
    durations: list = field(default_factory=list)   # seconds per successful call
    client_cpu: float = 0.0    # this process's CPU seconds over the burst's wall time (near 1: the client limits)
    backlog: dict = field(default_factory=dict)      # the most that waited at each stage, sampled during the burst
    process_cpu: dict = field(default_factory=dict)  # each watched process's CPU time over the burst's wall time


def drive(uri: str, token: str, call, count: int, rate: float | None, callers: int, desc: str,
          warm, check_alive) -> Burst:
    """`count` calls of `call(rpc, i)` from `callers` green threads, each with its own proxy
    (warmed with `warm(rpc)` first). With a `rate`, call i starts at its slot, start + i/rate."""
    burst = Burst()
    proxies = [cluster(uri, token, timeout=CALL_TIMEOUT) for _ in range(callers)]
    try:
        rpcs = [proxy.start() for proxy in proxies]
        for rpc in rpcs:
            warm(rpc)
        counter, bar = itertools.count(), tqdm(total=count, desc=desc, unit="call", leave=False)
        start, cpu = time.perf_counter() + 0.05, time.process_time()

        def caller(rpc):
            while (i := next(counter)) < count:
                if rate:
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        eventlet.sleep(delay)
                    else:
                        burst.late = max(burst.late, -delay)
                called = time.perf_counter()
                try:
                    call(rpc, i)
                except Exception as error:  # noqa: BLE001 - counted, and shown in the report
                    burst.errors.append(error)
                    check_alive()
                    if len(burst.errors) >= MAX_ERRORS:
                        raise RuntimeError(f"{desc}: {len(burst.errors)} calls failed, the last with {error!r}")
                else:
                    burst.ok += 1
                    burst.durations.append(time.perf_counter() - called)
                bar.update()

        threads = [eventlet.spawn(caller, rpc) for rpc in rpcs]
        try:
            for thread in threads:
                thread.wait()
        finally:
            for thread in threads:
                thread.kill()
        burst.wall = time.perf_counter() - start
        burst.client_cpu = (time.process_time() - cpu) / burst.wall if burst.wall > 0 else 0.0
        bar.close()
    finally:
        for proxy in proxies:
            proxy.stop()
    return burst


@contextmanager
def backlog_sampler(uri: str, queue: str, relay_of: str | None = None, interval: float = 0.5):
    """Every `interval` s, in a green thread: the messages ready in the consumer's `queue` and, for
    our services, the relay's backlog (notifications `relay_of` has recorded but not yet published).
    Yields a dict that holds the largest of each once the block ends."""
    peaks: dict[str, int] = {}
    stopped = []

    def sample(rpc, channel):
        found = {"queue": channel.queue_declare(queue=queue, passive=True).message_count}
        if relay_of:
            health = rpc[relay_of].health()
            found["relay"] = health["position"] - health["relay_position"]
        for stage, value in found.items():
            peaks[stage] = max(peaks.get(stage, 0), value)

    def run():
        with cluster(uri, timeout=5) as rpc, Connection(uri) as conn:
            while not stopped:
                try:
                    sample(rpc, conn.default_channel)
                except Exception:  # noqa: BLE001 - a missed sample is no result; the next one may work
                    pass
                eventlet.sleep(interval)

    thread = eventlet.spawn(run)
    try:
        yield peaks
    finally:
        stopped.append(True)
        thread.wait()


@contextmanager
def cpu_share(processes):
    """Yields a dict that holds, once the block ends, each process's CPU time over the block's wall
    time (1.0 = one core busy throughout)."""
    shares: dict[str, float] = {}
    before, started = {p.name: p.cpu_seconds() for p in processes}, time.perf_counter()
    try:
        yield shares
    finally:
        wall = time.perf_counter() - started
        shares.update({p.name: (p.cpu_seconds() - before[p.name]) / wall for p in processes})


# -- the two systems under test ------------------------------------------------------------
class Ours:
    """registration -> relay -> RabbitMQ -> application's inbox; units registered, by phase."""

    def __init__(self, uri: str, processes):
        self.uri, self.processes = uri, processes
        self.phase_of: dict[str, str] = {}     # unit id -> phase tag, for every unit we tried to register

    def call(self, tag: str):
        def register(rpc, i):
            credit_code = uuid4().hex.upper()[:18]
            self.phase_of[str(unit_id_for(credit_code))] = tag
            rpc.registration.register_unit(command_id=f"bench-{uuid4()}", **unit_payload(tag, i, credit_code))
        return register

    @staticmethod
    def warm(rpc):
        rpc.registration.health()

    def backlog(self):
        return backlog_sampler(self.uri, inbox_name("application"), relay_of="registration")

    def watched(self):
        return [process_named(self.processes, name) for name in ("registration", "application")]

    def wait_handled(self, tag: str, expected: int, timeout: float = 300.0) -> None:
        """Until every store has relayed and projected all it holds and every inbox is empty (bench.rpc's
        settle); whether each event arrived is read from the stores afterwards."""
        settle(self.uri, self.processes, timeout=timeout)


class Pair:
    """The baseline: bench_emitter -> nameko event -> bench_sink."""

    def __init__(self, uri: str, processes):
        self.uri, self.processes = uri, processes

    @staticmethod
    def call(tag: str):
        def emit(rpc, i):   # the same payload as a registration, so the messages are alike in size
            rpc[EMITTER].emit(tag=tag, n=i, data={"command_id": f"bench-{uuid4()}",
                                                  **unit_payload(tag, i, uuid4().hex.upper()[:18])})
        return emit

    @staticmethod
    def warm(rpc):
        rpc[EMITTER].ping()

    def backlog(self):
        return backlog_sampler(self.uri, sink_queue())

    def watched(self):
        return [process_named(self.processes, name) for name in (EMITTER, SINK)]

    def count(self, tag: str) -> int:
        with cluster(self.uri, timeout=5) as rpc:
            return rpc[SINK].count(tag)

    def notes(self, tag: str) -> list:
        with cluster(self.uri, timeout=30) as rpc:
            return rpc[SINK].received(tag)

    def wait_handled(self, tag: str, expected: int, timeout: float = 300.0) -> None:
        harness.wait_until(lambda: self.count(tag) >= expected, f"the sink has handled {expected} '{tag}' events",
                           timeout=timeout, interval=0.2, processes=self.processes)


# -- the phases ------------------------------------------------------------------------------
def latency_phase(args, ours: Ours, pair: Pair, alive, token: str) -> dict:
    """Phase 1: both systems driven at the same steady rate, one after the other."""
    count = int(args.rate * args.seconds)
    bursts = {}
    for name, system in (("baseline", pair), ("ours", ours)):
        target = "bench_emitter.emit" if name == "baseline" else "registration.register_unit"
        if args.warmup:
            warmup = drive(system.uri, token, system.call("warmup"), args.warmup, args.rate, args.callers,
                           f"{target} warm-up", system.warm, alive)
            system.wait_handled("warmup", warmup.ok)
        with system.backlog() as peaks, cpu_share(system.watched()) as shares:
            bursts[name] = drive(system.uri, token, system.call("latency"), count, args.rate, args.callers,
                                 f"{target} at {args.rate:g}/s", system.warm, alive)
        bursts[name].backlog, bursts[name].process_cpu = peaks, shares
        system.wait_handled("latency", bursts[name].ok)
    return bursts


def catch_up_phase(args, ours: Ours, pair: Pair, token: str) -> dict:
    """Phase 2: each consumer stopped, K events queued for it, then started again."""
    return {"baseline": catch_up(args, pair, process_named(pair.processes, SINK), sink_queue(), token),
            "ours": catch_up(args, ours, process_named(ours.processes, "application"), inbox_name("application"),
                             token)}


def catch_up(args, system, consumer: harness.NamekoProcess, queue: str, token: str):
    """Stop `consumer`, send K events its way, wait until they are all in its `queue`, start it
    and wait until all are handled. Returns the burst and the wall-clock time of the start."""
    others = [p for p in system.processes if p is not consumer]
    consumer.stop()
    burst = drive(system.uri, token, system.call("catch-up"), args.catch_up_events, None, args.callers,
                  f"{args.catch_up_events} events, {consumer.name} stopped", system.warm,
                  functools.partial(harness.check_alive, others, "sending"))
    harness.wait_until(lambda: harness.queue_message_count(system.uri, queue) >= burst.ok,
                       f"{burst.ok} messages wait in {queue}", timeout=120, interval=0.2, processes=others)
    started = time.time()
    consumer.start()
    harness.wait_until(lambda: harness.nameko_listening(system.uri, consumer.name), f"{consumer.name} listens again",
                       timeout=90, processes=system.processes)
    system.wait_handled("catch-up", burst.ok)
    return burst, started


def process_named(processes, name: str) -> harness.NamekoProcess:
    return next(p for p in processes if p.name == name)


def rebuild_phase(args, folder: str) -> Rebuild:
    """Phase 3, in this process: fill an application store, then time a raw read and a rebuild."""
    settings = StoreSettings(service="application", data_dir=folder)
    settings.prepare()
    app = ApplicationApplication(env=settings.event_store_env(), clock=ManualClock(datetime.fromisoformat(CALL_OPEN)))
    views = ViewStore(settings.view_store_env())
    try:
        commands, fill_seconds = fill_store(app, args.rebuild_events)
        runner = ProjectionRunner(app, views, (*app.projections(), ParkedProjection()))
        while runner.step():      # the read models at the head, as in a running service
            pass
        events = app.position()
        read_seconds = timed(lambda: raw_read(app, events))
        bar = tqdm(total=events, desc="rebuilding case_status", unit="event", leave=False)
        started = time.perf_counter()
        rebuilt = runner.rebuild("case_status", progress=bar.update)
        rebuild_seconds = time.perf_counter() - started
        bar.close()
        return Rebuild(events=events, commands=commands, fill_seconds=fill_seconds, read_seconds=read_seconds,
                       rebuilt=rebuilt, rebuild_seconds=rebuild_seconds, batch=BATCH, store=settings.describe())
    finally:
        views.close()
        app.close()


def fill_store(app: ApplicationApplication, events: int) -> tuple[int, float]:
    """An approved unit, then `file_case` commands (each with a command id, as from RPC) until
    the store holds `events` events; returns the number of commands and the seconds taken."""
    unit = UnitStanding(id=uuid4(), name="Benchmark Unit", unit_type="enterprise")
    unit.approved(source={"service": "registration", "event_id": "bench", "type": "registration.unit.Approved",
                          "position": 1, "sequence": 2, "occurred_at": app.clock.now().isoformat()})
    position = app.record(EventMeta(actor=system_actor("application"), occurred_at=app.clock.now(),
                                    causation_id="bench"), unit)
    contact = Identity("bench-contact", "unit_contact", str(unit.id))
    started, commands = time.perf_counter(), 0
    with tqdm(total=events, initial=position, desc="filling the rebuild store", unit="event", leave=False) as bar:
        while position < events:
            meta = EventMeta(actor=contact, occurred_at=app.clock.now(), command_id=f"bench-{uuid4()}")
            written = app.handle(FileCase(unit_id=unit.id, programme="A", title=f"benchmark case {commands}"), meta)
            bar.update(written.position - position)
            position, commands = written.position, commands + 1
    return commands, time.perf_counter() - started


def raw_read(app, events: int) -> None:
    bar = tqdm(total=events, desc="reading the store (baseline)", unit="event", leave=False)
    position = 0
    while notifications := app.recorder.select_notifications(start=position + 1, limit=BATCH):
        for notification in notifications:
            app.mapper.to_domain_event(notification)
        position = notifications[-1].id
        bar.update(len(notifications))
    bar.close()


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# -- reading the results ----------------------------------------------------------------------
def store_events(data_dir: str, service: str, app_class):
    """Every event in a service's store, decoded, read from its SQLite file after the run."""
    app = app_class(env=StoreSettings(service=service, data_dir=data_dir).event_store_env())
    attach_vault(app, Settings(keys_dir=os.path.join(data_dir, "keys"), data_dir=data_dir), service)
    try:
        position = 0
        while notifications := app.recorder.select_notifications(start=position + 1, limit=1000):
            yield from (app.mapper.to_domain_event(n) for n in notifications)
            position = notifications[-1].id
    finally:
        app.close()


def our_flows(data_dir: str, phase_of: dict) -> dict[str, tuple[list, list]]:
    """By phase tag: (recorded, applied) as (unit id, recorded at, applied at or None) and the
    applied-at times, from both stores."""
    registered = {}   # integration event id -> (unit id, recorded at)
    for event in store_events(data_dir, "registration", RegistrationApplication):
        if isinstance(event, Unit.Registered):
            event_id = str(event_id_for("registration", event.originator_id, event.originator_version))
            registered[event_id] = (str(event.originator_id), event.timestamp.timestamp())
    learnt = {event.meta["causation_id"]: event.timestamp.timestamp()
              for event in store_events(data_dir, "application", ApplicationApplication)
              if isinstance(event, UnitStanding.Learnt)}
    flows: dict[str, list] = {}
    for event_id, (unit_id, recorded_at) in registered.items():
        flows.setdefault(phase_of.get(unit_id, "setup"), []).append((recorded_at, learnt.get(event_id)))
    return flows


def pair_flows(notes: list) -> list:
    """(sent at, received at) per distinct event; a redelivered one counts once, first arrival."""
    first = {}
    for _tag, n, sent_at, received_at in notes:
        if n not in first or received_at < first[n][1]:
            first[n] = (sent_at, received_at)
    return list(first.values())


# -- setting up and the run ---------------------------------------------------------------------
def start_all(uri: str, data_dir: str, keys_dir: str, log_level: str):
    env = harness.service_env(uri, data_dir, log_level=log_level, KEYS_DIR=keys_dir)
    modules = {service: f"services.{service}.service" for service in SERVICES}
    modules[SINK] = "bench.event_pair:EventSink"
    modules[EMITTER] = "bench.event_pair:EventEmitter"
    return [harness.NamekoProcess(name, module, env, log_dir=data_dir) for name, module in modules.items()]


def wait_ready(uri: str, processes) -> dict:
    """Each service's health() once it listens (the baseline pair: an answer to a ping)."""
    def answer(name):
        with cluster(uri, timeout=5) as rpc:
            if name == EMITTER:
                return rpc[EMITTER].ping()
            if name == SINK:
                return {"count": rpc[SINK].count("none")}
            return rpc[name].health()

    answers = {}
    for p in processes:
        harness.wait_until(lambda: harness.nameko_listening(uri, p.name), f"{p.name} listens", timeout=90,
                           processes=processes)
        answers[p.name] = harness.wait_until(lambda: answer(p.name), f"{p.name} answers", timeout=30,
                                             processes=processes)
    return answers


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="events/s in the latency phase (default 200)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the latency phase (default 20)")
    parser.add_argument("--callers", type=int, default=16,
                        help="concurrent callers, each with its own proxy (default 16)")
    parser.add_argument("--warmup", type=int, default=100,
                        help="unmeasured events per system before the latency phase (default 100)")
    parser.add_argument("--catch-up-events", type=int, default=2000,
                        help="events queued for the stopped consumer (default 2000)")
    parser.add_argument("--rebuild-events", type=int, default=20_000,
                        help="events in the store the projection is rebuilt from (default 20000)")
    harness.add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so a SIGTERM stops the services too
    load_before, processes = os.getloadavg()[0], []
    with harness.Workdir("bench-events-", args.keep) as run:
        workdir = run.path
        with harness.throwaway_vhost(harness.Management(args.management_url)) as vhost:
            uri = harness.amqp_uri(vhost, host=args.rabbit_host)
            keys_dir = harness.development_keys(os.path.join(workdir, "keys"))
            token = Portals(keys_dir).token("bench-contact", "unit_contact", ttl_seconds=3600)
            processes = start_all(uri, workdir, keys_dir, args.log_level)
            with harness.running(processes):
                print(f"vhost {vhost}, data and logs in {workdir}; starting {len(processes)} services ...",
                      file=sys.stderr)
                healths = wait_ready(uri, processes)
                alive = functools.partial(harness.check_alive, processes, "measuring")
                ours, pair = Ours(uri, processes), Pair(uri, processes)
                bursts = latency_phase(args, ours, pair, alive, token)
                pair_latency_notes = pair.notes("latency")
                catch_ups = catch_up_phase(args, ours, pair, token)
                pair_catch_up_notes = pair.notes("catch-up")
            load_after = os.getloadavg()[0]
            rebuild = rebuild_phase(args, os.path.join(workdir, "rebuild-phase"))
        flows = our_flows(workdir, ours.phase_of)
        problems = harness.log_problems(processes)
        run.keep = run.keep or bool(problems)
        print_report(
            args,
            latency=[Flow.of("bare nameko event (baseline)", pair_flows(pair_latency_notes), bursts["baseline"]),
                     Flow.of("registration -> application", flows.get("latency", []), bursts["ours"])],
            catch_up=[CatchUp.of("bare nameko event_handler (baseline)", pair_flows(pair_catch_up_notes),
                                 *catch_ups["baseline"]),
                      CatchUp.of("application inbox", flows.get("catch-up", []), *catch_ups["ours"])],
            rebuild=rebuild,
            stores={name: h["store"] for name, h in healths.items() if name in SERVICES},
            machine=f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            load=(load_before, load_after), processes=len(processes), problems=problems,
            workdir=run.path if run.keep else None)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
