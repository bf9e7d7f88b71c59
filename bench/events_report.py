"""The events benchmark's figures, its goals, and the report that prints them beside their baselines."""
from __future__ import annotations

import math
from dataclasses import dataclass

LATENCY_GOAL_MS = 50.0        # p95, at the target rate
REBUILD_GOAL_PER_S = 5_000    # events/s, on SQLite


BACKLOG = {"relay": "notifications not yet relayed", "queue": "messages in the consumer's queue"}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; nan if there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("nan")


@dataclass
class Flow:
    """Phase 1 for one system: each event's source time and handled time."""
    label: str
    recorded: int                 # events recorded at the source
    latencies: list[float]        # seconds, one per handled event
    rate: float                   # events recorded per second, over the first to the last
    calls_ok: int
    call_errors: list
    late: float                   # furthest a call started behind its slot, seconds
    calls: list[float]            # seconds per successful call, as the caller saw it
    client_cpu: float             # the driving process's CPU time over the burst's wall time
    backlog: dict                 # the most that waited at each stage during the burst
    process_cpu: dict             # each service process's CPU time over the burst's wall time

    @classmethod
    def of(cls, label: str, flows: list[tuple[float, float | None]], burst) -> Flow:
        sent = [s for s, _ in flows]
        span = max(sent) - min(sent) if len(sent) > 1 else 0.0
        return cls(label=label, recorded=len(flows), latencies=[r - s for s, r in flows if r is not None],
                   rate=per_second(len(sent) - 1, span), calls_ok=burst.ok, call_errors=burst.errors,
                   late=burst.late, calls=burst.durations, client_cpu=burst.client_cpu, backlog=burst.backlog,
                   process_cpu=burst.process_cpu)

    @property
    def missing(self) -> int:
        """Recorded (or, for the baseline, successfully sent) but never handled."""
        return max(self.recorded, self.calls_ok) - len(self.latencies)


@dataclass
class CatchUp:
    """Phase 2 for one system: K events waiting, the consumer started at `started` (wall clock)."""
    label: str
    recorded: int
    handled: list[float]          # wall-clock times the events were handled
    started: float
    calls_ok: int
    call_errors: list

    @classmethod
    def of(cls, label: str, flows: list[tuple[float, float | None]], burst, started: float) -> CatchUp:
        return cls(label=label, recorded=len(flows), handled=sorted(r for _, r in flows if r is not None),
                   started=started, calls_ok=burst.ok, call_errors=burst.errors)

    @property
    def missing(self) -> int:
        return max(self.recorded, self.calls_ok) - len(self.handled)

    @property
    def to_all(self) -> float:
        """From the process start to the last event handled."""
        return self.handled[-1] - self.started if self.handled else float("nan")

    @property
    def drain(self) -> float:
        """From the first event handled to the last."""
        return self.handled[-1] - self.handled[0] if len(self.handled) > 1 else float("nan")

    @property
    def boot(self) -> float:
        return self.handled[0] - self.started if self.handled else float("nan")


@dataclass
class Rebuild:
    events: int
    commands: int
    fill_seconds: float
    read_seconds: float
    rebuilt: int
    rebuild_seconds: float
    batch: int
    store: dict


# -- printing ----------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def mark(met: bool) -> str:
    return "[met]    " if met else "[NOT MET]"


def print_report(args, *, latency: list[Flow], catch_up: list[CatchUp], rebuild: Rebuild, stores: dict,
                 machine: str, load: tuple, processes: int, problems: dict, workdir: str | None) -> None:
    print()
    print(f"Event benchmarks on {machine}; RabbitMQ, {processes} nameko processes and this client share the machine")
    print(f"1-minute load average {load[0]:.2f} before the run, {load[1]:.2f} after the broker phases "
          "(each figure has its baseline measured minutes apart in this same run)")
    print_latency(args, latency)
    print_catch_up(args, catch_up)
    print_rebuild(rebuild)
    print_stores(stores, rebuild.store)
    print_problems(problems, workdir)


def print_latency(args, flows: list[Flow]) -> None:
    print()
    print(f"1. publish-to-handled latency, driven at {args.rate:g} events/s for {args.seconds:g} s "
          f"by {args.callers} concurrent callers (ms)")
    print(f"   {'':32}{'events':>7}{'rate/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'missing':>8}"
          f"  {'call p50':>8}{'p95':>8}{'late':>8}{'errors':>7}")
    for f in flows:
        v = f.latencies
        print(f"   {f.label:32}{f.recorded:>7}{f.rate:>8.1f}{ms(percentile(v, 50))}{ms(percentile(v, 95))}"
              f"{ms(percentile(v, 99))}{ms(max(v, default=float('nan')))}{f.missing:>8}  "
              f"{ms(percentile(f.calls, 50))}{ms(percentile(f.calls, 95))}{ms(f.late)}{len(f.call_errors):>7}")
    print("   during the drive: the most that waited (sampled every 0.5 s) and CPU used (100% = one core)")
    for f in flows:
        waited = [f"{BACKLOG[stage]} {count}" for stage, count in f.backlog.items()]
        cpu = [f"{name} {share:.0%}" for name, share in f.process_cpu.items()]
        print(f"   {f.label:32} {', '.join(waited) or 'no samples'}")
        print(f"   {'':32} CPU: {', '.join(cpu)}, this client {f.client_cpu:.0%}")
    baseline, ours = flows
    p95 = percentile(ours.latencies, 95) * 1000
    held = ours.rate >= 0.95 * args.rate
    print(f"   {mark(p95 <= LATENCY_GOAL_MS and held and not ours.missing)} p95 <= {LATENCY_GOAL_MS:g} ms at "
          f"{args.rate:g} events/s: p95 {p95:.1f} ms at {ours.rate:.1f} events/s "
          f"({p95 / (percentile(baseline.latencies, 95) * 1000):.1f}x the baseline's p95)")
    print_where_it_waited(args, ours)
    print("   ours: Registered's timestamp in registration's store (taken just before its commit) to the")
    print("   UnitStanding.Learnt it caused in application's store (matched by meta.causation_id; just before that")
    print("   commit). baseline: time.time() before EventDispatcher to time.time() on entering the @event_handler.")
    print("   rate: events recorded per second at the source, first to last. call p50/p95: the RPC that caused")
    print("   the event, as its caller saw it; late: the furthest a call started behind its slot in the schedule")
    print("   (large: the callers could not hold the rate). client CPU near 100%: the driving process, not the")
    print("   services, may be what limits the rate.")
    print_call_errors(flows)


def print_where_it_waited(args, ours: Flow) -> None:
    """A pointer to the stage that fell behind, if one held more than a second's worth of events."""
    relay, queue = ours.backlog.get("relay", 0), ours.backlog.get("queue", 0)
    if relay > 2 * args.rate:     # two notifications (the event and its command receipt) per registration
        print(f"   -> registration's relay fell behind: up to {relay} recorded notifications waited to be published,")
        print(f"      while application's inbox queue held at most {queue} messages.")
    elif queue > args.rate:
        print(f"   -> application's inbox fell behind: up to {queue} messages waited in its queue.")


def print_catch_up(args, results: list[CatchUp]) -> None:
    print()
    print(f"2. catch-up: the consumer stopped, {args.catch_up_events} events recorded and queued for it, "
          "then started again")
    print(f"   {'':38}{'handled':>8}{'start->all':>12}{'events/s':>10}{'first->last':>13}{'events/s':>10}"
          f"{'start-up':>10}{'missing':>9}")
    for c in results:
        n = len(c.handled)
        print(f"   {c.label:38}{n:>8}{c.to_all:>11.2f}s{per_second(n, c.to_all):>10.0f}{c.drain:>12.2f}s"
              f"{per_second(n - 1, c.drain):>10.0f}{c.boot:>9.2f}s{c.missing:>9}")
    print("   start->all: from starting the process to the last event handled (store/handler timestamps);")
    print("   first->last: without the process start-up; start-up: to the first event handled.")
    print_call_errors(results)


def print_rebuild(r: Rebuild) -> None:
    print()
    print(f"3. projection rebuild from the local store, in process (SQLite, batches of {r.batch})")
    read_rate, rebuild_rate = per_second(r.events, r.read_seconds), per_second(r.rebuilt, r.rebuild_seconds)
    print(f"   {'':38}{'events':>8}{'seconds':>9}{'events/s':>10}")
    print(f"   {'read + decode only (baseline)':38}{r.events:>8}{r.read_seconds:>9.2f}{read_rate:>10.0f}")
    print(f"   {'ProjectionRunner.rebuild(case_status)':38}{r.rebuilt:>8}{r.rebuild_seconds:>9.2f}"
          f"{rebuild_rate:>10.0f}")
    print(f"   {mark(rebuild_rate >= REBUILD_GOAL_PER_S)} rebuild >= {REBUILD_GOAL_PER_S:,} events/s: "
          f"{rebuild_rate:,.0f} events/s ({rebuild_rate / read_rate:.0%} of the raw read rate)")
    print(f"   the store: {r.commands} file_case commands through app.handle (Filed, RegistrationReferenced and a")
    print(f"   command receipt each), {per_second(r.commands, r.fill_seconds):.0f} commands/s, "
          f"{per_second(r.events, r.fill_seconds):.0f} events/s written")


def print_stores(stores: dict, rebuild_store: dict) -> None:
    print()
    print("durability in force (each service's health()['store']; the rebuild store's StoreSettings.describe())")
    for name, store in [*stores.items(), ("rebuild (3.)", rebuild_store)]:
        if store.get("kind") == "sqlite":
            text = (f"sqlite, journal_mode={store.get('journal_mode')}, synchronous={store.get('synchronous')}, "
                    f"read models synchronous={store.get('views_synchronous')}")
        else:
            text = ", ".join(f"{k}={v}" for k, v in store.items())
        print(f"  {name:13} {text}")


def print_call_errors(results) -> None:
    for r in results:
        if r.call_errors:
            print(f"   {r.label}: {len(r.call_errors)} failed calls, first: {r.call_errors[0]!r}")


def print_problems(problems: dict, workdir: str | None) -> None:
    print()
    if problems:
        print(f"warnings/errors in the service logs (kept in {workdir}):")
        for service, lines in problems.items():
            print(f"  {service}: {len(lines)} lines, e.g. {lines[0][:300]}")
    else:
        print("service logs: no warnings or errors" + (f" (kept in {workdir})" if workdir else ""))
