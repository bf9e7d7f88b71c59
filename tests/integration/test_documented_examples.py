"""What the docs tell a portal team and the funding office to do, done exactly as written, against
running services on the production broker accounts:

- README's Python example, run as a separate process: it registers a unit and prints nothing else (no
  framework warnings on the portal's console);
- docs/funding.md's binding keys, parsed out of the doc and bound on a fresh queue: they receive every
  disbursement and recovery event of a case that pays, fails, retries, ends early, claims back and is
  returned, and nothing else;
- docs/funding.md's example consumer (the signature check and the consumer blocks), run as the funding
  office's account would run it: it reports every one of those events, each once, verified;
- docs/reference.md's `after`: a write naming the event it depends on is handled as soon as the event
  arrives, never refused for "not yet"; one naming a version that never comes is `not_yet_visible`.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kombu import Connection, Exchange, Queue, binding

from services import samples
from shared.errors import ServiceError
from tests.support.cluster import RABBIT_API, RABBIT_AUTH, ROOT, command_id, eventually, running_cluster
from tests.support.flows import approve_audit, approved_unit, decide_award, file_case, scored_case, submit

README = ROOT / "README.md"
FUNDING_DOC = ROOT / "docs" / "funding.md"
MONEY = ("DisbursementScheduled", "DisbursementRetried", "DisbursementCancelled", "DisbursementPaid",
         "DisbursementFailed", "DisbursementReturned", "RecoveryClaimed", "RecoveryWithdrawn")


def python_block_after(text: str, marker: str) -> str:
    return re.search(r"```python\n(.*?)```", text.split(marker, 1)[1], re.S).group(1)


def readme_example() -> str:
    return python_block_after(README.read_text(encoding="utf-8"), "## Calling it from a portal backend")


def documented_binding_keys() -> list[str]:
    text = FUNDING_DOC.read_text(encoding="utf-8").split("<!-- binding-keys", 1)[1]
    return re.search(r"```text\n(.*?)```", text, re.S).group(1).split()


def documented_consumer() -> str:
    """The signature check, then the consumer: the doc says the two together are a complete consumer."""
    text = FUNDING_DOC.read_text(encoding="utf-8")
    return python_block_after(text, "### Verify every event's signature") + "\n" + \
        python_block_after(text, "<!-- example-consumer")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Production accounts: the portal's for calls, the funding office's for its consumer."""
    with running_cluster(tmp_path_factory.mktemp("documented"), accounts=True) as running:
        yield running


@pytest.fixture(scope="module")
def doc_queue(cluster):
    """A fresh queue bound with exactly the keys docs/funding.md lists (guest: the vhost's administrator)."""
    name = "doc-bindings-check"
    queue = Queue(name, durable=False, auto_delete=False,
                  bindings=[binding(Exchange("funding.events", type="topic", passive=True), routing_key=key)
                            for key in documented_binding_keys()])
    with Connection(cluster.vhost.amqp_uri) as connection:
        queue(connection.default_channel).declare()
    return name


@pytest.fixture(scope="module")
def office_consumer(cluster, tmp_path_factory):
    """docs/funding.md's consumer, running as the funding-office account from before the case starts."""
    out = tmp_path_factory.mktemp("office") / "consumer.out"
    env = {**os.environ, "AMQP_URI": cluster.accounts.uri("funding-office"), "KEYS_DIR": cluster.keys_dir,
           "IDLE_SECONDS": "300"}
    with open(out, "wb") as sink:
        process = subprocess.Popen([sys.executable, "-c", documented_consumer()], cwd=ROOT, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT)
    eventually(lambda: consumers_of(cluster, "funding-office.disbursements") > 0 or process.poll() is not None)
    assert process.poll() is None, out.read_text()
    yield process, out
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def paid_and_recovered(cluster, doc_queue, office_consumer):
    """A programme A case whose money takes every road: award failed, retried and paid; rent paid, claimed
    back after an early end, then returned (the recovery withdrawn). Returns its case id."""
    case_id = scored_case(cluster)
    decide_award(cluster, case_id, 150_000_000)
    with cluster.rpc("officer-1", "officer") as rpc:
        today = rpc.funding.health()["business_time"][:10]
        eventually(lambda: rpc.funding.choose_housing(command_id=command_id(), case_id=case_id,
                                                      choice="rent_subsidy", monthly_rent_fen=1_200_000,
                                                      starts_on=today))

    def report(key, attempt, outcome):
        with cluster.rpc("fo-1", "funding_officer") as rpc:
            return rpc.funding.report_payment(command_id=command_id(), idempotency_key=key, attempt=attempt,
                                              outcome=outcome, office_reference=f"BANK-{outcome}-{attempt}",
                                              **({"reason": "账户冻结"} if outcome != "paid" else {}))

    def scheduled():
        with cluster.rpc("fo-1", "funding_officer") as rpc:
            items = rpc.funding.disbursements(case_id=case_id)["items"]
        return {d["obligation_id"]: d["idempotency_key"] for d in items} if len(items) == 2 else None
    keys = eventually(scheduled)
    report(keys["award"], 1, "failed")
    with cluster.rpc("fo-1", "funding_officer") as rpc:
        rpc.funding.retry_disbursement(command_id=command_id(), idempotency_key=keys["award"], reason="账户已解冻")
    report(keys["award"], 2, "paid")
    report(keys["rent_subsidy"], 1, "paid")
    with cluster.rpc("officer-1", "officer") as rpc:
        ended = rpc.funding.end_early(command_id=command_id(), case_id=case_id, ended_on=today, reason="离开昌平")
    assert ended["recoveries"]
    report(keys["rent_subsidy"], 1, "returned")
    return case_id


@pytest.fixture(scope="module")
def recorded_money(cluster, paid_and_recovered) -> dict[str, str]:
    """What funding recorded for the case: every money event, once the last of them (the withdrawal) is in."""
    def complete():
        events = money_events_of(cluster, paid_and_recovered)
        return events if "RecoveryWithdrawn" in {t.rsplit(".", 1)[1] for t in events.values()} else None
    return eventually(complete, timeout=60)


def consumers_of(cluster, queue: str) -> int:
    response = requests.get(f"{RABBIT_API}/api/queues/{cluster.vhost.name}/{queue}", auth=RABBIT_AUTH, timeout=10)
    response.raise_for_status()
    return int(response.json().get("consumers") or 0)


def money_events_of(cluster, case_id: str) -> dict[str, str]:
    """event id -> type of every money event funding recorded for the case, read back with catch-up."""
    with cluster.rpc("auditor-1", "auditor") as rpc:
        events = rpc.funding.events_after(position=0, limit=1000)["events"]
    return {e["event_id"]: e["type"] for e in events
            if e["case_id"] == case_id and e["type"].rsplit(".", 1)[1] in MONEY}


def drain(uri: str, queue: str, want: set[str], timeout: float = 60) -> dict[str, str]:
    got: dict[str, str] = {}
    with Connection(uri) as connection:
        def take(body, message):
            got[body["event_id"]] = body["type"]
            message.ack()
        with connection.Consumer(Queue(queue, no_declare=True), callbacks=[take], accept=["json"]):
            deadline = time.monotonic() + timeout
            while not want <= set(got) and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=1)
                except socket.timeout:
                    pass
            try:   # anything else that was bound would be here by now
                connection.drain_events(timeout=2)
            except socket.timeout:
                pass
    return got


# -- README ------------------------------------------------------------------------------------------
def test_the_readme_example_runs_as_written_and_prints_only_its_result(cluster):
    env = {**os.environ, "PORTAL_AMQP_URI": cluster.caller_uri, "KEYS_DIR": cluster.keys_dir}
    for setting in ("BROKER_PASSWORD_PORTAL", "PYTHONWARNINGS"):   # Python's default warnings, as on a portal
        env.pop(setting, None)
    run = subprocess.run([sys.executable, "-c", readme_example()], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr
    printed = run.stdout.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith("{'unit_id': ") and "'replayed': False" in printed[0]


# -- docs/funding.md ---------------------------------------------------------------------------------
def test_the_documented_bindings_receive_every_money_event_of_a_case_and_nothing_else(cluster, doc_queue,
                                                                                   recorded_money):
    recorded = recorded_money
    assert {t.rsplit(".", 1)[1] for t in recorded.values()} == {
        "DisbursementScheduled", "DisbursementFailed", "DisbursementRetried", "DisbursementPaid",
        "RecoveryClaimed", "DisbursementReturned", "RecoveryWithdrawn"}
    received = drain(cluster.vhost.amqp_uri, doc_queue, set(recorded))
    assert set(recorded) <= set(received)
    assert {t.rsplit(".", 1)[1] for t in received.values()} <= set(MONEY)   # e.g. no EntitlementsGranted


def test_the_documented_consumer_reports_each_money_event_once_verified(cluster, office_consumer, recorded_money):
    process, out = office_consumer
    recorded = recorded_money

    def reported():
        lines = [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]
        return lines if set(recorded) <= {line.get("event_id") for line in lines} else None
    lines = eventually(reported, timeout=60)
    assert process.poll() is None, out.read_text()
    mine = [line for line in lines if line.get("event_id") in recorded]
    assert len(mine) == len({line["event_id"] for line in mine}) == len(recorded)       # each once
    assert not [line for line in lines if "refused" in line]                            # every one verified
    todo = {line["type"].rsplit(".", 1)[1]: line["todo"] for line in mine}
    assert todo["DisbursementScheduled"] == "pay" and todo["DisbursementRetried"] == "pay again"
    assert todo["RecoveryClaimed"] == "claim back" and todo["RecoveryWithdrawn"] == "stop claiming back"


# -- after: "not yet" is not "no" ----------------------------------------------------------------------
def test_a_write_naming_the_event_it_depends_on_waits_for_it_instead_of_being_refused(cluster):
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id)["case_id"]
    submit(cluster, case_id, unit_id)
    audit = approve_audit(cluster, case_id)
    with cluster.rpc("officer-2", "officer") as rpc:
        # at once, no retry loop: application waits for review's AuditApproved instead of answering A.paper.after_audit
        delivered = rpc.application.record_paper_delivery(
            command_id=command_id(), case_id=case_id, delivery=samples.paper_delivery(),
            after=[{"service": "review", "stream_id": case_id, "version": audit["version"]}])
        assert delivered["status"] == "paper_delivered"
        position = rpc.application.health()["position"]
        with pytest.raises(ServiceError) as caught:
            rpc.application.record_age_waiver(command_id=command_id(), case_id=case_id, reason="急需紧缺",
                                              after=[{"service": "review", "stream_id": case_id,
                                                      "version": audit["version"] + 50}])
    assert (caught.value.code, caught.value.rule) == ("not_yet_visible", "after")
    assert f"version {audit['version'] + 50}" in str(caught.value.fields["after"])
    with cluster.rpc("auditor-1", "auditor") as rpc:
        assert rpc.application.health()["position"] == position     # nothing recorded
