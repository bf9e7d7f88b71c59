"""Only the real service can speak: events published to the broker by anyone else — with full
broker rights — are refused by every consumer, and a rotated key keeps the flow working.

Against the four services as real processes (tests/integration/conftest.py); each forged event is
what issue 10's probe sent: a valid envelope, the case's next review sequence, the event id
computed the documented way, published to `review.events`."""
import json
import re

from kombu import Connection, Producer

from shared.contracts.envelope import event_id_for
from shared.keys import LiveRegistry, Registry, generate, load_private_key, retire, rotate
from shared.messaging.topology import events_exchange
from shared.signing import EventSigner, EventVerifier, Rejected
from tests.support import flows
from tests.support.cluster import command_id, eventually
from tests.support.flows import (case_status, decide_award, walk_case)

FORGED_AWARD_FEN = 200_000_000
GENUINE_AWARD_FEN = 150_000_000


# -- helpers -------------------------------------------------------------------------------
def ready_for_decision(cluster) -> str:
    """A case that passed its audit, paper delivery and scoring: the next review event is the decision."""
    return flows.scored_case(cluster)


def review_events(cluster, case_id: str | None = None) -> list[dict]:
    """Review's integration events (catch-up path: envelopes with their signatures)."""
    found, position = [], 0
    with cluster.rpc("auditor-1", "auditor") as rpc:
        while True:
            page = rpc.review.events_after(position=position, limit=1000)
            found += page["events"]
            if page["last_position"] == position:
                break
            position = page["last_position"]
    return [e for e in found if case_id is None or e["case_id"] == case_id]


def genuine_decision(cluster) -> dict:
    case_id = walk_case(cluster, award_fen=120_000_000)
    [decision] = [e for e in review_events(cluster, case_id) if e["type"] == "review.case_review.AwardDecided"]
    return decision


def next_review_event(cluster, template: dict, case_id: str) -> dict:
    """`template` moved to the next sequence of the case's review stream, the event id computed
    the documented way, the award raised: a valid envelope, without a signature."""
    last = eventually(lambda: [e for e in review_events(cluster, case_id)
                               if e["type"].startswith("review.case_review.")], timeout=30)[-1]
    sequence = last["sequence"] + 1
    return {**{k: v for k, v in template.items() if k != "signature"},
            "stream_id": last["stream_id"], "case_id": case_id, "sequence": sequence,
            "event_id": str(event_id_for("review", last["stream_id"], sequence)), "position": last["position"] + 1,
            "payload": {**template["payload"], "award_fen": FORGED_AWARD_FEN}}


def publish(cluster, body: dict) -> None:
    """Straight to review's events exchange, as guest, who may do anything in the test vhost."""
    with Connection(cluster.vhost.amqp_uri) as connection:
        Producer(connection.default_channel, serializer="json").publish(
            body, exchange=events_exchange("review"), routing_key=body["type"], delivery_mode=2,
            retry=True, declare=[events_exchange("review")])


def parked(cluster, service: str, event_id: str, status: str = "parked") -> list[dict]:
    with cluster.rpc("ops-1", "operator") as rpc:
        items = getattr(rpc, service).parked_events(status=status, limit=200)["items"]
    return [item for item in items if item["event_id"] == event_id]


def history_types(cluster, case_id: str) -> list[str]:
    with cluster.rpc("auditor-1", "auditor") as rpc:
        return [e["type"] for e in rpc.application.history(case_id=case_id)["entries"]]


def disbursements(cluster, case_id: str) -> list[dict]:
    with cluster.rpc("fo-1", "funding_officer") as rpc:
        return rpc.funding.disbursements(case_id=case_id)["items"]


def security_lines(cluster, service: str, event_id: str) -> list[dict]:
    lines = []
    for line in cluster.log(service).splitlines():
        if event_id in line and "security" in line:
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return [entry for entry in lines if entry.get("security_event") is True]


# -- the tests -------------------------------------------------------------------------------
def test_forged_decisions_are_parked_nothing_is_paid_and_the_genuine_decision_applies(cluster, tmp_path):
    template = genuine_decision(cluster)
    case_id = ready_for_decision(cluster)
    forged = next_review_event(cluster, template, case_id)

    attacker_keys = str(tmp_path / "attacker")
    generate(attacker_keys, {"review": ("event-signing", ())})
    by_attacker = EventSigner.load(attacker_keys, "review", Registry.load(attacker_keys))
    unsigned = forged
    wrong_key = {**forged, "signature": by_attacker.sign({k: v for k, v in forged.items() if k != "position"})}
    borrowed = {**forged, "signature": template["signature"]}   # another case's genuine signature
    for body in (unsigned, wrong_key, borrowed):
        publish(cluster, body)

    event_id = forged["event_id"]
    for service in ("funding", "application"):
        refused = eventually(lambda s=service: len(parked(cluster, s, event_id)) == 3 and parked(cluster, s, event_id),
                             timeout=30)
        assert sorted(item["reason"] for item in refused) == ["forged", "forged", "unsigned"]
        assert {item["body"]["payload"]["award_fen"] for item in refused} == {FORGED_AWARD_FEN}
        assert len(security_lines(cluster, service, event_id)) >= 3
    assert disbursements(cluster, case_id) == []
    assert "DecisionRecorded" not in history_types(cluster, case_id)

    decide_award(cluster, case_id, GENUINE_AWARD_FEN)
    eventually(lambda: case_status(cluster, case_id)["status"] == "disbursement_scheduled", timeout=30)
    [decision] = [e for e in review_events(cluster, case_id) if e["type"] == "review.case_review.AwardDecided"]
    assert decision["event_id"] == event_id            # the sequence the forgeries claimed was still free
    [paid] = disbursements(cluster, case_id)
    assert (paid["idempotency_key"], paid["amount_fen"]) == (f"{case_id}:award:once", GENUINE_AWARD_FEN)
    assert history_types(cluster, case_id).count("DecisionRecorded") == 1

    # an operator replays the forgeries: they are verified again, and refused again
    with cluster.rpc("ops-1", "operator") as rpc:
        replayed = rpc.funding.replay_parked(command_id=command_id(), event_id=event_id)["replayed"]
    assert replayed.count(event_id) == 3
    eventually(lambda: len(security_lines(cluster, "funding", event_id)) >= 6, timeout=30)
    eventually(lambda: len(parked(cluster, "funding", event_id)) == 3, timeout=30)
    assert disbursements(cluster, case_id) == [paid]


def test_an_event_replayed_into_another_cases_stream_is_refused(cluster):
    """A genuine decision, signature intact, moved into another case's review stream."""
    template = genuine_decision(cluster)
    case_id = ready_for_decision(cluster)
    moved = {**next_review_event(cluster, template, case_id), "signature": template["signature"],
             "payload": template["payload"]}
    publish(cluster, moved)
    [refused] = eventually(lambda: parked(cluster, "funding", moved["event_id"]), timeout=30)
    assert refused["reason"] == "forged" and "does not match" in refused["error"]
    assert disbursements(cluster, case_id) == []


def test_an_event_whose_actor_was_changed_after_signing_is_refused(cluster):
    """Refused on its signature, before its sequence is looked at (it would be a duplicate)."""
    template = genuine_decision(cluster)
    changed = {**template, "actor": {"actor_id": "decider-9", "role": "decision_maker", "unit_id": None}}
    publish(cluster, changed)
    refused = eventually(lambda: [item for item in parked(cluster, "funding", template["event_id"])
                                  if item["reason"] == "forged"], timeout=30)
    assert "does not match" in refused[0]["error"]
    assert refused[0]["body"]["actor"]["actor_id"] == "decider-9"


def test_a_rotated_key_keeps_the_flow_working_and_the_retired_key_verifies_what_it_signed(cluster):
    case_id = ready_for_decision(cluster)                          # review's events so far: the old key
    old_kid = load_private_key(cluster.keys_dir, "review", "event-signing")[0]
    new_kid = rotate(cluster.keys_dir, "review", reason="integration test")
    cluster.restart("review")
    started = [json.loads(line) for line in cluster.log("review").splitlines()
               if "signing with key" in line and new_kid in line]
    first_new = started[-1]["first_position"]

    decide_award(cluster, case_id, GENUINE_AWARD_FEN)             # signed with the new key
    eventually(lambda: case_status(cluster, case_id)["status"] == "disbursement_scheduled", timeout=30)
    retire(cluster.keys_dir, old_kid, after_position=first_new - 1, reason="rotated in the integration test")

    verifier = EventVerifier(LiveRegistry(cluster.keys_dir))
    events = review_events(cluster)
    signed_by = {e["event_id"]: verifier.verify(e) for e in events}   # the catch-up path verifies them all
    old = [e for e in events if signed_by[e["event_id"]] == old_kid]
    new = [e for e in events if signed_by[e["event_id"]] == new_kid]
    assert old and new and max(e["position"] for e in old) < first_new <= min(e["position"] for e in new)
    decision = [e for e in review_events(cluster, case_id) if e["type"] == "review.case_review.AwardDecided"]
    assert signed_by[decision[0]["event_id"]] == new_kid

    try:
        verifier.verify({**old[-1], "position": first_new})     # the retired key: nothing after its last
        raise AssertionError("a retired key verified an event after its last position")
    except Rejected as rejected:
        assert "retired" in rejected.detail

    # consumers, still running, accept an old event again (a duplicate), and park nothing
    publish(cluster, old[-1])
    eventually(lambda: any(old[-1]["event_id"] in line and re.search(r"event (duplicate|ignored)", line)
                           for line in cluster.log("funding").splitlines()[-200:]), timeout=30)
    assert parked(cluster, "funding", old[-1]["event_id"]) == []
