"""Least-privilege RabbitMQ accounts, as data, and the step that provisions them.

Who connects as whom (README, "Broker accounts"):

- one account per service (`registration`, `application`, `review`, `funding`): it may write
  only to its own `<service>.events` exchange, its own retry exchange, the RPC exchange and its
  own queues, and read (consume, or bind from) only its own queues, the RPC exchange and the
  events exchanges of the services it follows. On the RPC exchange, topic permissions let it
  publish only reply keys (nameko's are bare uuid4s) and bind only `<service>.*`, nameko's key
  for its own RPC queue. Services make no RPC calls to each other, so they need no more.
- `portal`, for the portal backends: it may create, bind and read only nameko's standalone reply
  queues (`rpc.reply-standalone_rpc_proxy-<uuid4>`), publish on the RPC exchange only
  `<service>.<method>` keys and bind only reply keys there. It can make RPC calls, nothing else:
  no events exchange, no default exchange, no `#` binding (the broker refuses all three).
- `funding-office`: may only bind its own queue `funding-office.disbursements` to `funding.events`
  (keys `funding.…`) and read it. It cannot publish anywhere.

Nobody may write to the default exchange (`amq.default`), so no account can push a message into
a queue it does not own. The provisioning step also declares the whole topology (topology.py),
since no service may create another's queues.

    python -m shared.messaging.accounts provision     # vhost, users, permissions, topology (management API)
    python -m shared.messaging.accounts definitions   # the same, as a RabbitMQ definitions file (compose)

Passwords come from the environment (`BROKER_PASSWORD_<ACCOUNT>`, e.g. BROKER_PASSWORD_FUNDING_OFFICE)
or from `.env` at the repository root, where `deploy/broker-secrets.sh` generates development ones
(git-ignored, never committed).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from shared.messaging.topology import (FOLLOWS, RPC_EXCHANGE, events_exchange, inbox_name, legacy_retry_queue_names,
                                       owned_queues, retry_exchange, retry_queues)

SERVICES = tuple(FOLLOWS)
PORTAL = "portal"
FUNDING_OFFICE = "funding-office"
ACCOUNTS = (*SERVICES, PORTAL, FUNDING_OFFICE)
FUNDING_OFFICE_QUEUE = "funding-office.disbursements"
FUNDING_OFFICE_BINDING = "funding.#"

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
REPLY_KEY = rf"^{UUID4}$"                                           # nameko's reply routing key
PORTAL_REPLY_QUEUE = rf"rpc\.reply-standalone_rpc_proxy-{UUID4}"    # nameko's standalone proxy's queue
NOTHING = "^$"

ROOT = Path(__file__).resolve().parents[2]
SECRETS_FILE = ROOT / ".env"   # compose reads it too; git-ignored


@dataclass(frozen=True)
class Account:
    name: str          # which account: a service, "portal" or "funding-office"
    user: str          # its RabbitMQ user (the name, with a prefix on test vhosts)
    configure: str
    write: str
    read: str
    topics: dict = field(default_factory=dict)   # exchange -> {"write": regex, "read": regex}


def _exactly(*names: str) -> str:
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


def service_account(service: str, prefix: str = "") -> Account:
    follows = FOLLOWS[service]
    queues = [f"rpc-{service}", *(queue.name for queue in owned_queues(service))]
    exchanges = [events_exchange(service).name, *([retry_exchange(service).name] if follows else [])]
    return Account(
        name=service, user=prefix + service,
        configure=_exactly(RPC_EXCHANGE, *exchanges, *queues),   # nameko declares the RPC exchange
        write=_exactly(RPC_EXCHANGE, *exchanges, *queues),       # a queue's write: to bind it
        read=_exactly(RPC_EXCHANGE, *queues, *exchanges[1:], *(events_exchange(s).name for s in follows)),
        topics={RPC_EXCHANGE: {"write": REPLY_KEY, "read": _exactly(f"{service}.*")}},
    )


def portal_account(prefix: str = "") -> Account:
    return Account(
        name=PORTAL, user=prefix + PORTAL,
        configure=f"^{PORTAL_REPLY_QUEUE}$",
        write=f"^({re.escape(RPC_EXCHANGE)}|{PORTAL_REPLY_QUEUE})$",
        read=f"^({re.escape(RPC_EXCHANGE)}|{PORTAL_REPLY_QUEUE})$",
        topics={RPC_EXCHANGE: {"write": "^(" + "|".join(SERVICES) + r")\.[a-z_][a-z0-9_]*$", "read": REPLY_KEY}},
    )


def funding_office_account(prefix: str = "") -> Account:
    source = events_exchange("funding").name
    return Account(
        name=FUNDING_OFFICE, user=prefix + FUNDING_OFFICE,
        configure=_exactly(FUNDING_OFFICE_QUEUE), write=_exactly(FUNDING_OFFICE_QUEUE),
        read=_exactly(source, FUNDING_OFFICE_QUEUE),
        topics={source: {"write": NOTHING, "read": r"^funding\."}},
    )


def accounts(prefix: str = "") -> list[Account]:
    return [*(service_account(s, prefix) for s in SERVICES), portal_account(prefix), funding_office_account(prefix)]


def password_variable(name: str) -> str:
    return "BROKER_PASSWORD_" + name.upper().replace("-", "_")


def amqp_uri(user: str, password: str, vhost: str = "/", host: str = "127.0.0.1", port: int = 5672) -> str:
    return f"pyamqp://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/" + (
        "" if vhost == "/" else quote(vhost, safe=""))


# -- definitions: users, permissions and topology in RabbitMQ's definitions format ---------------
def password_hash(password: str) -> str:
    """rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def topology_definitions(vhost: str) -> dict:
    exchanges = [events_exchange(s) for s in SERVICES] + [retry_exchange(s) for s in SERVICES if FOLLOWS[s]]
    queues, bindings = [], []
    for service in SERVICES:
        if not FOLLOWS[service]:
            continue
        for source in FOLLOWS[service]:
            bindings.append((events_exchange(source).name, inbox_name(service), "#"))
        bindings.append((retry_exchange(service).name, inbox_name(service), inbox_name(service)))
        queues.append((inbox_name(service), {}))
        for queue in retry_queues(service):
            queues.append((queue.name, dict(queue.queue_arguments)))
            bindings.append((retry_exchange(service).name, queue.name, queue.routing_key))
    queues.append((FUNDING_OFFICE_QUEUE, {}))
    bindings.append((events_exchange("funding").name, FUNDING_OFFICE_QUEUE, FUNDING_OFFICE_BINDING))
    return {
        "exchanges": [{"name": e.name, "vhost": vhost, "type": e.type, "durable": True, "auto_delete": False,
                       "internal": False, "arguments": {}} for e in exchanges]
        + [{"name": RPC_EXCHANGE, "vhost": vhost, "type": "topic", "durable": True, "auto_delete": False,
            "internal": False, "arguments": {}}],
        "queues": [{"name": name, "vhost": vhost, "durable": True, "auto_delete": False, "arguments": arguments}
                   for name, arguments in queues],
        "bindings": [{"source": source, "vhost": vhost, "destination": queue, "destination_type": "queue",
                      "routing_key": key, "arguments": {}} for source, queue, key in bindings],
    }


def definitions(vhost: str, passwords: dict[str, str], prefix: str = "",
                admin: tuple[str, str] | None = None) -> dict:
    """Everything for `vhost`: its accounts (passwords by account name), their permissions and
    topic permissions, and the whole topology. `admin` (user, password) adds an administrator:
    with definitions loaded at boot, RabbitMQ creates no guest user (compose)."""
    chosen = accounts(prefix)
    users = [{"name": a.user, "password_hash": password_hash(passwords[a.name]),
              "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ""} for a in chosen]
    permissions = [{"user": a.user, "vhost": vhost, "configure": a.configure, "write": a.write, "read": a.read}
                   for a in chosen]
    if admin:
        users.append({"name": admin[0], "password_hash": password_hash(admin[1]),
                      "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": "administrator"})
        permissions.append({"user": admin[0], "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"})
    return {
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": permissions,
        "topic_permissions": [{"user": a.user, "vhost": vhost, "exchange": exchange, **rights}
                              for a in chosen for exchange, rights in a.topics.items()],
        **topology_definitions(vhost),
    }


# -- the management API ------------------------------------------------------------------------
class Management:
    """The few calls of RabbitMQ's management HTTP API that provisioning needs (administrator)."""

    def __init__(self, url: str = "http://127.0.0.1:15672", user: str = "guest", password: str = "guest"):
        self.url = url.rstrip("/")
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def call(self, method: str, path: str, body: dict | None = None, ok_missing: bool = False):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": self._auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            if ok_missing and error.code == 404:
                return None
            raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None
        return json.loads(payload) if payload else None

    def import_definitions(self, body: dict) -> None:
        self.call("POST", "/api/definitions", body)

    def delete_user(self, user: str) -> None:
        self.call("DELETE", f"/api/users/{quote(user, safe='')}", ok_missing=True)

    def delete_queue_if_empty(self, vhost: str, queue: str) -> bool:
        """True once it is gone (or never was); False if it still holds messages (the broker keeps it:
        its statistics lag, so only its own if-empty check is trusted)."""
        try:
            self.call("DELETE", f"/api/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}?if-empty=true",
                      ok_missing=True)
        except RuntimeError as error:
            if "not empty" in str(error):
                return False
            raise
        return True


def provision(api: Management, vhost: str, passwords: dict[str, str], prefix: str = "") -> list[str]:
    """Create or update the vhost, the accounts and the topology (idempotent), and delete the
    retry queues of before the retry exchanges once they are empty. Returns those still draining."""
    api.import_definitions(definitions(vhost, passwords, prefix))
    return [name for service in SERVICES if FOLLOWS[service] for name in legacy_retry_queue_names(service)
            if not api.delete_queue_if_empty(vhost, name)]


# -- development secrets ------------------------------------------------------------------------
def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
    return values


def passwords_from(env: dict[str, str], path: Path | None = None) -> dict[str, str]:
    """Each account's password: from the environment, else from `path` (.env: deploy/broker-secrets.sh
    generates development ones there)."""
    stored = read_env_file(path) if path else {}
    passwords = {}
    for name in ACCOUNTS:
        variable = password_variable(name)
        passwords[name] = env.get(variable) or stored.get(variable) or ""
        if not passwords[name]:
            raise SystemExit(f"{variable} is not set (deploy/broker-secrets.sh generates development passwords)")
    return passwords


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.messaging.accounts", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("provision", "definitions"))
    parser.add_argument("--vhost", default=os.environ.get("BROKER_VHOST", "/"))
    parser.add_argument("--secrets", type=Path, default=SECRETS_FILE,
                        help="where development passwords are kept (default: .env at the repository root)")
    parser.add_argument("--out", type=Path, help="definitions: the file to write (default: stdout)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.action == "provision":
        api = Management(env.get("BROKER_ADMIN_API", "http://127.0.0.1:15672"),
                         env.get("BROKER_ADMIN_USER", "guest"), env.get("BROKER_ADMIN_PASSWORD", "guest"))
        draining = provision(api, args.vhost, passwords_from(env, args.secrets))
        print(f"broker accounts and topology ready on vhost {args.vhost!r}: {', '.join(ACCOUNTS)}")
        if draining:
            print("still draining (delete once empty, or run provision again): " + ", ".join(draining))
        return 0
    admin_password = env.get("BROKER_ADMIN_PASSWORD")
    if not admin_password:
        raise SystemExit("BROKER_ADMIN_PASSWORD is not set: the definitions define the broker's only administrator")
    body = definitions(args.vhost, passwords_from(env, args.secrets), admin=(env.get("BROKER_ADMIN_USER", "admin"), admin_password))
    text = json.dumps(body, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
