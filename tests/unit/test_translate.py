"""From stored notifications to integration envelopes, and the outbox relay that sends them."""
import json
import uuid

import pytest

from shared import policy
from shared.contracts.envelope import event_id_for, load_envelope
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.messaging.relay import POSITION_NAME, Relay
from shared.messaging.translate import aggregate_class_of, envelopes_after, to_envelope

from services.application.app import ApplicationApplication
from services.application.domain import Case, UnitStanding
from services.funding.app import FundingApplication
from services.funding.domain import CaseFunding
from services.registration.app import RegistrationApplication
from services.registration import commands as registering
from tests.unit.unit_helpers import CONTACT, START, meta_for, unit_details


SYSTEM = meta_for("system:test", "system")


@pytest.fixture
def registration(make_app):
    return make_app(RegistrationApplication)


def register(app, n=1, command_id=None):
    details = unit_details(f"91110114MA{n:08d}")
    meta = meta_for("contact-1", "unit_contact", command_id=command_id)
    return uuid.UUID(app.handle(registering.RegisterUnit(**details), meta).result["unit_id"])


def notifications(app):
    return app.recorder.select_notifications(start=1, limit=1000)


def test_a_registration_event_becomes_a_valid_envelope(registration):
    unit_id = register(registration, command_id="cmd-00000001")
    first = notifications(registration)[0]
    body = to_envelope("registration", registration, first)
    loaded = load_envelope(json.loads(json.dumps(body)))     # what a consumer receives
    assert loaded["type"] == "registration.unit.Registered"
    assert (loaded["stream_id"], loaded["sequence"], loaded["position"]) == (unit_id, 1, first.id)
    assert loaded["case_id"] is None
    assert loaded["occurred_at"] == START
    assert loaded["actor"] == {"actor_id": "contact-1", "role": "unit_contact", "unit_id": None}
    assert loaded["command_id"] == "cmd-00000001"
    assert loaded["payload"]["credit_code"] == "91110114MA00000001"


def test_the_envelope_leaves_personal_data_behind(registration):
    register(registration)
    body = to_envelope("registration", registration, notifications(registration)[0])
    text = json.dumps(body, ensure_ascii=False)
    for secret in (CONTACT["phone"], CONTACT["id_number"], CONTACT["name"]):
        assert secret not in text
    assert "contact" not in body["payload"]


def test_the_event_id_is_derived_from_source_stream_and_sequence(registration):
    unit_id = register(registration)
    notification = notifications(registration)[0]
    first = to_envelope("registration", registration, notification)
    again = to_envelope("registration", registration, notification)
    assert first["event_id"] == again["event_id"] == str(event_id_for("registration", unit_id, 1))


def test_each_event_of_a_stream_gets_its_own_id_and_sequence(registration):
    unit_id = register(registration)
    registration.handle(registering.AuditUnit(unit_id=unit_id, outcome="approve", reason="ok"), meta_for())
    envelopes, _ = envelopes_after("registration", registration, 0, 100)
    assert [e["sequence"] for e in envelopes] == [1, 2]
    assert [e["type"] for e in envelopes] == ["registration.unit.Registered", "registration.unit.Approved"]
    assert len({e["event_id"] for e in envelopes}) == 2


def test_command_receipts_never_leave_the_service(registration):
    register(registration, command_id="cmd-00000001")
    receipt = notifications(registration)[1]
    assert "CommandReceipt" in receipt.topic
    assert to_envelope("registration", registration, receipt) is None


def test_unit_standings_never_leave_the_application_service(make_app):
    application = make_app(ApplicationApplication)
    standing = UnitStanding(id=uuid.uuid4(), name="昌平公司", unit_type="enterprise")
    application.record(SYSTEM, standing)
    assert to_envelope("application", application, notifications(application)[0]) is None


def test_case_events_carry_their_case_id(make_app):
    application = make_app(ApplicationApplication)
    unit = UnitStanding(id=uuid.uuid4(), name="昌平公司", unit_type="enterprise")
    unit.approved(source={"service": "registration", "event_id": uuid.uuid4(), "position": 2, "sequence": 2,
                          "type": "registration.unit.Approved", "occurred_at": START})
    case = Case.file(unit, "A", "杰出人才申报", policy.current("A"), START.date())
    application.record(SYSTEM, unit, case)
    envelopes, _ = envelopes_after("application", application, 0, 100)
    assert [e["type"] for e in envelopes] == ["application.case.Filed", "application.case.RegistrationReferenced"]
    assert {e["case_id"] for e in envelopes} == {str(case.id)}
    for body in envelopes:
        load_envelope(json.loads(json.dumps(body)))


def test_business_dates_are_published_as_iso_dates(make_app):
    funding = make_app(FundingApplication)
    case = CaseFunding(id=uuid.uuid4(), programme="A")
    case.schedule_award(100, START.date(), "A.award.cap", "changju-2024")
    funding.record(SYSTEM, case)
    envelopes, _ = envelopes_after("funding", funding, 0, 100)
    assert envelopes[-1]["payload"]["due_on"] == START.date().isoformat()
    assert load_envelope(json.loads(json.dumps(envelopes[-1])))["payload"]["due_on"] == START.date()


def test_envelopes_after_pages_through_the_log(registration):
    units = [register(registration, n, command_id=f"cmd-0000000{n}") for n in range(5)]  # + 5 receipts
    seen, position, pages = [], 0, 0
    while True:
        page, last = envelopes_after("registration", registration, position, 3)
        if last == position:
            break
        seen += page
        position, pages = last, pages + 1
    assert pages == 4
    assert position == registration.position() == 10
    assert [e["stream_id"] for e in seen] == [str(u) for u in units]     # each once, in order
    assert [e["position"] for e in seen] == sorted(e["position"] for e in seen)


def test_envelopes_after_the_end_is_empty_and_keeps_the_position(registration):
    register(registration)
    assert envelopes_after("registration", registration, 1, 10) == ([], 1)


def test_aggregate_class_of_a_nested_event():
    assert aggregate_class_of(Case.Filed) is Case
    assert aggregate_class_of(UnitStanding.Approved) is UnitStanding


# -- the relay -------------------------------------------------------------------------------
@pytest.fixture
def views(tmp_path):
    store = ViewStore(StoreSettings(service="registration", data_dir=str(tmp_path)).view_store_env())
    yield store
    store.close()


class FakePublisher:
    def __init__(self, fail_after: int | None = None):
        self.sent: list[tuple[str, dict]] = []
        self.fail_after = fail_after

    def publish_events(self, source, envelopes):
        for envelope in envelopes:
            if self.fail_after is not None and len(self.sent) >= self.fail_after:
                raise ConnectionError("broker went away")   # mid-batch: nothing counts as sent
            self.sent.append((source, envelope))


def test_the_relay_publishes_published_streams_and_records_how_far_it_got(registration, views):
    register(registration, 1, command_id="cmd-00000001")
    register(registration, 2, command_id="cmd-00000002")
    publisher = FakePublisher()
    relay = Relay("registration", registration, views, publisher, batch_size=100)
    assert relay.step() == 4
    assert [env["type"] for _, env in publisher.sent] == ["registration.unit.Registered"] * 2
    assert relay.position == views.position(POSITION_NAME) == 4
    assert relay.step() == 0
    assert len(publisher.sent) == 2


def test_a_failed_publish_leaves_the_position_so_the_batch_is_sent_again(registration, views):
    register(registration, 1)
    register(registration, 2)
    relay = Relay("registration", registration, views, FakePublisher(fail_after=1), batch_size=100)
    with pytest.raises(ConnectionError):
        relay.step()
    assert relay.position == 0
    retry = FakePublisher()
    relay.publisher = retry
    relay.step()
    assert [env["sequence"] for _, env in retry.sent] == [1, 1]
    assert relay.position == 2


def test_the_relay_works_in_batches(registration, views):
    for n in range(5):
        register(registration, n)
    publisher = FakePublisher()
    relay = Relay("registration", registration, views, publisher, batch_size=2)
    assert [relay.step() for _ in range(4)] == [2, 2, 1, 0]
    assert [env["position"] for _, env in publisher.sent] == [1, 2, 3, 4, 5]
