"""Hostile bytes on the wire: what arrives on a service's queues before any entrypoint sees it.

nameko hands a queue's messages to kombu, which decodes the body (`Message.decode`, called from
`kombu.Consumer._receive_callback`) before nameko's `Rpc.handle_message` looks at it. Left alone:

- a body that cannot be decoded (not JSON, pickle or another refused content type, invalid UTF-8,
  JSON nested deeper than Python's recursion limit, a number of 5,000 digits) raises inside the
  consumer's loop, which kills the whole service container: the caller waits for its timeout;
- a decodable body of the wrong shape (an array, a scalar, `kwargs` not an object) reaches
  `body['args']` and the caller receives a bare `TypeError`;
- a request without `reply_to`, or without a content type, breaks nameko's reply (`KeyError`),
  which also kills the container.

`SafeQueueConsumer` gives every consumer of the service an `on_decode_error`, handed to the
provider's `handle_undecodable(message, error)`; `request_problem` checks an RPC request's shape
and context headers; `reply_refused` answers with a `ServiceError` serialised exactly as nameko
serialises any error (`nameko.exceptions.serialize`), so every nameko client gets a
`ServiceError('validation_error')` (or `RemoteError` carrying its JSON) and never a Python type.
"""
from __future__ import annotations

import re
from functools import partial

from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.exceptions import serialize
from nameko.messaging import QueueConsumer
from nameko.rpc import get_rpc_exchange

from shared import logs
from shared.contracts.base import SHORT, printable
from shared.errors import ServiceError

log = logs.get_logger("wire")

JSON = "application/json"
# nameko's reply routing keys are bare uuid4s; a service replies to nothing else (it would
# otherwise publish wherever a caller pointed it, e.g. at another service's RPC queue)
REPLY_TO = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_HEADERS = 32
MAX_HEADER = 8192            # a caller token fits several times over
MAX_CALL_STACK = 64
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class SafeQueueConsumer(QueueConsumer):
    """nameko's QueueConsumer, but a message kombu cannot decode goes to its provider's
    `handle_undecodable(message, error)` (in a worker thread, never raising) instead of
    killing the container. Every consumer of a service must use it (one is shared per class)."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, error):
        handler = getattr(provider, "handle_undecodable", None)
        if handler is None:
            log.error("undecodable message dropped", error_message=describe(error))
            self.ack_message(message)
            return
        self.container.spawn_managed_thread(partial(_never_raising, handler, message, error),
                                            identifier="undecodable message")


def _never_raising(handler, message, error):
    try:
        handler(message, error)
    except Exception:   # a raise here would kill the container
        log.exception("could not handle an undecodable message")


def describe(error: BaseException) -> str:
    """A decode failure for a caller or an operator: what is wrong, without Python's type names."""
    if isinstance(error, RecursionError):
        return "the body is nested too deeply"
    name = type(error).__name__
    if "ContentDisallowed" in name:
        return "the body must be JSON (content type application/json)"
    return "the body is not valid JSON"


def can_reply(message) -> bool:
    reply_to = message.properties.get("reply_to")
    return isinstance(reply_to, str) and REPLY_TO.fullmatch(reply_to) is not None


def request_problem(body, message) -> dict | None:
    """What is wrong with an RPC request before any entrypoint sees it, by field; None if nothing."""
    if message.content_type != JSON:
        return {"_body": ["the body must be JSON (content type application/json)"]}
    problem = headers_problem(message.headers)
    if problem:
        return problem
    if not isinstance(body, dict):
        return {"_body": ["the body must be an object with `args` (a list) and `kwargs` (an object)"]}
    if set(body) - {"args", "kwargs"} or not isinstance(body.get("args"), list) \
            or not isinstance(body.get("kwargs"), dict):
        return {"_body": ["the body must be an object with `args` (a list) and `kwargs` (an object) only"]}
    # the values themselves (integers, UTF-8, nesting, size) are checked by the contract's load(),
    # which names each field as the contract does
    if "self" in body["kwargs"]:
        return {"self": ["Unknown field."]}
    return None


def headers_problem(headers) -> dict | None:
    """Context data travels in the headers: strings of bounded length, and nameko's call stack."""
    headers = headers or {}
    if len(headers) > MAX_HEADERS:
        return {"_headers": [f"more than {MAX_HEADERS} headers"]}
    for key, value in headers.items():
        name = printable(key)
        if not isinstance(key, str) or len(key) > SHORT or _CONTROL.search(key):
            return {"_headers": [f"header name {name!r} is not plain text"]}
        if key.endswith("call_id_stack"):
            ok = isinstance(value, list) and len(value) <= MAX_CALL_STACK and all(_plain(v, SHORT) for v in value)
        elif key.endswith("correlation_id"):
            ok = _plain(value, SHORT)
        else:
            ok = value is None or isinstance(value, bool) or _plain(value, MAX_HEADER) or (
                isinstance(value, int) and abs(value) < 2**53)
        if not ok:
            return {f"_headers.{name}": ["not a plain value of bounded length"]}
    return None


def _plain(value, max_length: int) -> bool:
    return isinstance(value, str) and len(value) <= max_length and not _CONTROL.search(value)


def reply_refused(container, message, error: ServiceError) -> None:
    """Answer a request nameko could not dispatch with `error`, in nameko's reply shape and JSON,
    whatever the request's content type was. The caller must have checked `can_reply`."""
    config = container.config
    publisher = Publisher(config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                          login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
    publisher.publish({"result": None, "error": serialize(error)}, serializer="json",
                      exchange=get_rpc_exchange(config), routing_key=message.properties["reply_to"],
                      correlation_id=message.properties.get("correlation_id"))
