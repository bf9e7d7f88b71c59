"""The endpoint layer on a real store, without a container or a broker: nameko's
worker_factory builds the service with our own dependencies injected."""
from uuid import UUID

import pytest
from nameko.testing.services import worker_factory

from services.registration.app import RegistrationApplication
from services.registration.commands import RegisterUnit
from services.registration.service import RegistrationService
from shared.errors import ServiceError
from shared.identity import Identity, verify_token
from services import samples
from tests.service.conftest import token, trusted

UNIT = dict(name="北京昌平服务测试有限公司", credit_code="91110114MA01SERV01", unit_type="university",
            industry="technology_services", registered_in_changping=True,
            contact={"name": "李四", "phone": "13900000000", "id_number": "110101198001011234"},
            materials=[samples.document("business_licence"), samples.document("contact_id")])   # no tax certificate


class FakeRequest:
    """Stands in for the Request dependency: the token and correlation a call would carry."""

    def __init__(self, token=None, entrypoint="register_unit"):
        self.token, self.entrypoint, self.correlation_id = token, entrypoint, "corr-1"

    def identity(self) -> Identity:
        return verify_token(self.token, trusted())


@pytest.fixture
def registration(store_for):
    store = store_for("registration", RegistrationApplication)

    def service(actor="contact-1", role="unit_contact", entrypoint="register_unit"):
        return worker_factory(RegistrationService, store=store,
                              request=FakeRequest(token(actor, role), entrypoint))
    service.store = store
    return service


def test_a_write_records_the_event_with_actor_and_correlation(registration):
    result = registration().register_unit(command_id="cmd-00000001", **UNIT)
    events = list(registration.store.app.events.get(UUID(result["unit_id"])))
    assert [type(e).__name__ for e in events] == ["Registered"]
    assert events[0].meta["actor"]["actor_id"] == "contact-1"
    assert events[0].meta["correlation_id"] == "corr-1"
    assert events[0].meta["command_id"] == "cmd-00000001"
    assert result["position"] == registration.store.app.position()


def test_the_personal_data_stays_in_the_store_and_out_of_the_integration_event(registration):
    from shared.messaging.translate import envelopes_after

    registration().register_unit(command_id="cmd-00000002", **UNIT)
    (envelope,), _ = envelopes_after("registration", registration.store.app, 0, 10)
    assert envelope["type"] == "registration.unit.Registered"
    assert "contact" not in envelope["payload"] and "110101198001011234" not in str(envelope)


def test_an_unexpected_failure_becomes_an_internal_error_without_a_traceback(registration, monkeypatch):
    service = registration()
    monkeypatch.setitem(RegistrationApplication.command_handlers, RegisterUnit, lambda app, command, uow: 1 / 0)
    with pytest.raises(ServiceError) as caught:
        service.register_unit(command_id="cmd-00000003", **UNIT)
    assert caught.value.code == "internal_error" and "corr-1" in caught.value.message
    assert "ZeroDivisionError" not in str(caught.value)


def test_a_read_waits_for_the_position_a_write_returned(registration):
    written = registration().register_unit(command_id="cmd-00000004", **UNIT)
    runner = registration.store.projections
    assert runner.position < written["position"]       # no follower runs here: the wait must catch up
    runner.follower.wake = runner.step                 # what the running follower does when woken
    officer = registration("officer-1", "officer", "get_unit")
    unit = officer.get_unit(unit_id=written["unit_id"], min_position=written["position"])
    assert unit["status"] == "pending"
