"""A write that depends on another service's events may say so (`after`): it waits a bounded time for
them and is then handled, or refused `not_yet_visible` naming what it still waits for — never with the
rule that would refuse it for good (issue: "not yet" is not "no"). Real store, nameko's worker_factory."""
import threading
import uuid

import pytest

import shared.platform.store as store_module
from shared.messaging.inbox import Outcome
from shared.errors import ServiceError
from tests.service.test_funding_b_service import COMPANY, EXPERT, funding, placement_event  # noqa: F401

TERM = {"unit_id": COMPANY, "expert_id": EXPERT, "kind": "social_science_humanities",
        "project_funds_fen": 25_000_000, "policy_edition": "vice-president-2.0"}


def filed(store) -> str:
    """A placement funding has seen filed (sequence 1 of application's stream) but not yet appointed."""
    case_id = uuid.uuid4()
    assert store.inbox.accept(placement_event(case_id, "ProjectFiled", {**TERM, "cooperation_id": str(uuid.uuid4()),
                                                                         "title": "课题"}, 1)) == Outcome.APPLIED
    return str(case_id)


def appointed(case_id: str):
    return placement_event(uuid.UUID(case_id), "Appointed", {**TERM, "post_title": "科技副总", "starts_on": "2025-03-15",
                                                             "ends_on": "2027-03-15"}, 2)


def grant(funding, case_id, command_id, **extra):   # noqa: F811
    return funding("wg-1", "decision_maker", "grant_breakthrough_subsidy").grant_breakthrough_subsidy(
        command_id=command_id, case_id=case_id, investment_fen=1_000_000_000, reason="量产突破", **extra)


def refusal(*args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        grant(*args, **kwargs)
    return caught.value


def after(case_id, version=2, service="application"):
    return [{"service": service, "stream_id": case_id, "version": version}]


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(store_module, "DEPENDENCY_TIMEOUT", 0.3)


def test_without_after_the_missing_appointment_reads_as_a_no(funding):  # noqa: F811
    case_id = filed(funding.store)
    error = refusal(funding, case_id, "cmd-w0000001")
    assert (error.code, error.rule) == ("rule_violation", "funding.appointment.required")


def test_with_after_a_missing_appointment_is_not_yet_visible_and_names_what_it_waits_for(funding, quick):  # noqa: F811
    case_id = filed(funding.store)
    before = funding.store.app.position()
    error = refusal(funding, case_id, "cmd-w0000002", after=after(case_id))
    assert (error.code, error.rule) == ("not_yet_visible", "after")
    assert case_id in error.fields["after"]["0"][0] and "version 2" in error.fields["after"]["0"][0]
    assert "up to version 1" in error.fields["after"]["0"][0]
    assert funding.store.app.position() == before          # nothing recorded, not even a receipt


def test_a_write_waits_for_the_event_it_names_and_then_succeeds(funding):  # noqa: F811
    case_id = filed(funding.store)
    delivery = threading.Timer(0.3, lambda: funding.store.inbox.accept(appointed(case_id)))
    delivery.start()
    try:
        granted = grant(funding, case_id, "cmd-w0000003", after=after(case_id))
    finally:
        delivery.join()
    assert granted["amount_fen"] > 0 and funding.store.applied_version("application", case_id) == 2


def test_once_the_named_events_are_applied_a_rule_refusal_is_a_real_no(funding, quick):  # noqa: F811
    case_id = filed(funding.store)
    error = refusal(funding, case_id, "cmd-w0000004", after=after(case_id, version=1))
    assert (error.code, error.rule) == ("rule_violation", "funding.appointment.required")


def test_after_names_only_services_this_one_follows_and_is_validated(funding):  # noqa: F811
    case_id = filed(funding.store)
    error = refusal(funding, case_id, "cmd-w0000005", after=after(case_id, service="registration"))
    assert error.code == "validation_error" and "does not follow registration" in str(error.fields["after"])
    error = refusal(funding, case_id, "cmd-w0000006", after=[{"service": "application", "stream_id": case_id}])
    assert error.code == "validation_error" and "after" in error.fields


def test_a_retry_with_another_after_is_the_same_command(funding):  # noqa: F811
    case_id = filed(funding.store)
    assert funding.store.inbox.accept(appointed(case_id)) == Outcome.APPLIED
    first = grant(funding, case_id, "cmd-w0000007", after=after(case_id))
    again = grant(funding, case_id, "cmd-w0000007")
    assert again["replayed"] and again["idempotency_key"] == first["idempotency_key"]
