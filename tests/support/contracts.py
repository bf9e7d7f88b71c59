"""Every reply a test receives is held to its endpoint's reply schema (shared/contracts/registry.py):
an undeclared field, a missing required one, a wrong type or an out-of-range value fails the test
that received it, naming the endpoint and the field. So docs/reference.md (rendered from the same
schemas) cannot drift from what the services answer."""
from __future__ import annotations

from shared.contracts.base import check_reply
from shared.contracts.registry import REPLIES, reply_schema


class ReplyOutsideContract(AssertionError):
    pass


def checked(endpoint: str, reply):
    if endpoint not in REPLIES:
        raise ReplyOutsideContract(f"{endpoint} answered, but no reply schema is registered for it")
    errors = check_reply(reply_schema(endpoint), reply)
    if errors:
        raise ReplyOutsideContract(f"{endpoint} answered outside its reply schema "
                                   f"({REPLIES[endpoint].__name__}): {errors}\nreply: {reply!r:.3000}")
    return reply


class CheckedProxy:
    """Wraps a nameko cluster proxy: `proxy.<service>.<method>(**payload)` as usual, each reply checked."""

    def __init__(self, proxy):
        self._proxy = proxy

    def __getattr__(self, service: str):
        return _CheckedService(service, getattr(self._proxy, service))

    def __getitem__(self, service: str):
        return _CheckedService(service, self._proxy[service])


class _CheckedService:
    def __init__(self, name: str, service):
        self._name, self._service = name, service

    def __getattr__(self, method: str):
        return _CheckedMethod(f"{self._name}.{method}", getattr(self._service, method))


class _CheckedMethod:
    def __init__(self, endpoint: str, method):
        self._endpoint, self._method = endpoint, method

    def __call__(self, *args, **kwargs):
        return checked(self._endpoint, self._method(*args, **kwargs))

    def call_async(self, *args, **kwargs):
        return _CheckedReply(self._endpoint, self._method.call_async(*args, **kwargs))


class _CheckedReply:
    def __init__(self, endpoint: str, reply):
        self._endpoint, self._reply = endpoint, reply

    def result(self):
        return checked(self._endpoint, self._reply.result())
