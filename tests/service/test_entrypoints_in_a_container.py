"""One service in a real nameko container on a throwaway RabbitMQ vhost, called through
its entrypoints with entrypoint_hook, the token travelling in the context data."""
import pytest
from nameko.testing.services import entrypoint_hook

from services.registration.service import RegistrationService
from shared.errors import ServiceError
from tests.service.conftest import service_config, token
from tests.service.test_endpoints_with_worker_factory import UNIT


@pytest.fixture
def container(container_factory, rabbit_config, tmp_path):
    container = container_factory(RegistrationService, service_config(tmp_path, rabbit_config["AMQP_URI"]))
    container.start()
    return container


def call(container, entrypoint, token=None, **payload):
    context = {"authorization": token} if token else {}
    with entrypoint_hook(container, entrypoint, context_data=context) as hook:
        return hook(**payload)


def test_health_needs_no_token_and_names_the_store(container, tmp_path):
    health = call(container, "health")
    assert health["service"] == "registration"
    assert health["store"] == {"kind": "sqlite", "path": str(tmp_path / "registration.sqlite"),
                               "journal_mode": "WAL", "synchronous": "FULL",
                               "views_synchronous": "NORMAL"}


def test_register_then_audit_through_the_entrypoints(container):
    contact = token("contact-1", "unit_contact")
    officer = token("officer-1", "officer")
    unit = call(container, "register_unit", contact, command_id="cmd-10000001", **UNIT)
    audited = call(container, "audit_unit", officer, command_id="cmd-10000002", unit_id=unit["unit_id"],
                   outcome="approve", reason="ok")
    assert audited["status"] == "approved" and audited["version"] == 2
    seen = call(container, "get_unit", officer, unit_id=unit["unit_id"], min_position=audited["position"])
    assert seen["status"] == "approved" and seen["audited_by"] == "officer-1"


def test_a_unit_contact_cannot_audit(container):
    contact = token("contact-1", "unit_contact")
    with pytest.raises(ServiceError) as caught:
        call(container, "audit_unit", contact, command_id="cmd-10000003",
             unit_id="00000000-0000-4000-8000-000000000000", outcome="approve", reason="ok")
    assert caught.value.code == "forbidden"
