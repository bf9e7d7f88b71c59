"""The golden master of the command path: both stories, in process, recorded whole.

What it captures, and why. Issue 9 refactors the command path of all four services with
"behaviour unchanged, proven". This harness tells programme A's story (services/story.py:
one 昌聚工程 case) and programme B's (services/placement_story.py: one 科技副总 placement), then
lets business time run month by month past the end of both terms and does what the
end-to-end tests do afterwards (tests/integration/test_programme_{a,b}_end_to_end.py). It
records:

- `replies`: every call in order — each RPC the stories make (service, method, actor, role,
  unit, payload, business time) with its reply, or the `ServiceError` it raised as
  `to_dict()`; every `health()` the stories ask; every timer tick (funding's
  `fire_deadlines`, application's `expire_terms`) with what it returned; and after each, the
  position every store reached once everything had been delivered (so a diff shows which
  call's consequences moved);
- `stores`: for each of the four stores, every stored event in notification order: position,
  stream id, stream version, topic and the stored state exactly as recorded (the JSON the
  transcoder wrote, with its `_type_`/`_data_` wrappers), command receipts included;
- `read_models`: every read-model document of every store, by collection.

How, without a broker or a process. Each service is its real nameko class built by
nameko's `worker_factory` on a real SQLite store (`build_store`), so every call goes
through the real endpoint decorator (token, schema, command id, `plain_json`): exactly an
RPC reply. After each call the cluster settles: the envelopes a relay would publish are fed
to the inboxes of the services that follow their source (`FOLLOWS`), again and again until
nothing new is applied (an event that must wait is offered again next round), and every
store's projections are stepped, so the next query sees everything. The stories' portal
retries with `time.sleep`; here it must never need to: a sleep fails the run.

Determinism. One `ManualClock` is every store's business clock: it starts inside the 2024
call window and moves one minute before each story call (not before `health()` or a timer),
three days between the two stories, and one month per timer tick. The three days matter:
funding's timer takes the cases due on the same date in the order of their ids, which are
random, so the two cases' monthly dates must differ for the event order to be the same from
run to run. Unit ids derive from the (fixed) credit codes. What is still random is
normalised when the record is rendered (`Normaliser`):
- every UUID, in any string (also inside ids such as `<uuid>:award:once`, correlation ids
  such as `funding-timer-<uuid>`) and in the store's `uuid_hex` wrappers, becomes `<id-N>`,
  numbered in the order the rendering meets them (replies in call order, then the stores in
  notification order, then the read models; within a mapping, keys in sorted order with
  their UUIDs masked, so the numbering does not depend on the random values). Command ids,
  correlation ids, aggregate ids, receipt ids and event ids are all covered by this;
- wall-clock times (each stored event's `timestamp`, and wherever it is echoed: envelopes'
  and history entries' `recorded_at`) become `<wall>`. They are recognised by value: the set
  of every stored event's timestamp. Business times keep their values;
- a command receipt's fingerprint (a SHA-256 of the entrypoint and the payload, whose ids are
  random) becomes `<fingerprint of reply N>`, N the first call with that entrypoint and payload
  (the harness computes it the way receipts.py does); one it cannot match stays as it is;
- the temporary data folder (in `health()` replies) becomes `<data_dir>`;
- each published event's stored `signature` becomes `<signature>` (the keys are made for each
  run; every signature was verified when its event was delivered);
- each sealed personal field keeps its form with `<nonce>` and `<ciphertext>` (random) and gains
  `opens_to`, the value it decrypts to (its data key id is a UUID, numbered like the others).

The harness leans on the services' internals only in the section marked INTERNALS below
(how a store is built, how an envelope reaches an inbox, how projections are stepped, how
the stored events are read). When the refactor renames those, adapt that section only.

Record with `GOLDEN_RECORD=1 .venv/bin/python -m pytest tests/golden` (see test_golden_master.py).
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
import time
from contextlib import contextmanager, redirect_stdout
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

from nameko.testing.services import worker_factory

import services.portal as portal_module
from services.placement_story import PlacementStory
from services.story import Story
from shared.calendar import add_months
from shared.clock import BEIJING, ManualClock
from shared.errors import ServiceError
from tests.support.contracts import checked
from shared.identity import verify_token
from tests.support import keys

GOLDEN_FILE = Path(__file__).with_name("golden_master.json")

# Business time starts where the integration tests start it: inside the 2024 call's filing window.
CLOCK_START = datetime(2024, 9, 20, 9, 0, tzinfo=BEIJING)
STEP_PER_CALL = timedelta(minutes=1)
STORIES_APART = timedelta(days=3)
MAX_MONTHS = 60                 # the terms are 36 and 30 months: more means the timers are stuck
CREDIT_CODE_A = "91110114MA0GOLD0A1"
CREDIT_CODE_B = "91110114MA0GOLD0B2"
SERVICES = ("registration", "application", "review", "funding")


# ==================================================================================================
# INTERNALS: everything the harness knows about how the services are put together.
# ==================================================================================================
from services.application.app import ApplicationApplication            # noqa: E402
from services.application.service import ApplicationService            # noqa: E402
from services.funding.app import FundingApplication                    # noqa: E402
from services.funding.service import FundingService                    # noqa: E402
from services.registration.app import RegistrationApplication          # noqa: E402
from services.registration.service import RegistrationService          # noqa: E402
from services.review.app import ReviewApplication                      # noqa: E402
from services.review.service import ReviewService                      # noqa: E402
from nameko.dependency_providers import Config                         # noqa: E402
from shared.contracts.envelope import load_envelope                    # noqa: E402
from shared.errors import NotYet                                       # noqa: E402
from shared.messaging.inbox import Outcome                             # noqa: E402
from shared.messaging.topology import FOLLOWS                          # noqa: E402
from shared.messaging.translate import envelopes_after                 # noqa: E402
from shared.config import Settings                                     # noqa: E402
from shared.platform.store import build_store                          # noqa: E402

SERVICE_CLASSES = {"registration": (RegistrationService, RegistrationApplication),
                   "application": (ApplicationService, ApplicationApplication),
                   "review": (ReviewService, ReviewApplication),
                   "funding": (FundingService, FundingApplication)}
TIMERS = (("funding", "fire_deadlines"), ("application", "expire_terms"))


def service_config(data_dir: str) -> dict:
    """The config a service process would get (deploy/config.yaml's shape). The broker URI is
    kombu's in-memory transport: nothing here publishes, and nothing could reach a real broker."""
    return {"AMQP_URI": "memory://", "serializer": "json", "KEYS": {"dir": keys.keys_dir()},
            "STORE": {"kind": "sqlite", "data_dir": data_dir}, "LOG_LEVEL": "WARNING"}


def open_store(config: dict, service: str, clock):
    store = build_store(Settings.from_mapping(config), service, SERVICE_CLASSES[service][1])
    store.app.clock = clock                 # every service reads business time from app.clock
    return store


def make_worker(store, config: dict, request):
    """A worker of the real nameko service class with the real store (as the container would
    inject it); dependencies not given (the inbox receiver) are mocks nobody calls."""
    service_class = SERVICE_CLASSES[store.service][0]
    extra = {"config": config} if isinstance(getattr(service_class, "config", None), Config) else {}
    return worker_factory(service_class, store=store, request=request, **extra)


def published_after(store, position: int) -> tuple[list[dict], int]:
    """What the relay would publish after `position`, as a consumer receives it (through JSON,
    its signature verified, validated); and the last position scanned."""
    envelopes, last = envelopes_after(store.service, store.app, position, 100_000)
    received = [json.loads(json.dumps(e)) for e in envelopes]
    for body in received:
        store.verifier.verify(body)          # every store's verifier reads the same registry
    return [load_envelope({k: v for k, v in body.items() if k != "signature"}) for body in received], last


def signatures(found: list[dict]) -> set[str]:
    """The signatures stored with the events (random: the keys are made for each run)."""
    return {event["state"]["signature"] for event in found if "signature" in event["state"]}


def offer(store, envelope: dict) -> str:
    """Offer one envelope to a store's inbox: 'applied', 'ignored', 'duplicate' or 'waiting'."""
    try:
        return store.inbox.accept(envelope).value
    except NotYet:
        return Outcome.WAITING.value


def step_projections(store) -> None:
    while store.projections.step():
        pass


def position(store) -> int:
    return store.app.position()


def stored_events(store) -> list[dict]:
    """Every stored event in notification order, with its state as recorded."""
    app, found, start = store.app, [], 1
    while notifications := app.recorder.select_notifications(start=start, limit=1000):
        for n in notifications:
            state = n.state
            if app.mapper.cipher:
                state = app.mapper.cipher.decrypt(state)
            if app.mapper.compressor:
                state = app.mapper.compressor.decompress(state)
            found.append({"position": n.id, "stream_id": str(n.originator_id), "version": n.originator_version,
                          "topic": n.topic, "state": opened(app, n, json.loads(state))})
        start = notifications[-1].id + 1
    return found


def opened(app, notification, state: dict) -> dict:
    """The stored state with each sealed personal field shown as what it holds: its nonce and
    ciphertext are random, so the record keeps the sealed form's shape (`$personal`, `kid`) and
    the value it opens to (shared/privacy/sealing.py)."""
    from shared.privacy.inventory import locate
    from shared.privacy.sealing import is_sealed

    entry = app.mapper.personal.get(notification.topic.split(":", 1)[1])
    for path in entry.fields if entry else ():
        for container, key in locate(state, path):
            if is_sealed(container[key]):
                sealed = container[key]
                plain = app.vault.open_value(sealed, str(notification.originator_id), notification.originator_version,
                                             path)
                container[key] = {"$personal": sealed["$personal"], "kid": sealed["kid"], "nonce": "<nonce>",
                                  "ct": "<ciphertext>", "opens_to": json.loads(plain)["v"]}
    return state


def read_models(store) -> dict[str, list[dict]]:
    """Every document of every read model, by collection (in the store's key order: the
    normaliser re-sorts them, keys being random ids)."""
    collections = sorted({c for p in store.projections.projections.values() for c in p.collections})
    docs = {}
    for collection in collections:
        items, total = store.views.find(collection, limit=100_000)
        assert len(items) == total
        docs[collection] = [opened_doc(store.app, doc) for doc in items]
    return docs


def opened_doc(app, doc: dict) -> dict:
    """A read-model document with a sealed personal value (the pool's expert names) shown as its
    form and what it opens to, as `opened` does for stored events."""
    from services.registration.app import opened as opened_names
    from shared.privacy.sealing import is_sealed

    if not is_sealed(doc.get("name")):
        return doc
    sealed = doc["name"]
    return {**doc, "name": {"$personal": sealed["$personal"], "kid": sealed["kid"], "nonce": "<nonce>",
                            "ct": "<ciphertext>", "opens_to": opened_names(app, doc)["name"]}}


def wall_times(store) -> set[str]:
    """The wall-clock timestamps the store stamped on its events (eventsourcing's `timestamp`)."""
    return {store.app.mapper.to_domain_event(n).timestamp.isoformat()
            for n in store.app.recorder.select_notifications(start=1, limit=1_000_000)}
# ==================================================================================================


class HarnessError(AssertionError):
    pass


class FakeRequest:
    """Stands in for the Request dependency: what a call would carry in its context data."""

    def __init__(self, token: str | None, entrypoint: str):
        self.token, self.entrypoint, self.correlation_id = token, entrypoint, str(uuid4())  # nameko's call id

    def identity(self):
        return verify_token(self.token, keys.trusted())


class InProcessCluster:
    """The four services in this process, on one business clock, with a transcript of every call."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.clock = ManualClock(CLOCK_START)
        self.config = service_config(data_dir)
        self.stores = {service: open_store(self.config, service, self.clock) for service in SERVICES}
        self.cursors = {(consumer, source): 0 for consumer, sources in FOLLOWS.items() for source in sources}
        self.transcript: list[dict] = []
        self.fingerprints: dict[str, str] = {}     # a call's command fingerprint -> the first reply with it

    def close(self) -> None:
        for store in self.stores.values():
            store.close()

    # -- calls --------------------------------------------------------------------------------
    def invoke(self, service: str, method: str, *, actor=None, role=None, unit=None, payload=None,
               record=True, advance=True):
        """Call an entrypoint on a fresh worker, record the reply or refusal, then settle."""
        if advance:
            self.clock.set(self.clock.now() + STEP_PER_CALL)
        token = keys.token(actor, role, unit) if actor else None
        worker = make_worker(self.stores[service], self.config, FakeRequest(token, method))
        entry = {"call": f"{service}.{method}", "business_time": self.clock.now().isoformat()}
        if actor:
            entry.update(actor=actor, role=role, unit=unit)
        if payload is not None:
            entry["payload"] = payload
            if record:
                self.fingerprints.setdefault(command_fingerprint(method, payload),
                                             f"<fingerprint of reply {len(self.transcript) + 1}>")
        try:
            reply = getattr(worker, method)(**(payload or {}))
            if hasattr(getattr(type(worker), method), "contract"):   # an RPC endpoint, not a timer
                checked(f"{service}.{method}", reply)
            entry["reply"] = reply
        except ServiceError as error:
            entry["error"] = error.to_dict()
            reply = error
        self.settle()
        entry["positions"] = {name: position(store) for name, store in self.stores.items()}
        if record:
            self.transcript.append(entry)
        if isinstance(reply, ServiceError):
            raise reply
        return reply

    @contextmanager
    def rpc(self, actor_id: str, role: str, unit_id: str | None = None):
        """What the portal expects: a proxy with `proxy.<service>.<method>(**payload)`."""
        yield _Proxy(self, actor_id, role, unit_id)

    def health(self, service: str) -> dict:
        return self.invoke(service, "health", advance=False)

    def peek(self, service: str, method: str, actor: str, role: str, **payload):
        """A query the harness asks for itself (to know when a term is over): not recorded."""
        return self.invoke(service, method, actor=actor, role=role, payload=payload, record=False, advance=False)

    def tick(self) -> None:
        """A month of business time passes, and each timer runs once."""
        now = self.clock.now().astimezone(BEIJING)
        self.clock.set(datetime.combine(add_months(now.date(), 1), now.timetz()))
        for service, timer in TIMERS:
            self.invoke(service, timer, advance=False)

    # -- delivery -----------------------------------------------------------------------------
    def settle(self) -> None:
        """Deliver everything everywhere until nothing new is applied (what the broker and the
        inbox retries would do), with every store's projections caught up."""
        for _ in range(1000):
            for store in self.stores.values():
                step_projections(store)
            moved = False
            for consumer, sources in FOLLOWS.items():
                for source in sources:
                    moved |= self._deliver(source, consumer)
            if not moved:
                return
        raise HarnessError("the services never settled")

    def _deliver(self, source: str, consumer: str) -> bool:
        """Offer the consumer every envelope of the source after the last one all of whose
        predecessors were taken; return whether any was applied."""
        envelopes, last = published_after(self.stores[source], self.cursors[(consumer, source)])
        first_waiting, applied = None, False
        for envelope in envelopes:
            outcome = offer(self.stores[consumer], envelope)
            if outcome == "waiting" and first_waiting is None:
                first_waiting = envelope["position"] - 1
            applied |= outcome == "applied"
        self.cursors[(consumer, source)] = last if first_waiting is None else first_waiting
        return applied

    # -- the record ---------------------------------------------------------------------------
    def capture(self) -> dict:
        stores = {name: stored_events(store) for name, store in self.stores.items()}
        views = {name: read_models(store) for name, store in self.stores.items()}
        walls = set().union(*(wall_times(store) for store in self.stores.values()))
        exact = {**self.fingerprints, **{s: "<signature>" for found in stores.values() for s in signatures(found)}}
        return Normaliser(walls, exact, {self.data_dir: "<data_dir>"}).render(self.transcript, stores, views)


class _Proxy:
    def __init__(self, cluster, actor, role, unit):
        self._cluster, self._who = cluster, dict(actor=actor, role=role, unit=unit)

    def __getattr__(self, service):
        cluster, who = self._cluster, self._who

        class _Service:
            def __getattr__(self, method):
                return lambda **payload: cluster.invoke(service, method, payload=payload, **who)
        return _Service()


# -- the stories, start to end -----------------------------------------------------------------------
class _NoWaiting:
    """Replaces `time` in services/portal.py: with in-process settling every write succeeds and
    every awaited state holds at the first attempt, so the portal must never wait or retry."""
    monotonic = staticmethod(time.monotonic)

    @staticmethod
    def sleep(seconds):
        raise HarnessError("the portal wanted to wait and retry: something did not settle (see the last reply)")


@contextmanager
def portal_never_waits():
    original = portal_module.time
    portal_module.time = _NoWaiting
    try:
        yield
    finally:
        portal_module.time = original


def by_obligation(items) -> dict:
    grouped = {}
    for item in items:
        grouped.setdefault(item["obligation_id"], []).append(item)
    return grouped


def run_both_stories(cluster: InProcessCluster) -> None:
    story = Story(rpc=cluster.rpc, health=cluster.health, credit_code=CREDIT_CODE_A)
    placement = PlacementStory(rpc=cluster.rpc, health=cluster.health, credit_code=CREDIT_CODE_B)
    with portal_never_waits():
        a = story.tell()
        # The placement starts three days later. Its monthly dates then never fall on the case's:
        # funding's timer takes the cases due on one date in the order of their (random) ids.
        cluster.clock.set(cluster.clock.now() + STORIES_APART)
        b = placement.tell()
        # programme B's end-to-end test: the funding office pays the project subsidy
        subsidy = placement.until(lambda: by_obligation(placement.call(
            "fo-1", "funding_officer", "funding", "disbursements", case_id=b["case_id"])["items"]
        ).get("project_subsidy"), "funding schedules the project subsidy")
        placement.write("fo-1", "funding_officer", "funding", "report_payment",
                        idempotency_key=subsidy[0]["idempotency_key"], attempt=1, outcome="paid",
                        office_reference="BANK-B-1")

        # business time runs on, a month per tick, until both terms are over
        for _ in range(MAX_MONTHS):
            cluster.tick()
            if _a_term_over(cluster, a["case_id"]) and _b_term_over(cluster, b["case_id"]):
                break
        else:
            raise HarnessError(f"the terms were not over after {MAX_MONTHS} months")
        story.wait_for_the_end_of_the_term(timeout=0)
        ended = placement.wait_for_the_end_of_the_term(timeout=0)

        # what programme B's end-to-end test does after the term
        case_id = b["case_id"]
        placement.write("reviewer-2", "reviewer", "application", "record_evaluation", case_id=case_id,
                        opinion="合作成效显著，完成产业化", rating="excellent")
        ended_year = datetime.fromisoformat(ended["ends_on"]).year
        placement.write("decider-1", "decision_maker", "funding", "award_prize", case_id=case_id, level="first",
                        year=ended_year, reason="年度评选一等奖")
        placement.refused("B.prize.once", "decider-2", "decision_maker", "funding", "award_prize", case_id=case_id,
                          level="second", year=ended_year, reason="again")
        placement.write("decider-2", "decision_maker", "funding", "grant_breakthrough_subsidy", case_id=case_id,
                        investment_fen=2_000_000_000, reason="产业化投资2000万元")
        cluster.tick()          # one more month: nothing is left to release or record

        # what an auditor reads at the end, for both cases
        with cluster.rpc("auditor-1", "auditor") as rpc:
            for facts, status in ((a, "status"), (b, "placement")):
                rpc.application.history(case_id=facts["case_id"])
                getattr(rpc.application, status)(case_id=facts["case_id"])
                rpc.funding.entitlements(case_id=facts["case_id"])
                rpc.funding.disbursements(case_id=facts["case_id"])
            rpc.review.review(case_id=a["case_id"])


def _a_term_over(cluster, case_id) -> bool:
    deadlines = cluster.peek("funding", "entitlements", "auditor-1", "auditor", case_id=case_id)["deadlines"]
    return bool(deadlines) and all(d["status"] == "reached" for d in deadlines.values())


def _b_term_over(cluster, case_id) -> bool:
    return cluster.peek("application", "placement", "auditor-1", "auditor", case_id=case_id)["status"] == "expired"


def record() -> dict:
    """Run everything on fresh stores and return the normalised record."""
    data_dir = tempfile.mkdtemp(prefix="golden-master-")
    cluster = InProcessCluster(data_dir)
    try:
        with redirect_stdout(io.StringIO()):     # the services' log lines (structlog's default: stdout)
            run_both_stories(cluster)
        return cluster.capture()
    finally:
        cluster.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def render(record_: dict) -> str:
    return json.dumps(record_, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- normalising ---------------------------------------------------------------------------------------
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def command_fingerprint(entrypoint: str, payload: dict) -> str:
    """What a command receipt records of its command: a SHA-256 of the entrypoint and the payload
    without the command id (shared/eventstore/receipts.py), spelt out here on purpose: a change
    of the stored format shows in the record."""
    without_id = {k: v for k, v in payload.items() if k != "command_id"}
    canonical = json.dumps({"entrypoint": entrypoint, "payload": without_id}, sort_keys=True, default=str,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Normaliser:
    """Replaces what changes from run to run; see the module docstring."""

    def __init__(self, wall_times: set[str], exact: dict[str, str], replacements: dict[str, str]):
        self.walls = wall_times
        self.exact = exact              # whole strings with their stand-ins (command fingerprints)
        self.replacements = replacements
        self.ids: dict[UUID, str] = {}

    def render(self, transcript, stores, views) -> dict:
        replies = [dict(self.value(entry), n=i) for i, entry in enumerate(transcript, 1)]
        events = {name: self.value(found) for name, found in stores.items()}
        models = {name: {collection: sorted((self.value(doc) for doc in docs), key=_natural_json)
                         for collection, docs in collections.items()} for name, collections in views.items()}
        return {"replies": replies, "stores": events, "read_models": models,
                "sizes": {"replies": len(replies), **{f"{name}_events": len(found) for name, found in events.items()}}}

    def value(self, value):
        if isinstance(value, dict):
            if set(value) == {"_type_", "_data_"} and value["_type_"] == "uuid_hex":
                return {"_type_": "uuid_hex", "_data_": self.id(UUID(value["_data_"]))}
            ordered = sorted(value, key=lambda k: UUID_TEXT.sub("<id>", str(k)))  # stable: ties keep their order
            return {self.text(str(k)): self.value(value[k]) for k in ordered}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def text(self, text: str) -> str:
        if text in self.walls:
            return "<wall>"
        if text in self.exact:
            return self.exact[text]
        for old, new in self.replacements.items():
            text = text.replace(old, new)
        return UUID_TEXT.sub(lambda m: self.id(UUID(m.group())), text)

    def id(self, uuid: UUID) -> str:
        if uuid not in self.ids:
            self.ids[uuid] = f"<id-{len(self.ids) + 1}>"
        return self.ids[uuid]


def _natural_json(doc) -> list:
    """Sort key for documents: their JSON with `<id-N>` compared by number."""
    parts = re.split(r"<id-(\d+)>", json.dumps(doc, sort_keys=True, ensure_ascii=False))
    return [int(part) if i % 2 else part for i, part in enumerate(parts)]
