"""Printing the RPC benchmark's figures, its goals and the durability they were measured under."""
from __future__ import annotations

import statistics

LABELS = {"echo": "bench_echo.echo (baseline)", "status": "application.status", "history": "application.history",
          "file_case": "application.file_case"}

# (target, what, limit, figure): every goal is a ratio to the echo measured in the same run
GOALS = (
    ("file_case", "median latency", 2.0, "median"),
    ("status", "median latency", 1.3, "median"),
    ("file_case", "{n}-caller throughput", 0.5, "throughput"),
    ("status", "{n}-caller throughput", 0.5, "throughput"),
)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f}"


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else float("nan")


def print_report(results, args, stores: dict, *, machine: str, load: tuple, problems: dict,
                 workdir: str | None) -> None:
    by_name = {r.target: r for r in results}
    echo = by_name["echo"]
    echo_median, echo_tp = median(echo.sequential), echo.throughput
    n = args.concurrency

    print()
    print(f"RPC benchmark on {machine}; RabbitMQ, 5 service processes and this client share the machine")
    print(f"1-minute load average {load[0]:.2f} before the run, {load[1]:.2f} after (other work on the machine "
          "shifts the absolute figures; the ratios are to an echo measured in this same run)")
    print(f"1 caller: {args.calls} calls per target; {n} callers: {args.concurrent_calls} calls per target "
          f"(each caller its own ClusterRpcProxy); {args.warmup} warm-up calls first; latencies in ms")
    print()
    print(f"{'':28}{'--- 1 caller ---':^30}  {f'--- {n} callers ---':^34}")
    print(f"{'target':28}{'median':>8}{'p95':>8}{'vs echo':>12}  {'calls/s':>9}{'vs echo':>9}"
          f"{'median':>8}{'p95':>8}{'client CPU':>12}  errors")
    for r in results:
        m = median(r.sequential)
        print(f"{LABELS[r.target]:28}{ms(m):>8}{ms(p95(r.sequential)):>8}{m / echo_median:>11.2f}x  "
              f"{r.throughput:>9.0f}{r.throughput / echo_tp:>9.0%}"
              f"{ms(median(r.concurrent)):>8}{ms(p95(r.concurrent)):>8}"
              f"{r.client_cpu / r.wall if r.wall else 0:>12.0%}  {len(r.errors)}")
    print(f"(client CPU: this process's CPU time over the {n}-caller phase's wall time; near 100% means the\n"
          " single-process client, not the service, may be what limits calls/s)")
    for r in results:
        if r.errors:
            print(f"  {LABELS[r.target]}: {len(r.errors)} failed calls, first: {r.errors[0]!r}")

    print()
    print("goals (ratios to the echo in this run)")
    for target, what, limit, figure in GOALS:
        if target not in by_name:   # not measured in this run (--targets)
            continue
        r = by_name[target]
        if figure == "median":
            ratio = median(r.sequential) / echo_median
            met, shown, goal = ratio <= limit, f"{ratio:.2f}x", f"<= {limit:g}x echo's"
        else:
            ratio = r.throughput / echo_tp
            met, shown, goal = ratio >= limit, f"{ratio:.0%}", f">= {limit:.0%} of echo's"
        mark = "[met]    " if met else "[NOT MET]"
        print(f"  {mark} {LABELS[target]:22} {what.format(n=n):21} {goal:17} is {shown}")

    print()
    print("services' CPU (the four processes, user + system, over both phases and their drains)"
          + ("; events NOT signed or verified (--no-signing)" if getattr(args, "no_signing", False) else
             "; events signed and verified")
          + ("; reads NOT in the access log (--no-access-log)" if getattr(args, "no_access_log", False) else
             "; reads recorded in the access log")
          + ("; personal fields in clear (--no-encryption)" if getattr(args, "no_encryption", False) else
             "; personal fields sealed"))
    for r in results:
        published = sum(r.events.values())
        per_event = f", {r.service_cpu / published * 1e6:8.0f} µs per event published ({published} events, " \
                    f"{published / r.calls:.2f} per call)" if published else ""
        print(f"  {LABELS[r.target]:28} {r.service_cpu:7.2f} s, {r.service_cpu / r.calls * 1e6:8.0f} µs per call"
              + per_event)
        if r.cpu_by_service:
            print(f"  {'':28} by service, µs per call: " + ", ".join(
                f"{name} {cpu / r.calls * 1e6:.0f}" for name, cpu in r.cpu_by_service.items()))

    print()
    print("durability in force (each service's health()['store'])")
    for service, store in stores.items():
        if store.get("kind") == "sqlite":
            text = f"sqlite, journal_mode={store.get('journal_mode')}, synchronous={store.get('synchronous')}"
        else:
            text = ", ".join(f"{k}={v}" for k, v in store.items())
        print(f"  {service:13} {text}")

    print()
    print("background work (relay, projections, downstream inboxes) caught up, after the 1-caller / "
          f"{n}-caller phase, within")
    for r in results:
        print(f"  {LABELS[r.target]:28} {r.drained[0]:5.1f} s / {r.drained[1]:5.1f} s")
    if problems:
        print(f"warnings/errors in the service logs (kept in {workdir}):")
        for service, lines in problems.items():
            print(f"  {service}: {len(lines)} lines, e.g. {lines[0][:200]}")
    else:
        print("service logs: no warnings or errors" + (f" (kept in {workdir})" if workdir else ""))
