"""The broker accounts as data: what each account's permission patterns let through, matched the
way RabbitMQ matches them (a regular expression searched in the resource's name or routing key).
tests/integration/test_broker_accounts.py checks that the broker really refuses."""
import base64
import hashlib
import re
import uuid

import pytest

from shared.messaging.accounts import (ACCOUNTS, FUNDING_OFFICE_QUEUE, SERVICES, accounts, amqp_uri, definitions,
                                       funding_office_account, password_variable, passwords_from, portal_account,
                                       service_account, topology_definitions)
from shared.messaging.topology import FOLLOWS, RPC_EXCHANGE, legacy_retry_queue_names, owned_queues, retry_queues


def lets(pattern: str, name: str) -> bool:
    return re.search(pattern, name) is not None


EVERY_EXCHANGE = [f"{s}.events" for s in SERVICES] + [f"{s}.retry" for s in SERVICES] + [
    RPC_EXCHANGE, "amq.default", "", "amq.topic"]
REPLY_KEY = str(uuid.uuid4())


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_writes_only_to_its_own_exchanges_and_the_rpc_exchange(service):
    account = service_account(service)
    writable = {e for e in EVERY_EXCHANGE if lets(account.write, e)}
    expected = {f"{service}.events", RPC_EXCHANGE} | ({f"{service}.retry"} if FOLLOWS[service] else set())
    assert writable == expected


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_only_its_own_queues(service):
    account = service_account(service)
    every_queue = [q.name for s in SERVICES for q in owned_queues(s)] + [f"rpc-{s}" for s in SERVICES] + [
        FUNDING_OFFICE_QUEUE, f"rpc.reply-standalone_rpc_proxy-{REPLY_KEY}"]
    own = {q.name for q in owned_queues(service)} | {f"rpc-{service}"}
    assert {q for q in every_queue if lets(account.read, q)} == own
    assert {q for q in every_queue if lets(account.configure, q)} == own
    # it binds from the exchanges of the services it follows, nothing else of theirs
    assert {e for e in EVERY_EXCHANGE if e.endswith(".events") and lets(account.read, e)} == {
        f"{s}.events" for s in FOLLOWS[service]}


@pytest.mark.parametrize("service", SERVICES)
def test_on_the_rpc_exchange_a_service_publishes_only_replies_and_binds_only_its_own_requests(service):
    topics = service_account(service).topics[RPC_EXCHANGE]
    assert lets(topics["write"], REPLY_KEY)
    for key in ("registration.health", "funding.report_payment", "#", REPLY_KEY + ".x", "x" + REPLY_KEY):
        assert not lets(topics["write"], key), key
    assert lets(topics["read"], f"{service}.*")       # nameko's binding of rpc-<service>
    for key in ("#", "*.*", f"{service}.#", "funding.*" if service != "funding" else "review.*", REPLY_KEY):
        assert not lets(topics["read"], key), key


def test_the_portal_makes_rpc_calls_and_nothing_else():
    account = portal_account()
    assert {e for e in EVERY_EXCHANGE if lets(account.write, e)} == {RPC_EXCHANGE}
    assert {e for e in EVERY_EXCHANGE if lets(account.read, e)} == {RPC_EXCHANGE}
    assert not any(lets(account.configure, e) for e in EVERY_EXCHANGE)   # not even declare (delete) the RPC one
    reply_queue = f"rpc.reply-standalone_rpc_proxy-{REPLY_KEY}"
    for pattern in (account.configure, account.write, account.read):
        assert lets(pattern, reply_queue)
        assert not lets(pattern, "rpc-registration") and not lets(pattern, "application.inbox")
        assert not lets(pattern, f"rpc.reply-standalone_rpc_proxy-{REPLY_KEY}x")
    topics = account.topics[RPC_EXCHANGE]
    for key in ("registration.register_unit", "funding.report_payment", "application.health"):
        assert lets(topics["write"], key), key
    for key in ("#", REPLY_KEY, "registration.*", "registration.#", "payments.pay", "registration.a.b"):
        assert not lets(topics["write"], key), key
    assert lets(topics["read"], REPLY_KEY)
    for key in ("#", "*", "registration.*", "registration.health", REPLY_KEY + ".#"):
        assert not lets(topics["read"], key), key


def test_the_funding_office_binds_and_reads_only_its_own_queue():
    account = funding_office_account()
    assert not any(lets(account.write, e) for e in EVERY_EXCHANGE)
    assert {e for e in EVERY_EXCHANGE if lets(account.read, e)} == {"funding.events"}
    for pattern in (account.configure, account.write, account.read):
        assert lets(pattern, FUNDING_OFFICE_QUEUE) and not lets(pattern, "funding.inbox")
    assert lets(account.topics["funding.events"]["read"], "funding.case_funding.#")
    assert not lets(account.topics["funding.events"]["write"], "funding.case_funding.DisbursementScheduled")


def test_nobody_may_write_to_the_default_exchange():
    for account in accounts():
        assert not lets(account.write, "amq.default") and not lets(account.write, ""), account.name


def test_test_accounts_differ_only_in_their_user_names():
    plain, prefixed = accounts(), accounts("t1234-")
    assert [a.user for a in prefixed] == [f"t1234-{a.name}" for a in plain]
    assert [(a.configure, a.write, a.read, a.topics) for a in plain] == [
        (a.configure, a.write, a.read, a.topics) for a in prefixed]


def test_definitions_hold_every_account_its_topic_permissions_and_the_whole_topology():
    passwords = {name: f"secret-{name}" for name in ACCOUNTS}
    body = definitions("/", passwords, admin=("admin", "admin-secret"))
    users = {u["name"]: u for u in body["users"]}
    assert set(users) == set(ACCOUNTS) | {"admin"}
    assert users["admin"]["tags"] == "administrator" and users["portal"]["tags"] == ""
    raw = base64.b64decode(users["portal"]["password_hash"])      # rabbit_password_hashing_sha256
    assert raw[4:] == hashlib.sha256(raw[:4] + b"secret-portal").digest()
    assert {(p["user"], p["exchange"]) for p in body["topic_permissions"]} == {
        *((s, RPC_EXCHANGE) for s in SERVICES), ("portal", RPC_EXCHANGE), ("funding-office", "funding.events")}
    queues = {q["name"]: q for q in body["queues"]}
    for service in SERVICES:
        for queue in retry_queues(service) if FOLLOWS[service] else []:
            assert queues[queue.name]["arguments"]["x-dead-letter-exchange"] == f"{service}.retry"
        assert not set(legacy_retry_queue_names(service)) & set(queues)
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in body["bindings"]}
    assert ("review.events", "funding.inbox", "#") in bindings
    assert ("funding.retry", "funding.inbox", "funding.inbox") in bindings
    assert ("funding.retry", "funding.retry.500ms", "funding.retry.500ms") in bindings
    assert ("funding.events", FUNDING_OFFICE_QUEUE, "funding.#") in bindings
    assert {e["name"] for e in topology_definitions("/")["exchanges"]} >= {RPC_EXCHANGE, "application.retry"}


def test_passwords_come_from_the_environment_then_the_secrets_file(tmp_path):
    secrets_file = tmp_path / ".env"
    secrets_file.write_text("# generated\n" + "".join(f"{password_variable(n)}=file-{n}\n" for n in ACCOUNTS))
    passwords = passwords_from({"BROKER_PASSWORD_PORTAL": "from-env"}, secrets_file)
    assert passwords["portal"] == "from-env" and passwords["funding-office"] == "file-funding-office"
    with pytest.raises(SystemExit, match="BROKER_PASSWORD_REGISTRATION"):
        passwords_from({}, tmp_path / "missing.env")


def test_uris_name_the_account_and_the_vhost():
    assert amqp_uri("review", "pw", "/") == "pyamqp://review:pw@127.0.0.1:5672/"
    assert amqp_uri("t1-review", "p/w", "ct_1") == "pyamqp://t1-review:p%2Fw@127.0.0.1:5672/ct_1"
