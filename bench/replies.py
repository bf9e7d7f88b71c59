"""What it would cost a service to serialise (validate) every reply through its reply schema.

    python -m bench.replies [--repeat 20]

The replies are the golden master's: every reply both programme stories receive, to the end of their
terms (tests/golden/golden_master.json), with its normalised ids and wall times put back as values of
the right type. Each is checked against its schema (`shared.contracts.base.check_reply`, what the tests'
RPC client does) `--repeat` times; the report gives the median and p95 per reply, the slowest endpoints,
and, beside them, the same reply's JSON encoding (what nameko does to every reply anyway) as the
baseline. The tests validate every reply they receive; the services do not, because of these figures.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import uuid
from collections import defaultdict
from pathlib import Path

from shared.contracts.base import check_reply
from shared.contracts.registry import REPLIES, reply_schema

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "golden_master.json"
PLACEHOLDER = re.compile(r"<id-(\d+)>")


def restored(value):
    """The golden's normalised values made real again: `<id-N>` a uuid, `<wall>` a time, `<data_dir>` a path."""
    if isinstance(value, dict):
        return {k: restored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restored(v) for v in value]
    if isinstance(value, str):
        value = PLACEHOLDER.sub(lambda m: str(uuid.uuid5(uuid.NAMESPACE_OID, m.group(1))), value)
        return value.replace("<wall>", "2024-09-20T01:00:00+00:00").replace("<data_dir>", "/data")
    return value


def replies() -> list[tuple[str, dict]]:
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))["replies"]
    return [(r["call"], restored(r["reply"])) for r in recorded if r["call"] in REPLIES and "reply" in r]


def timed(call, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    checks, encodings, by_endpoint, sizes = [], [], defaultdict(list), {}
    for endpoint, reply in replies():
        schema = reply_schema(endpoint)
        errors = check_reply(schema, reply)
        if errors:
            raise SystemExit(f"{endpoint}: the golden reply does not validate: {errors}")
        check_ms = timed(lambda: check_reply(schema, reply), args.repeat)
        encode_ms = timed(lambda: json.dumps(reply), args.repeat)
        checks.append(check_ms)
        encodings.append(encode_ms)
        by_endpoint[endpoint].append(check_ms)
        sizes[endpoint] = max(sizes.get(endpoint, 0), len(json.dumps(reply)))

    def p95(values):
        return sorted(values)[int(len(values) * 0.95)]
    print(f"{len(checks)} replies of {len(by_endpoint)} endpoints, each validated {args.repeat} times")
    print(f"validation:    median {statistics.median(checks):7.2f} ms   p95 {p95(checks):7.2f} ms   "
          f"max {max(checks):7.2f} ms")
    print(f"JSON encoding: median {statistics.median(encodings):7.2f} ms   p95 {p95(encodings):7.2f} ms   "
          f"max {max(encodings):7.2f} ms")
    print("slowest endpoints (median validation, largest reply):")
    for endpoint, values in sorted(by_endpoint.items(), key=lambda item: -statistics.median(item[1]))[:6]:
        print(f"  {endpoint:38s} {statistics.median(values):7.2f} ms   {sizes[endpoint]:>7,} bytes")


if __name__ == "__main__":
    main()
