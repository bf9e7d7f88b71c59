"""Who listens to whom: the topology must match what each service's inbox handles."""
import pytest

from shared.contracts.events import PAYLOADS
from shared.messaging.topology import (FOLLOWS, RETRY_DELAYS_MS, inbox_name, inbox_queue, legacy_retry_queue_names,
                                       retry_exchange, retry_queue_name, retry_queues)

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


def test_an_inbox_is_bound_to_every_source_it_follows_and_to_its_retry_exchange():
    queue = inbox_queue("application")
    assert queue.name == inbox_name("application") == "application.inbox"
    assert queue.durable
    sources = {b.exchange.name: b for b in queue.bindings}
    assert set(sources) == {f"{s}.events" for s in FOLLOWS["application"]} | {"application.retry"}
    # the sources' exchanges belong to other services: bound to, never created (a service's
    # account may not configure them)
    assert all(sources[f"{s}.events"].exchange.passive for s in FOLLOWS["application"])
    assert sources["application.retry"].routing_key == "application.inbox"
    assert retry_exchange("application").type == "direct"


@pytest.mark.parametrize("attempt, delay", [(0, 500), (1, 500), (2, 2_000), (3, 8_000), (50, 8_000)])
def test_retries_back_off_in_tiers(attempt, delay):
    assert retry_queue_name("review", attempt) == f"review.retry.{delay}ms"


def test_retry_queues_dead_letter_back_into_the_inbox_through_the_retry_exchange():
    """Never through the default exchange: an account that may write there can fill any queue."""
    queues = retry_queues("funding")
    assert [q.name for q in queues] == [retry_queue_name("funding", n) for n in range(1, len(RETRY_DELAYS_MS) + 1)]
    for queue, delay in zip(queues, RETRY_DELAYS_MS):
        assert queue.exchange.name == "funding.retry" and queue.routing_key == queue.name
        assert queue.queue_arguments == {"x-message-ttl": delay, "x-dead-letter-exchange": "funding.retry",
                                         "x-dead-letter-routing-key": "funding.inbox"}


def test_new_retry_queues_do_not_reuse_the_old_names():
    """RabbitMQ refuses to redeclare a durable queue with other arguments: the old queues
    (dead-lettering through the default exchange) drain and are deleted by provisioning."""
    for service in FOLLOWS:
        assert not {q.name for q in retry_queues(service)} & set(legacy_retry_queue_names(service))
