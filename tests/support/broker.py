"""Least-privilege broker accounts on a test's throwaway vhost.

    with throwaway_accounts(vhost) as accounts:
        accounts.uri("portal")          # pyamqp://t1a2b3c4-portal:…@127.0.0.1:5672/ct_…

The accounts are the production ones (shared/messaging/accounts.py), provisioned the production
way (definitions through the management API, the whole topology included), under user names
unique to this run, and deleted afterwards. Guest, an administrator on the loopback interface,
only creates the vhost and provisions it.
"""
from __future__ import annotations

import secrets
import uuid
from contextlib import contextmanager

from shared.messaging.accounts import ACCOUNTS, Management, accounts, amqp_uri, provision
from tests.support.cluster import RABBIT_API, RABBIT_AUTH, Vhost


class BrokerAccounts:
    def __init__(self, vhost: Vhost, prefix: str, passwords: dict[str, str]):
        self.vhost, self.prefix, self.passwords = vhost, prefix, passwords

    def user(self, name: str) -> str:
        return self.prefix + name

    def uri(self, name: str) -> str:
        return amqp_uri(self.user(name), self.passwords[name], self.vhost.name)


@contextmanager
def throwaway_accounts(vhost: Vhost):
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    passwords = {name: secrets.token_hex(16) for name in ACCOUNTS}
    api = Management(RABBIT_API, *RABBIT_AUTH)
    try:
        provision(api, vhost.name, passwords, prefix)
        yield BrokerAccounts(vhost, prefix, passwords)
    finally:
        for account in accounts(prefix):
            api.delete_user(account.user)
