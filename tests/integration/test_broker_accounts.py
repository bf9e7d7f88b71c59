"""Least-privilege broker accounts, tried against the real broker and running services.

The four services run as their own RabbitMQ accounts on a throwaway vhost provisioned the
production way (shared/messaging/accounts.py); callers use the portal's account. What an
account may not do, the broker refuses (ACCESS_REFUSED closes the channel): nothing here
relies on a service noticing.
"""
from __future__ import annotations

import json
import uuid

import amqp
import pytest
from amqp.exceptions import AccessRefused, NotFound
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from shared.messaging.accounts import FUNDING_OFFICE_QUEUE, Management, provision
from shared.messaging.publisher import Publisher
from shared.messaging.topology import RETRY_DELAYS_MS, inbox_name, legacy_retry_queue_names, retry_queue_name
from tests.support.broker import throwaway_accounts
from tests.support.cluster import RABBIT_API, RABBIT_AUTH, SERVICES, Vhost, eventually, running_cluster
from tests.support.flows import register_unit, walk_case

EVENTS_EXCHANGES = [f"{service}.events" for service in SERVICES]
FORGED = {"type": "review.case_review.AwardDecided", "schema_version": 2, "payload": {"award_fen": 200_000_000}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("accounts"), accounts=True) as running:
        yield running


def refused(uri: str, action) -> AccessRefused:
    """Run `action(channel)` as the account in `uri`; the broker must refuse it. A publish is
    asynchronous: a synchronous round trip afterwards brings the refusal back."""
    with Connection(uri) as connection:
        channel = connection.channel()
        with pytest.raises(AccessRefused) as refusal:
            action(channel)
            channel.basic_qos(0, 1, False)
        return refusal.value


def allowed(uri: str, action):
    with Connection(uri) as connection:
        channel = connection.channel()
        result = action(channel)
        channel.basic_qos(0, 1, False)
        return result


def message(body: dict) -> amqp.Message:
    return amqp.Message(json.dumps(body), content_type="application/json", delivery_mode=2)


def reply_queue() -> str:
    return f"rpc.reply-standalone_rpc_proxy-{uuid.uuid4()}"


# -- the portal ---------------------------------------------------------------------------------
@pytest.mark.parametrize("exchange", EVENTS_EXCHANGES)
def test_a_portal_cannot_publish_to_any_events_exchange(cluster, exchange):
    portal = cluster.accounts.uri("portal")
    refusal = refused(portal, lambda ch: ch.basic_publish(message(FORGED), exchange, FORGED["type"]))
    assert "ACCESS_REFUSED" in str(refusal) and exchange in str(refusal)

    def with_confirm_and_mandatory(channel):
        channel.confirm_select()
        channel.basic_publish(message(FORGED), exchange, FORGED["type"], mandatory=True)
    refused(portal, with_confirm_and_mandatory)


def test_a_portal_cannot_push_into_a_queue_through_the_default_exchange(cluster):
    for queue in (inbox_name("funding"), "rpc-funding"):
        refusal = refused(cluster.accounts.uri("portal"), lambda ch: ch.basic_publish(message(FORGED), "", queue))
        assert "amq.default" in str(refusal)


def test_a_portal_binding_everything_on_the_rpc_exchange_is_refused_and_hears_no_other_caller(cluster):
    portal = cluster.accounts.uri("portal")
    spy = reply_queue()
    own_key = str(uuid.uuid4())
    with Connection(portal) as connection:
        channel = connection.channel()
        channel.queue_declare(spy, auto_delete=False, arguments={"x-expires": 60_000})
        channel.queue_bind(spy, "nameko-rpc", own_key)          # its own reply key: allowed
        for key in ("#", "*", "registration.*", "registration.health"):   # others' replies, others' requests
            with pytest.raises(AccessRefused):
                connection.channel().queue_bind(spy, "nameko-rpc", key)
        with pytest.raises(AccessRefused):                       # nor read a service's request queue
            connection.channel().basic_get("rpc-registration")

        with cluster.rpc() as rpc:                               # another caller's call and its reply
            assert rpc.registration.health()["service"] == "registration"
        assert channel.basic_get(spy) is None                    # nothing of it reached the spy


def test_a_portal_makes_rpc_calls_and_writes_through_them(cluster):
    for service in SERVICES:
        assert cluster.health(service)["service"] == service
    registered = register_unit(cluster)
    assert registered["unit_id"] and registered["version"] == 1


def test_nameko_s_stock_proxy_would_need_to_configure_the_rpc_exchange(cluster):
    """nameko's ClusterRpcProxy declares the RPC exchange, which takes the right to configure
    (and so delete) it; the portal has no such right. shared.client's proxy (the same proxy, its
    reply queue bound without declaring the exchange) is the one portals use."""
    config = {"AMQP_URI": cluster.accounts.uri("portal"), "serializer": "json"}
    with pytest.raises(AccessRefused, match="nameko-rpc"):
        with ClusterRpcProxy(config, timeout=5) as rpc:
            rpc.registration.health()


def test_a_portal_may_create_no_other_queue(cluster):
    refused(cluster.accounts.uri("portal"), lambda ch: ch.queue_declare("portal.stash", auto_delete=False))


# -- the services ---------------------------------------------------------------------------------
@pytest.mark.parametrize("service", SERVICES)
def test_a_service_cannot_publish_to_another_service_s_events_exchange(cluster, service):
    uri = cluster.accounts.uri(service)
    for exchange in EVENTS_EXCHANGES:
        if exchange != f"{service}.events":
            refused(uri, lambda ch: ch.basic_publish(message(FORGED), exchange, FORGED["type"]))
    refused(uri, lambda ch: ch.basic_publish(message(FORGED), "", inbox_name("funding")))   # nor the default one
    allowed(uri, lambda ch: ch.exchange_declare(f"{service}.events", "topic", passive=True))


def test_a_service_cannot_read_another_service_s_queues_nor_hijack_requests(cluster):
    review = cluster.accounts.uri("review")
    refused(review, lambda ch: ch.basic_get(inbox_name("funding")))
    refused(review, lambda ch: ch.basic_get("rpc-funding"))
    refused(review, lambda ch: ch.queue_bind("rpc-review", "nameko-rpc", "funding.*"))
    refused(review, lambda ch: ch.queue_bind(inbox_name("review"), "funding.events", "#"))  # no follower of funding
    # replies are all a service may publish on the RPC exchange: not a request in a portal's name
    refused(review, lambda ch: ch.basic_publish(message({}), "nameko-rpc", "funding.report_payment"))


def test_the_whole_case_flows_with_every_service_on_its_own_account(cluster):
    """The cluster runs as registration, application, review and funding: events cross all four
    services, and the funding office's queue receives the disbursement."""
    case_id = walk_case(cluster)
    office = cluster.accounts.uri("funding-office")

    def disbursement_for_the_case():
        with Connection(office) as connection:
            channel = connection.channel()
            while (got := channel.basic_get(FUNDING_OFFICE_QUEUE, no_ack=True)) is not None:
                text = got.body.decode() if isinstance(got.body, bytes) else got.body
                if case_id in text and "DisbursementScheduled" in text:
                    return json.loads(text)
    assert eventually(disbursement_for_the_case, timeout=30)


# -- the funding office -------------------------------------------------------------------------
def test_the_funding_office_can_only_read_its_own_queue(cluster):
    office = cluster.accounts.uri("funding-office")
    allowed(office, lambda ch: ch.queue_declare(FUNDING_OFFICE_QUEUE, durable=True, auto_delete=False, passive=True))
    allowed(office, lambda ch: ch.queue_bind(FUNDING_OFFICE_QUEUE, "funding.events", "funding.case_funding.#"))
    refused(office, lambda ch: ch.basic_publish(message(FORGED), "funding.events", "funding.case_funding.X"))
    refused(office, lambda ch: ch.basic_publish(message(FORGED), "review.events", FORGED["type"]))
    refused(office, lambda ch: ch.queue_bind(FUNDING_OFFICE_QUEUE, "review.events", "#"))
    refused(office, lambda ch: ch.basic_get(inbox_name("application")))
    refused(office, lambda ch: ch.queue_declare("funding-office.elsewhere", auto_delete=False))


# -- retries through the retry exchange, under the service's own account ------------------------------
def test_retries_and_replays_go_through_the_service_s_retry_exchange(tmp_path):
    """No services running: the application's own publisher (its account) sends one event to a
    retry queue and one straight back to the inbox, as `_retry` and `replay_parked` do; the first
    comes back through the retry exchange when its delay expires."""
    vhost = Vhost().create()
    try:
        with throwaway_accounts(vhost) as accounts:
            uri = accounts.uri("application")
            publisher = Publisher(uri, "application")
            try:
                publisher.declare_topology()   # its own part, on the provisioned topology
                publisher.publish_retry(retry_queue_name("application", 1), {"n": "retried"}, headers={"a": 1})
                publisher.publish_retry(inbox_name("application"), {"n": "replayed"}, headers={})
            finally:
                publisher.close()
            seen = []

            def both_arrived():
                with Connection(uri) as connection:
                    channel = connection.channel()
                    while (got := channel.basic_get(inbox_name("application"), no_ack=True)) is not None:
                        seen.append(json.loads(got.body)["n"])
                return sorted(seen) == ["replayed", "retried"]
            assert eventually(both_arrived, timeout=15)
    finally:
        vhost.delete()


def test_provisioning_keeps_an_old_retry_queue_until_it_has_drained_into_the_inbox():
    """The retry queues of before dead-lettered through the default exchange and cannot be
    redeclared: provisioning deletes each one only once the broker says it is empty."""
    vhost = Vhost().create()
    old = legacy_retry_queue_names("application")
    try:
        with Connection(vhost.amqp_uri) as connection:    # the old topology, as guest left it
            channel = connection.channel()
            for name, delay in zip(old, RETRY_DELAYS_MS):
                channel.queue_declare(name, durable=True, auto_delete=False, arguments={
                    "x-message-ttl": delay, "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": inbox_name("application")})
            channel.basic_publish(message({"n": "waiting"}), "", old[-1])   # 8 s to go
            channel.basic_qos(0, 1, False)
        with throwaway_accounts(vhost) as accounts:
            api = Management(RABBIT_API, *RABBIT_AUTH)
            passwords = accounts.passwords
            assert provision(api, vhost.name, passwords, accounts.prefix) == [old[-1]]
            uri = accounts.uri("application")

            def drained_into_the_inbox():
                with Connection(uri) as connection:
                    got = connection.channel().basic_get(inbox_name("application"), no_ack=True)
                    return got is not None and json.loads(got.body) == {"n": "waiting"}
            assert eventually(drained_into_the_inbox, timeout=20)
            assert provision(api, vhost.name, passwords, accounts.prefix) == []
            with Connection(vhost.amqp_uri) as connection:
                for name in old:
                    with pytest.raises(NotFound):
                        connection.channel().queue_declare(name, passive=True)
    finally:
        vhost.delete()
