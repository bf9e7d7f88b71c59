"""Crashes and redeliveries are normal weather: no event is lost, none has a second effect,
and a stream's events take effect in order. Real processes, killed for real."""
import signal
import uuid

import pytest
from kombu import Connection, Exchange, Producer

from shared.contracts.envelope import event_id_for
from shared.errors import ServiceError
from shared.keys import Registry
from shared.signing import EventSigner
from tests.support.cluster import command_id, eventually, running_cluster
from tests.support.flows import approve_audit, approved_unit, case_status, file_case, register_unit, submit
from tests.support.stores import applied_twice, recorded_events


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path, env={"INBOX_MAX_ATTEMPTS": "2"}) as running:
        yield running


def learnt_units(cluster) -> set:
    """The units the application service has learnt of (its UnitStanding streams)."""
    return {str(e.originator_id) for e in recorded_events(cluster.data_dir, "application")
            if type(e).__qualname__ == "UnitStanding.Learnt"}


def test_killed_between_commit_and_publish_the_events_still_arrive_exactly_once(cluster):
    cluster.kill("registration")
    cluster.env["RELAY_PAUSED"] = "true"            # commit, and publish nothing …
    cluster.start("registration")
    units = [register_unit(cluster)["unit_id"] for _ in range(5)]
    assert cluster.health("registration")["relay_position"] == 0
    cluster.kill("registration", signal.SIGKILL)    # … then die before publishing
    del cluster.env["RELAY_PAUSED"]
    cluster.start("registration")
    eventually(lambda: set(units) <= learnt_units(cluster), timeout=20)
    assert applied_twice(recorded_events(cluster.data_dir, "application")) == {}


def test_a_consumer_killed_mid_handling_has_no_second_effect_after_redelivery(cluster):
    units = [register_unit(cluster)["unit_id"] for _ in range(60)]   # a backlog for application
    eventually(lambda: cluster.vhost.queue_depth("application.inbox") > 0 or learnt_units(cluster), timeout=10)
    cluster.kill("application", signal.SIGKILL)     # somewhere in the middle of that backlog
    cluster.start("application")
    eventually(lambda: set(units) <= learnt_units(cluster), timeout=30)
    events = recorded_events(cluster.data_dir, "application")
    assert applied_twice(events) == {}
    learnt = [e for e in events if type(e).__qualname__ == "UnitStanding.Learnt"]
    assert len(learnt) == len({e.originator_id for e in learnt})


def review_envelope(case_id, unit_id, sequence, event_type, payload, position):
    """An integration event as review's relay would publish it."""
    return {
        "event_id": str(event_id_for("review", case_id, sequence)), "type": event_type, "schema_version": 1,
        "source": "review", "position": position, "stream_id": case_id, "sequence": sequence,
        "case_id": case_id, "occurred_at": "2024-10-21T10:00:00+08:00", "recorded_at": "2024-10-21T02:00:00+00:00",
        "actor": {"actor_id": "officer-9", "role": "officer", "unit_id": None},
        "correlation_id": str(uuid.uuid4()), "causation_id": None, "command_id": None, "payload": payload,
    }


def publish_to_inbox(cluster, *envelopes):
    """Signed with review's key (the test plays review), as its relay would publish them."""
    review = EventSigner.load(cluster.keys_dir, "review", Registry.load(cluster.keys_dir))
    with Connection(cluster.vhost.amqp_uri) as connection:
        producer = Producer(connection.default_channel, serializer="json")
        for envelope in envelopes:
            signed = {**envelope, "signature": review.sign({k: v for k, v in envelope.items() if k != "position"})}
            producer.publish(signed, exchange=Exchange(""), routing_key="application.inbox", delivery_mode=2)


def filed_without_review(cluster):
    """A submitted case whose review stream we then write by hand (review never saw it: we stop it)."""
    cluster.kill("review")
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id)["case_id"]
    submit(cluster, case_id, unit_id)
    return case_id, unit_id


def test_two_events_of_one_case_delivered_in_reverse_order_take_effect_in_order(cluster):
    case_id, unit_id = filed_without_review(cluster)
    opened = review_envelope(case_id, unit_id, 1, "review.case_review.Opened", {"programme": "A", "unit_id": unit_id}, 1)
    audit = review_envelope(case_id, unit_id, 2, "review.case_review.AuditApproved", {"reason": "合规"}, 2)
    award = review_envelope(case_id, unit_id, 3, "review.case_review.AwardDecided", {
        "award_fen": 100, "reason": "x", "rule": "A.award.cap", "policy_edition": "changju-2024",
        "inputs": {"requested_fen": 100}}, 3)
    publish_to_inbox(cluster, award, audit, opened)          # newest first
    eventually(lambda: case_status(cluster, case_id)["status"] == "award_decided", timeout=30)
    with cluster.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=case_id)["entries"]
    assert [e["type"] for e in entries[-2:]] == ["AuditRecorded", "DecisionRecorded"]
    assert [e["causation_id"] for e in entries[-2:]] == [audit["event_id"], award["event_id"]]
    assert "event waits for an earlier one of its stream" in cluster.log("application")


def test_a_failing_event_is_parked_later_ones_of_its_case_wait_and_other_cases_go_on(cluster):
    ghost_case, ghost_unit = str(uuid.uuid4()), str(uuid.uuid4())   # a case application never had
    opened = review_envelope(ghost_case, ghost_unit, 1, "review.case_review.Opened",
                             {"programme": "A", "unit_id": ghost_unit}, 1)
    audit = review_envelope(ghost_case, ghost_unit, 2, "review.case_review.AuditApproved", {"reason": "x"}, 2)
    publish_to_inbox(cluster, opened, audit)
    with cluster.rpc("ops-1", "operator") as rpc:
        parked = eventually(lambda: rpc.application.parked_events()["items"], timeout=20)
    assert [(p["event_id"], p["case_id"], p["attempts"]) for p in parked] == [(audit["event_id"], ghost_case, 2)]
    assert "not_found" in parked[0]["error"]

    award = review_envelope(ghost_case, ghost_unit, 3, "review.case_review.AwardDecided", {
        "award_fen": 1, "reason": "x", "rule": "A.award.cap", "policy_edition": "changju-2024", "inputs": {}}, 3)
    publish_to_inbox(cluster, award)                           # waits behind the parked one …
    unit_id = approved_unit(cluster)                           # … while other cases go on
    other = file_case(cluster, unit_id)["case_id"]
    submit(cluster, other, unit_id)
    approve_audit(cluster, other)
    eventually(lambda: case_status(cluster, other)["status"] == "audit_approved", timeout=20)

    with cluster.rpc("ops-1", "operator") as rpc:              # the cause is not fixed: parked again
        assert rpc.application.replay_parked(command_id=command_id())["replayed"] == [audit["event_id"]]
        again = eventually(lambda: [p for p in rpc.application.parked_events()["items"]
                                    if p["event_id"] == audit["event_id"] and "replayed_at" in p], timeout=20)
    assert again[0]["status"] == "parked" and again[0]["attempts"] == 2


def test_an_invalid_event_is_parked_at_once_with_the_rule_it_broke(cluster):
    bad = review_envelope(str(uuid.uuid4()), str(uuid.uuid4()), 1, "review.case_review.Opened",
                          {"programme": "Z", "unit_id": "not-a-uuid"}, 1)
    publish_to_inbox(cluster, bad)
    with cluster.rpc("ops-1", "operator") as rpc:
        parked = eventually(lambda: rpc.application.parked_events()["items"], timeout=20)
    assert parked[0]["attempts"] == 1 and "programme" in parked[0]["error"]
    with cluster.rpc("auditor-1", "auditor") as rpc, pytest.raises(ServiceError):
        rpc.application.parked_events()                        # operators only
