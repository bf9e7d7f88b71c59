"""Who listens to whom: the topology must match what each service's inbox handles."""
import pytest

from shared.contracts.events import PAYLOADS
from shared.messaging.topology import (FOLLOWS, RETRY_DELAYS_MS, inbox_name, inbox_queue, retry_queue_name,
                                       retry_queues)

from services.application.app import ApplicationApplication
from services.funding.app import FundingApplication
from services.registration.app import RegistrationApplication
from services.review.app import ReviewApplication

APPS = [RegistrationApplication, ApplicationApplication, ReviewApplication, FundingApplication]


@pytest.fixture
def handled(make_app) -> dict[str, set[str]]:
    return {cls.name: set(make_app(cls).inbound_handlers()) for cls in APPS}


def test_every_service_has_a_place_in_the_topology():
    assert set(FOLLOWS) == {cls.name for cls in APPS}


def test_every_handled_type_has_a_contract(handled):
    catalogue = {event_type for event_type, _ in PAYLOADS}
    for service, types in handled.items():
        assert types <= catalogue, service


def test_a_service_follows_exactly_the_sources_it_handles(handled):
    """A handler for a source not followed would never be called; a followed source with no
    handler only fills the inbox with ignored events."""
    for service, types in handled.items():
        assert {event_type.split(".")[0] for event_type in types} == set(FOLLOWS[service]), service


def test_no_service_follows_itself():
    assert all(service not in sources for service, sources in FOLLOWS.items())


def test_an_inbox_is_bound_to_every_source_it_follows():
    queue = inbox_queue("application")
    assert queue.name == inbox_name("application") == "application.inbox"
    assert queue.durable
    assert {b.exchange.name for b in queue.bindings} == {f"{s}.events" for s in FOLLOWS["application"]}


@pytest.mark.parametrize("attempt, delay", [(0, 500), (1, 500), (2, 2_000), (3, 8_000), (50, 8_000)])
def test_retries_back_off_in_tiers(attempt, delay):
    assert retry_queue_name("review", attempt) == f"review.inbox.retry.{delay}ms"


def test_retry_queues_dead_letter_back_into_the_inbox():
    queues = retry_queues("funding")
    assert [q.name for q in queues] == [retry_queue_name("funding", n) for n in range(1, len(RETRY_DELAYS_MS) + 1)]
    for queue, delay in zip(queues, RETRY_DELAYS_MS):
        assert queue.queue_arguments == {"x-message-ttl": delay, "x-dead-letter-exchange": "",
                                         "x-dead-letter-routing-key": "funding.inbox"}
