"""The endpoint layer records who read personal data (and only after an answer), and an auditor reads
a stream's events with their envelopes, on a real store, without a broker."""
import pytest
from nameko.testing.services import worker_factory

from services.registration.app import RegistrationApplication
from services.registration.service import RegistrationService
from shared.errors import ServiceError
from tests.service.conftest import token
from tests.service.test_endpoints_with_worker_factory import UNIT, FakeRequest


@pytest.fixture
def registration(store_for):
    store = store_for("registration", RegistrationApplication)

    def service(actor, role, entrypoint):
        return worker_factory(RegistrationService, store=store, request=FakeRequest(token(actor, role), entrypoint))
    service.store = store
    return service


def registered_unit(registration) -> str:
    unit_id = registration("contact-1", "unit_contact", "register_unit").register_unit(
        command_id="cmd-access-1", **UNIT)["unit_id"]
    while registration.store.projections.step():
        pass
    return unit_id


def test_a_read_of_a_unit_is_logged_with_who_what_and_when(registration):
    unit_id = registered_unit(registration)
    registration("officer-7", "officer", "get_unit").get_unit(unit_id=unit_id)
    log = registration("auditor-1", "auditor", "access_log").access_log(subject_id=unit_id)
    assert log["total"] == 1
    (entry,) = log["items"]
    assert (entry["actor_id"], entry["role"], entry["entrypoint"], entry["subject_kind"], entry["service"]) == \
        ("officer-7", "officer", "get_unit", "unit", "registration")
    assert entry["correlation_id"] == "corr-1" and entry["recorded_at"] and entry["business_at"]
    by_actor = registration("auditor-1", "auditor", "access_log").access_log(actor_id="officer-7")
    assert by_actor["items"] == log["items"]


def test_a_refused_read_and_a_write_are_not_logged(registration):
    unit_id = registered_unit(registration)
    with pytest.raises(ServiceError) as refused:
        registration("someone", "unit_contact", "get_unit").get_unit(unit_id=unit_id)   # not their unit
    assert refused.value.code == "forbidden"
    log = registration("auditor-1", "auditor", "access_log").access_log(subject_id=unit_id)
    assert log["total"] == 0


def test_the_access_log_is_for_auditors_and_needs_a_filter(registration):
    with pytest.raises(ServiceError) as refused:
        registration("officer-7", "officer", "access_log").access_log(actor_id="officer-7")
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as refused:
        registration("auditor-1", "auditor", "access_log").access_log()
    assert refused.value.code == "validation_error" and "case_id" in refused.value.fields


def test_an_auditor_reads_a_streams_events_with_their_envelopes(registration):
    unit_id = registered_unit(registration)
    registration("officer-1", "officer", "audit_unit").audit_unit(command_id="cmd-access-2", unit_id=unit_id,
                                                                  outcome="approve", reason="材料齐全")
    while registration.store.projections.step():
        pass
    auditor = registration("auditor-1", "auditor", "stream_events")
    page = auditor.stream_events(stream_id=unit_id)
    assert [e["type"] for e in page["events"]] == ["registration.unit.Registered", "registration.unit.Approved"]
    assert page["next_after"] is None
    first, second = page["events"]
    assert first["position"] < second["position"] and first["signature"] and second["actor"]["actor_id"] == "officer-1"
    one = auditor.stream_events(stream_id=unit_id, limit=1)
    assert [e["position"] for e in one["events"]] == [first["position"]] and one["next_after"] == first["position"]
    rest = auditor.stream_events(stream_id=unit_id, after=one["next_after"])
    assert [e["position"] for e in rest["events"]] == [second["position"]]
    # the read itself is in the access log
    log = registration("auditor-2", "auditor", "access_log").access_log(actor_id="auditor-1")
    assert {(e["entrypoint"], e["subject_id"]) for e in log["items"]} == {("stream_events", unit_id)}


def test_only_an_auditor_reads_a_streams_events(registration):
    unit_id = registered_unit(registration)
    with pytest.raises(ServiceError) as refused:
        registration("officer-1", "officer", "stream_events").stream_events(stream_id=unit_id)
    assert refused.value.code == "forbidden"
