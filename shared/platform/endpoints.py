"""Decorators that keep RPC entrypoints thin.

    @command(FileCase, roles=("unit_contact",))
    def file_case(self, call): ...

does what every entrypoint must: refuses positional arguments, verifies the caller's
token and role, validates the payload (unknown, missing, mistyped and oversized fields
are named), binds case id and correlation id to the log, builds the event metadata and
the command fingerprint for writes, and waits for `min_position` on reads. It is the one
place where a refusal (`shared.errors.Refused`) becomes the caller's `ServiceError`, and
where any unexpected exception becomes `ServiceError('internal_error')` — never a traceback.
The decorated method receives a `Call`; a write hands its command object to the
Application with `call.handle(CommandClass)`. The service must have `request` (Request)
and `store` (EventStore) dependencies.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from nameko.exceptions import MethodNotFound
from nameko.rpc import Rpc, RpcConsumer

from shared import logs
from shared.contracts.base import load, printable
from shared.errors import Refused, ServiceError, validation_error
from shared.eventstore.meta import EventMeta
from shared.eventstore.receipts import fingerprint
from shared.identity import Identity, require_role
from shared.messaging.topology import FOLLOWS
from shared.platform import store as store_module
from shared.platform import access_log
from shared.platform.broker_loss import connection_may_be_lost
from shared.platform.wire import SafeQueueConsumer, can_reply, describe, reply_refused, request_problem

log = logs.get_logger("endpoint")


class _ReplyTolerantRpcConsumer(RpcConsumer):
    """A reply that cannot be sent leaves the request unacknowledged (see broker_loss.py);
    command receipts make its redelivery harmless. A malformed request (undecodable body, wrong
    shape, hostile headers, unknown method) is answered with `ServiceError('validation_error')`
    and never reaches a worker (see wire.py); one without a reply address is dropped."""

    queue_consumer = SafeQueueConsumer()

    def handle_message(self, body, message):
        try:
            self._dispatch(body, message)
        except Exception:   # runs in a managed thread: a raise would kill the container
            log.exception("request not handled")

    def _dispatch(self, body, message):
        if not can_reply(message):
            self._drop(message, "the request has no reply address (reply_to must be a uuid)")
            return
        problem = request_problem(body, message)
        if problem is None:
            try:
                provider = self.get_provider_for_method(message.delivery_info["routing_key"])
            except MethodNotFound:
                problem = {"_method": ["no such method"]}
        if problem is not None:
            self._refuse(message, problem)
            return
        try:
            provider.handle_message(body, message)
        except Exception:   # nameko's own checks (IncorrectSignature, …): never a Python type to the caller
            log.exception("request not dispatched")
            self._refuse(message, {"_body": ["the request could not be dispatched"]})

    def handle_undecodable(self, message, error):
        if not can_reply(message):
            self._drop(message, describe(error))
            return
        self._refuse(message, {"_body": [describe(error)]})

    def _refuse(self, message, fields):
        refusal = ServiceError("validation_error", "the request is malformed", fields)
        log.info("malformed request refused", routing_key=printable(message.delivery_info.get("routing_key")),
                 error_message=str(refusal))
        with connection_may_be_lost("send the reply"):
            reply_refused(self.container, message, refusal)
            self.queue_consumer.ack_message(message)

    def _drop(self, message, why):
        log.warning("request dropped", routing_key=printable(message.delivery_info.get("routing_key")), reason=why)
        self.queue_consumer.ack_message(message)

    def handle_result(self, message, result, exc_info):
        with connection_may_be_lost("send the reply"):
            return super().handle_result(message, result, exc_info)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _ReplyTolerantRpcConsumer()


rpc = _Rpc.decorator


@dataclass
class Call:
    identity: Identity | None
    data: dict
    store: object
    meta: EventMeta | None = None
    fingerprint: str | None = None
    expected_version: int | None = None   # an edit's optimistic-concurrency check

    def handle(self, command_class) -> dict:
        """The write as a command object, handled by the service's Application: repeatable by
        command id, answered with its result and the new store position."""
        command = command_class(**self.data, expected_version=self.expected_version)
        return self.store.app.handle(command, self.meta, fingerprint=self.fingerprint).response()



def command(schema, roles):
    return _endpoint(schema(), frozenset(roles), write=True)


def query(schema, roles, reads=None):
    """`reads`: what personal data the answer holds, for the access log (shared/platform/access_log.py):
    `reads_field("case_id")`, `reads_items("case_id")`, … Every query that returns a
    person's data declares it."""
    return _endpoint(schema(), frozenset(roles), write=False, reads=reads)


def public(schema):
    """No caller identity needed (health checks)."""
    return _endpoint(schema(), None, write=False)


@dataclass(frozen=True)
class Contract:
    """What an entrypoint promises, kept on it for the reference docs (services/reference.py)."""
    schema: object
    roles: frozenset | None
    write: bool
    reads: object = None      # recorded in the access log (queries that return personal data)


def _endpoint(schema, roles, *, write: bool, reads=None):
    def decorate(method):
        @functools.wraps(method)
        def entry(self, *args, **payload):
            return _serve(self, method, schema, roles, write, args, payload, reads)
        entry.contract = Contract(schema, roles, write, reads)
        return rpc(expected_exceptions=ServiceError)(entry)
    return decorate


def _serve(service, method, schema, roles, write, args, payload, reads=None):
    request, store = service.request, service.store
    started = time.perf_counter()
    try:
        if args:
            raise validation_error({"_schema": ["pass every field by name (keyword arguments)"]})
        identity = None
        if roles is not None:
            identity = request.identity()
            logs.bind(actor_id=identity.actor_id, role=identity.role)
            require_role(identity, roles)
        data = load(schema, payload)
        logs.bind(case_id=_str(data.get("case_id")))
        call = Call(identity=identity, data=data, store=store)
        if write:
            wait_for_dependencies(store, data.pop("after", None))
            call.meta = EventMeta(actor=identity, occurred_at=store.app.clock.now(),
                                  correlation_id=request.correlation_id, command_id=data.pop("command_id"))
            call.expected_version = data.pop("expected_version", None)
            call.fingerprint = fingerprint(request.entrypoint, {k: v for k, v in payload.items()
                                                                if k not in ("command_id", "after")})
        elif data.get("min_position"):
            if not store.wait_for(data["min_position"]):
                raise ServiceError("not_yet_visible", f"position {data['min_position']} is not yet visible; retry shortly",
                                   {"min_position": [f"the read models have reached position "
                                                     f"{store.projections.position}"]}, rule="min_position")
        data.pop("min_position", None)
        result = plain_json(method(service, call))
        if reads is not None:
            access_log.record_read(store, request, identity, data, result, reads)
        log.info("handled", write=write, duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return result
    except Refused as refusal:
        log.info("refused", code=refusal.code, rule=refusal.rule, error_message=refusal.message)
        raise ServiceError.of(refusal) from None
    except ServiceError as error:
        log.info("refused", code=error.code, rule=error.rule, error_message=error.message)
        raise
    except Exception:
        log.exception("failed")
        raise ServiceError("internal_error", f"internal error; quote correlation id {request.correlation_id}") from None


def wait_for_dependencies(store, after: list[dict] | None) -> None:
    """A write that names the other services' streams it depends on (`after`) is handled only once this
    service has applied them up to the versions named; if they do not arrive within DEPENDENCY_TIMEOUT,
    it is refused `not_yet_visible`, naming what it still waits for, and nothing is recorded. "Not yet"
    is then never mistaken for "no": a rule that still refuses has seen what it depends on."""
    if not after:
        return
    followed = FOLLOWS.get(store.service, ())
    unknown = {str(i): [f"{store.service} does not follow {a['service']}: it follows {', '.join(followed) or 'none'}"]
               for i, a in enumerate(after) if a["service"] not in followed}
    if unknown:
        raise validation_error({"after": unknown})
    missing = {}
    deadline = time.monotonic() + store_module.DEPENDENCY_TIMEOUT   # one bound for them all
    for i, dependency in enumerate(after):
        applied = store.wait_for_stream(dependency["service"], dependency["stream_id"], dependency["version"],
                                        timeout=max(0.0, deadline - time.monotonic()))
        if applied < dependency["version"]:
            missing[str(i)] = [f"waiting for {dependency['service']} stream {dependency['stream_id']} at version "
                               f"{dependency['version']}; {store.service} has applied it up to version {applied}"]
    if missing:
        raise ServiceError("not_yet_visible", f"{store.service} has not yet received the events this write depends "
                           f"on; nothing was recorded: retry shortly", {"after": missing}, rule="after")


def plain_json(value):
    """Results leave as JSON-native values (ids and times as strings), whatever the serializer."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def _str(value):
    return str(value) if value is not None else None
