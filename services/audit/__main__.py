"""The auditor's command line (docs/audit.md).

    python -m services.audit export  <case_id> [--as-of DATE] [--known-at DATE] --out DIR
    python -m services.audit history <case_id> [--as-of DATE] [--known-at DATE]
    python -m services.audit access  (<case_id> | --actor ID)

It calls the running services over RPC as a caller with role `auditor`, through the broker account
in `AMQP_URI` (a portal's account: see README, "Broker accounts"). The caller token comes from
configuration: `AUDIT_TOKEN` (a token the officer portal issued to the auditor), or else one minted
here for `AUDIT_ACTOR` with the private key of the issuer `AUDIT_ISSUER` (default `officer-portal`)
from `KEYS_DIR` (default `./keys`), which only a machine trusted with that issuer's key holds.
Every read it makes is itself recorded in the services' access logs under that actor.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt

from shared.clock import BEIJING
from shared.errors import ServiceError


def moment(text: str) -> datetime:
    """A date means the end of that business day in Beijing; a date-time without offset is Beijing time."""
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=BEIJING)
            return day + timedelta(days=1, microseconds=-1)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=BEIJING)


def auditor_token(env=os.environ) -> str:
    if env.get("AUDIT_TOKEN"):
        return env["AUDIT_TOKEN"]
    actor = env.get("AUDIT_ACTOR")
    if not actor:
        raise SystemExit("set AUDIT_TOKEN (an auditor's caller token from the officer portal), or AUDIT_ACTOR "
                         "(your auditor id) with the issuer's key in KEYS_DIR")
    from shared.identity import TokenIssuer

    issuer = TokenIssuer.load(env.get("KEYS_DIR", "keys"), env.get("AUDIT_ISSUER", "officer-portal"))
    return issuer.token(actor, "auditor")


def who(token: str) -> dict:
    """Who the token names, for the file's header (the services verify it; this only reads it)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return {"actor_id": claims.get("sub"), "role": claims.get("role"), "issuer": claims.get("iss")}


def export(rpc, token: str, case_id: str, out: Path, as_of=None, known_at=None) -> tuple[Path, Path, dict]:
    from services.audit.casefile import build
    from services.audit.gather import gather
    from services.audit.render import html_page

    history, events = gather(rpc, case_id, as_of, known_at)
    generated = datetime.fromtimestamp(time.time(), timezone.utc).isoformat(timespec="seconds")
    case_file = build(case_id, history, events, generated_at=generated, generated_by=who(token), as_of=as_of,
                      known_at=known_at)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / f"case-{case_id}.json", out / f"case-{case_id}.html"
    json_path.write_text(json.dumps(case_file, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    html_path.write_text(html_page(case_file), encoding="utf-8")
    return json_path, html_path, case_file


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.audit", description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--timeout", type=float, default=60)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("export", "history"):
        p = sub.add_parser(name)
        p.add_argument("case_id")
        p.add_argument("--as-of", type=moment, help="business date (or date-time): the case as it stood then")
        p.add_argument("--known-at", type=moment, help="business date (or date-time): as far as the record knew then")
        if name == "export":
            p.add_argument("--out", type=Path, required=True, help="folder for case-<id>.json and case-<id>.html")
    p = sub.add_parser("access")
    p.add_argument("case_id", nargs="?")
    p.add_argument("--actor")
    args = parser.parse_args(argv)

    from services.audit.casefile import build
    from services.audit.gather import access_rows, gather
    from services.audit.render import text_timeline
    from shared.client import cluster

    token = auditor_token()
    try:
        with cluster(args.amqp_uri, token, timeout=args.timeout) as rpc:
            if args.command == "export":
                json_path, html_path, _ = export(rpc, token, args.case_id, args.out, args.as_of, args.known_at)
                print(f"{json_path}\n{html_path}")
            elif args.command == "history":
                history, events = gather(rpc, args.case_id, args.as_of, args.known_at)
                case_file = build(args.case_id, history, events, generated_at="", generated_by=who(token),
                                  as_of=args.as_of, known_at=args.known_at)
                sys.stdout.write(text_timeline(case_file))
            else:
                if not (args.case_id or args.actor):
                    parser.error("give a case id or --actor")
                for row in access_rows(rpc, case_id=args.case_id, actor_id=args.actor):
                    print(f"{row['recorded_at']}  {row['service']:<12} {row['entrypoint']:<22} "
                          f"{row['actor_id']} ({row['role']})  {row['subject_kind']} {row['subject_id']}")
    except ServiceError as error:
        print(f"refused: {error.code}: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
