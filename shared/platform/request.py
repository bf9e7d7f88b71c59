"""`Request`: what a worker knows about the call it serves — the entrypoint, the
correlation id, and the caller's identity from the signed token in the context data (verified
with the token issuers' public keys from the key registry, shared/identity.py) —
and the log bindings that put those on every line the worker writes."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from shared import logs
from shared.config import ConfigError, Settings
from shared.identity import Identity, TrustedIssuers, verify_token
from shared.keys import KeyProblem

TOKEN_HEADER = "authorization"
CORRELATION_HEADER = "correlation_id"


class RequestContext:
    def __init__(self, worker_ctx, issuers: TrustedIssuers):
        self._ctx, self._issuers = worker_ctx, issuers

    @property
    def entrypoint(self) -> str:
        return self._ctx.entrypoint.method_name

    @property
    def correlation_id(self) -> str:
        return correlation_of(self._ctx)

    @property
    def context_data(self) -> dict:
        return self._ctx.context_data

    def identity(self) -> Identity:
        return verify_token(self._ctx.context_data.get(TOKEN_HEADER), self._issuers)


def correlation_of(worker_ctx) -> str:
    """The caller's correlation id if it sent one, else the id of the first call in the chain."""
    given = worker_ctx.context_data.get(CORRELATION_HEADER)
    if given:
        return str(given)
    stack = worker_ctx.call_id_stack
    return stack[0] if stack else worker_ctx.call_id


class Request(DependencyProvider):
    def setup(self):
        """The token issuers' public keys, from the key registry in KEYS.dir: a service without them
        refuses to start (it could authenticate no caller)."""
        keys_dir = Settings.of(self.container).keys_dir
        try:
            self.issuers = TrustedIssuers.load(keys_dir)
        except KeyProblem as problem:
            raise ConfigError(f"KEYS.dir ({keys_dir}): {problem}") from None

    def worker_setup(self, worker_ctx):
        logs.clear()
        logs.bind(entrypoint=worker_ctx.entrypoint.method_name, correlation_id=correlation_of(worker_ctx))

    def worker_teardown(self, worker_ctx):
        logs.clear()

    def get_dependency(self, worker_ctx):
        return RequestContext(worker_ctx, self.issuers)
