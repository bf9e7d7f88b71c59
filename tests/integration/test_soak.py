"""The soak: many cases through the walking flow while a randomly chosen service is killed
(SIGKILL) and restarted every few seconds. At the end every case is complete, every read
model equals one rebuilt from scratch, and no inbound event took effect twice — counted
in the stores. SOAK_CASES sets the size (default 2,000); SOAK_KILL_EVERY the pace."""
import os
import random
import signal
import threading
import time

import eventlet
from eventlet.greenpool import GreenPool
from eventlet.queue import Queue

from services import samples
from shared.client import cluster as rpc_cluster
from shared.errors import ServiceError
from tests.support.cluster import SERVICES, command_id, eventually, running_cluster
from tests.support.flows import approved_unit
from tests.support.retry import until_answered
from tests.support.stores import applied_twice, live_and_rebuilt_projections, recorded_events

CASES = int(os.environ.get("SOAK_CASES", "2000"))
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", "4"))
CALLERS = 16
# the step before has not reached this service yet (a rule refusing "not yet" names the state it saw)
NOT_YET = ("not_found", "not_yet_visible", "rule_violation")
RENEW_AFTER_SECONDS = 5 * 60   # well inside a token's lifetime


class Portal:
    """One caller's open connections, one per actor, kept across cases as a portal backend
    keeps them (opening a connection and reply queue per call would load the broker more
    than the services do). A connection whose call failed other than by a refusal, or whose
    token is getting old, is replaced."""

    def __init__(self, cluster):
        self.cluster, self.open = cluster, {}

    def call(self, actor: str, role: str, unit: str | None, service: str, method: str, **payload):
        key = (actor, role, unit)
        if key in self.open and time.monotonic() - self.open[key][2] > RENEW_AFTER_SECONDS:
            self.drop(key)
        if key not in self.open:
            proxy = rpc_cluster(self.cluster.vhost.amqp_uri, self.cluster.token(actor, role, unit), timeout=30)
            self.open[key] = (proxy, proxy.start(), time.monotonic())
        try:
            return getattr(getattr(self.open[key][1], service), method)(**payload)
        except ServiceError:
            raise
        except Exception:
            self.drop(key)
            raise

    def drop(self, key) -> None:
        proxy = self.open.pop(key)[0]
        try:
            proxy.stop()
        except Exception:  # noqa: BLE001  (its connection may be gone already)
            pass

    def close(self) -> None:
        for key in list(self.open):
            self.drop(key)


def walk(portals: Queue, unit_id: str, award_fen: int) -> str:
    """One case, as a portal would drive it through crashes: every step retried with its command id."""
    portal = portals.get()

    def step(actor: str, role: str, service: str, method: str, unit: str | None = None, **payload):
        ident = command_id()

        def call():
            return portal.call(actor, role, unit, service, method, command_id=ident, **payload)
        return until_answered(call, deadline_seconds=300, retry_codes=NOT_YET)

    try:
        return _walk(step, unit_id, award_fen)
    finally:
        portals.put(portal)


def _walk(step, unit_id: str, award_fen: int) -> str:
    case_id = step("contact-1", "unit_contact", "application", "file_case", unit_id, unit_id=unit_id, programme="A",
                   title="soak", talent=samples.talent(), claims=samples.claims(),
                   documents=samples.case_documents())["case_id"]
    step("contact-1", "unit_contact", "application", "submit", unit_id, case_id=case_id)
    step("officer-1", "officer", "review", "approve_audit", case_id=case_id, reason="ok")
    step("officer-2", "officer", "application", "record_paper_delivery", case_id=case_id,
         delivery=samples.paper_delivery())
    step("reviewer-1", "reviewer", "review", "score", case_id=case_id, score=80, opinion="ok")
    step("decider-1", "decision_maker", "review", "decide_award", case_id=case_id, award_fen=award_fen, reason="ok")
    return case_id


def killer(cluster, stop: threading.Event, kills: list):
    rng = random.Random(20241020)
    while not stop.wait(KILL_EVERY):
        victim = rng.choice(SERVICES)
        cluster.kill(victim, signal.SIGKILL)
        kills.append(victim)
        cluster.start(victim)


def test_soak_with_services_killed_at_random(tmp_path):
    (tmp_path / "data").mkdir()
    stop, kills = threading.Event(), []
    with running_cluster(tmp_path / "data", env={"LOG_LEVEL": "WARNING"}) as cluster:
        unit_id = approved_unit(cluster)
        portals = Queue()   # as many as callers: a case takes one for its whole walk
        for _ in range(CALLERS):
            portals.put(Portal(cluster))
        chaos = eventlet.spawn(killer, cluster, stop, kills)
        try:
            awards = {n: 1_000 + n for n in range(CASES)}
            case_ids = list(GreenPool(CALLERS).imap(lambda n: walk(portals, unit_id, awards[n]), range(CASES)))
        finally:
            stop.set()
            chaos.wait()
            while not portals.empty():
                portals.get().close()

        def all_complete():
            with cluster.rpc("auditor-1", "auditor") as rpc:
                page = rpc.application.cases_by_status(status="disbursement_scheduled", limit=1)
            return page["total"] == CASES
        eventually(all_complete, timeout=300, interval=2)
        cluster.stop_all()

    assert kills, "no service was killed: the soak ran too briefly to test anything"
    data = tmp_path / "data"
    per_case = {}
    for event in recorded_events(data, "application"):
        if type(event).__qualname__.startswith("Case."):
            per_case.setdefault(str(event.originator_id), []).append(type(event).__name__)
    assert set(per_case) == set(case_ids)
    walked = ["Filed", "RegistrationReferenced", "TalentDeclared", "DocumentsAttached", "Submitted", "AuditRecorded",
              "PaperDeliveryRecorded", "DecisionRecorded", "FundingRecorded", "DisbursementRecorded"]
    assert all(types == walked for types in per_case.values())
    scheduled = [e for e in recorded_events(data, "funding") if type(e).__name__ == "DisbursementScheduled"]
    assert sorted(e.amount_fen for e in scheduled) == sorted(awards.values())
    for service in SERVICES:
        assert applied_twice(recorded_events(data, service)) == {}, service
        live, rebuilt = live_and_rebuilt_projections(data, service, tmp_path / f"rebuilt-{service}")
        assert live == rebuilt, service
