"""python -m services.demo — one realistic 昌聚工程 case and one 科技副总 placement through their whole
lives, on the embedded SQLite default, then their histories printed the way an auditor reads them.

It starts the four services itself (on a fresh data folder, against the RabbitMQ in AMQP_URI),
with business time inside the 2024 call's filing window; after the award it restarts them on a
clock that runs two months a second, so the 3-year and 30-month terms end within a minute. Stop `up.sh`
first: two sets of services on one broker would share its queues.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from services.placement_story import PlacementStory
from services.story import Story
from shared.client import cluster
from shared.identity import Portals
from shared.keys import main as keys_main
from shared.money import fen_to_yuan_str

SERVICES = ("registration", "application", "review", "funding")
ROOT = Path(__file__).resolve().parents[1]
CALL_OPEN = "2024-09-20T09:00:00+08:00"      # business time starts inside the 2024 filing window
MONTHS_PER_SECOND = 2


class Services:
    """The four services as `nameko run` processes, with their logs in the data folder."""

    def __init__(self, data_dir: Path, amqp_uri: str):
        self.data_dir, self.amqp_uri, self.processes = data_dir, amqp_uri, []
        keys_dir = str(data_dir / "keys")   # the demo's own development keys, made once per data folder
        keys_main(["generate", "--dir", keys_dir])
        self.portals = Portals(keys_dir)
        self.env = {**os.environ, "AMQP_URI": amqp_uri, "DATA_DIR": str(data_dir), "KEYS_DIR": keys_dir,
                    "LOG_LEVEL": "WARNING", "FUNDING_TIMER_SECONDS": "0.3", "APPLICATION_TIMER_SECONDS": "0.3",
                    "STORE_KIND": "sqlite"}

    def start(self, clock_start: str, speed: float) -> None:
        self.env.update(CLOCK_START=clock_start, CLOCK_EPOCH=str(time.time()), CLOCK_SPEED=str(speed))
        nameko = Path(sys.executable).with_name("nameko")
        for service in SERVICES:
            log = open(self.data_dir / f"{service}.log", "ab")
            self.processes.append(subprocess.Popen(
                [str(nameko), "run", "--config", "deploy/config.yaml", f"services.{service}.service"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        for service in SERVICES:
            self.wait_healthy(service)

    def wait_healthy(self, service: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health(service)
                return
            except Exception:
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                    raise RuntimeError(f"{service} did not start; see {self.data_dir / (service + '.log')}")
                time.sleep(0.3)

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []

    def health(self, service: str) -> dict:
        with cluster(self.amqp_uri, timeout=3) as rpc:
            return getattr(rpc, service).health()

    @contextmanager
    def rpc(self, actor_id: str, role: str, unit_id: str | None = None):
        with cluster(self.amqp_uri, self.portals.token(actor_id, role, unit_id)) as proxy:
            yield proxy


def refuse_if_services_answer(amqp_uri: str) -> None:
    try:
        with cluster(amqp_uri, timeout=2) as rpc:
            rpc.registration.health()
    except Exception:
        return
    sys.exit("services already answer on this broker (is ./deploy/up.sh running?): stop them first")


def credit_code() -> str:
    return "91110114MA" + os.urandom(4).hex().upper()


def print_history(services: Services, case_id: str) -> None:
    with services.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=case_id)["entries"]
        funding = rpc.funding.entitlements(case_id=case_id)
        payments = rpc.funding.disbursements(case_id=case_id)["items"]
    print(f"\nThe case stream of {case_id}, as an auditor replays it (business time, Beijing; docs/history.md):\n")
    for e in entries:
        who = f"{e['actor']['actor_id']} ({e['actor']['role']})"
        data = e["data"]
        why = e.get("summary") or e.get("reason") or _detail(e)
        details = [e["reason"] if e.get("summary") and e.get("reason") else None, e.get("office_reference"),
                   f"under {e['acted_under']}" if e.get("acted_under") else None]
        why += "".join(f"; {d}" for d in details if d)
        known = f" (known {e['recorded_on'][:10]})" if e["recorded_on"][:10] != e["effective_at"][:10] else ""
        cause = f"  ← {data['source']['type']} #{data['source']['sequence']}" if "source" in data else ""
        print(f"  {e['sequence']:>3}  {e['effective_at'][:19]}  {who:<34} {e['type']:<24} {why}{known}{cause}")
    print("\nWhat the decision entitles the talent to (rule, edition, amount):\n")
    for item in funding.get("entitlements") or []:
        computation = item.get("computation") or {}
        unit = item.get("unit")
        amount = "" if not unit else f"{fen_to_yuan_str(item['amount_fen'])} yuan" + ("" if unit == "once" else f" a {unit}")
        print(f"  {item['code']:<22} {item['status']:<12} {computation.get('rule', ''):<40} {amount}")
    paid = sum(p["amount_fen"] for p in payments if p["status"] == "paid")
    scheduled = sum(p["amount_fen"] for p in payments)
    print(f"\nDisbursements: {len(payments)} scheduled for {fen_to_yuan_str(scheduled)} yuan, "
          f"{fen_to_yuan_str(paid)} yuan reported paid")
    deadlines = funding.get("deadlines") or {}
    if deadlines:
        print("Deadlines: " + ", ".join(f"{name} {d['due_on']} {d['status']}" for name, d in deadlines.items()))


def _detail(entry: dict) -> str:
    data = entry["data"]
    if entry["type"] == "Submitted":
        rules = data["eligibility"]["rules"]
        return (f"submission {data['submission']}: {sum(r['passed'] for r in rules)}/{len(rules)} rules passed "
                f"({data['eligibility']['edition']}, age on {data['eligibility']['age_reference_date']})")
    if entry["type"] == "PaperDeliveryRecorded":
        return "compliant" if data["compliant"] else "non-compliant: " + ", ".join(f["rule"] for f in data["findings"])
    if entry["type"] == "DocumentsAttached":
        return f"{len(data['documents'])} document(s) by reference"
    if entry["type"] == "TalentDeclared":
        return f"category {data['category']}, {len(data['claims'])} criterion claim(s)"
    if entry["type"] == "ProjectFiled":
        return f"{data['kind']}, project funds {fen_to_yuan_str(data['project_funds_fen'])} yuan"
    if entry["type"] == "AgreementRecorded":
        return f"IP: {data['ip_ownership'] or 'not settled'}; management: {data['management_mode'] or 'not settled'}"
    if entry["type"] == "Appointed":
        return f"{data['post_title']}, term {data['starts_on']} to {data['ends_on']}"
    if entry["type"] == "TermExpired":
        return f"term ended {data['ends_on']}"
    if entry["type"] == "EvaluationRecorded":
        return f"rated {data['rating']}: {data['opinion']}"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where the stores go (default: a fresh temporary folder)")
    args = parser.parse_args()
    logging.getLogger("amqp").setLevel(logging.ERROR)   # channel-closing chatter of short-lived RPC proxies
    amqp_uri = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    refuse_if_services_answer(amqp_uri)
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="changping-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    services = Services(data_dir, amqp_uri)
    print(f"Stores and logs in {data_dir}")
    try:
        services.start(CALL_OPEN, speed=1)
        print("\n昌聚工程 (programme A): one outstanding talent's case")
        story = Story(rpc=services.rpc, health=services.health, credit_code=credit_code(), say=print)
        facts = story.tell()
        print("\n科技副总 (programme B): one technology vice-president's placement")
        placement = PlacementStory(rpc=services.rpc, health=services.health, credit_code=credit_code(), say=print)
        placement_facts = placement.tell()
        now = max(datetime.fromisoformat(services.health(s)["business_time"]) for s in SERVICES)
        print(f"\nThe services restart with business time running {MONTHS_PER_SECOND} months a second; the timers "
              "release the rent and the living subsidy month by month and record the end of each term")
        services.stop()
        services.start((now + timedelta(minutes=1)).isoformat(), speed=MONTHS_PER_SECOND * 30 * 86_400)
        story.wait_for_the_end_of_the_term(timeout=120)
        placement.wait_for_the_end_of_the_term(timeout=120)
        placement.write("reviewer-2", "reviewer", "application", "record_evaluation", case_id=placement_facts["case_id"],
                        opinion="合作成效显著，完成产业化", rating="excellent")
        print_history(services, facts["case_id"])
        print_history(services, placement_facts["case_id"])
    finally:
        services.stop()


if __name__ == "__main__":
    main()
