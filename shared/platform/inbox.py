"""The inbox entrypoint: one consumer per service on its inbox queue.

Each message's signature is verified first (shared/signing.py), before its envelope is even
read: an unsigned or forged event is never applied, never advances the stream's tracking (so
the genuine event with that sequence still applies when it comes), is logged as a security
event and parked with reason `unsigned` or `forged` — at most FORGED_PARKED_PER_HOUR of them per
process and hour, each body at most MAX_PARKED_BODY_BYTES, so a flood cannot fill the disk (the
rest are counted and logged, not stored). A replayed parked event is verified again.
Then each message is validated (envelope and payload), then offered to the store's `Inbox`.
An event that must wait for an earlier one, or whose handler failed, goes to a retry
queue with a growing delay (the message is acknowledged only once the retry copy is
confirmed, so nothing is lost); after `INBOX.max_attempts` failures it is parked with its
error. An invalid event is parked at once: retrying cannot make it valid.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time

from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer

from shared import logs
from shared.config import Settings
from shared.contracts.envelope import load_envelope
from shared.errors import NotYet, Refused, ServiceError
from shared.identity import system_actor
from shared.messaging.inbox import Outcome
from shared.messaging.topology import inbox_queue, retry_queue_name
from shared.platform.broker_loss import connection_may_be_lost
from shared.platform.wire import SafeQueueConsumer, describe
from shared.contracts.base import printable
from shared.platform.parking import park
from shared.platform.store import EventStore
from shared.signing import Rejected

ATTEMPTS_HEADER = "inbox_attempts"   # travels as the `nameko.inbox_attempts` message header
FORGED_PARKED_PER_HOUR = 100         # unsigned or forged events stored for inspection, per process
MAX_PARKED_BODY_BYTES = 64 * 1024    # a bigger forged body is parked as its digest and size only
log = logs.get_logger("inbox")
security_log = logs.get_logger("security")


class ForgeryBudget:
    """How many refused events may still be parked this hour; the others are only counted."""

    def __init__(self, per_hour: int = FORGED_PARKED_PER_HOUR):
        self.per_hour = per_hour
        self._lock = threading.Lock()
        self._window, self.parked, self.dropped = 0, 0, 0

    def take(self) -> bool:
        with self._lock:
            window = int(time.time() // 3600)
            if window != self._window:
                self._window, self.parked, self.dropped = window, 0, 0
            if self.parked < self.per_hour:
                self.parked += 1
                return True
            self.dropped += 1
            return False


class InboxConsumer(Consumer):
    """nameko's Consumer on this service's inbox queue; requeues if the worker crashes,
    and outlives a broker that went away while the worker ran (see broker_loss.py)."""

    queue_consumer = SafeQueueConsumer()   # an undecodable body is parked, it does not kill the container

    def __init__(self, **kwargs):
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def handle_undecodable(self, message, error):
        """A body that is not JSON: parked as invalid at once, like any invalid event."""
        store = next(d for d in self.container.dependencies if isinstance(d, EventStore)).store
        error_message = f"validation_error: {describe(error)}"
        log.error("undecodable event parked", error_message=error_message)
        park(store, {"undecodable_body": printable(bytes(message.body or b"")[:2000])}, error_message, 1,
             system_actor(store.service), None)
        self.queue_consumer.ack_message(message)

    def setup(self):
        self.queue = inbox_queue(self.container.service_name)
        super().setup()

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        with connection_may_be_lost("acknowledge the event"):
            return super().handle_result(message, worker_ctx, result, exc_info)
        return result, exc_info


inbox_consumer = InboxConsumer.decorator


class InboxReceiver(DependencyProvider):
    def setup(self):
        self.max_attempts = Settings.of(self.container).inbox_max_attempts
        self.budget = ForgeryBudget()

    def get_dependency(self, worker_ctx):
        store = next(d for d in self.container.dependencies if isinstance(d, EventStore)).store
        attempts = int(worker_ctx.context_data.get(ATTEMPTS_HEADER) or 0)
        return _Receiver(store, attempts, self.max_attempts, self.budget)


class _Receiver:
    def __init__(self, store, attempts: int, max_attempts: int, budget: ForgeryBudget | None = None):
        self.store, self.attempts, self.max_attempts = store, attempts, max_attempts
        self.budget = budget or ForgeryBudget()
        self.actor = system_actor(store.service)

    def receive(self, body) -> Outcome | None:
        try:
            self.store.verifier.verify(body)
        except Rejected as rejected:
            self._refuse(body, rejected)
            return None
        try:
            envelope = load_envelope({key: value for key, value in body.items() if key != "signature"})
        except Refused as refusal:
            error = str(ServiceError.of(refusal))
            log.error("invalid event parked", error_message=error, event_id=_get(body, "event_id"))
            park(self.store, body, error, self.attempts + 1, self.actor, _get(body, "correlation_id"))
            return None
        logs.bind(case_id=_str(envelope["case_id"]), correlation_id=envelope["correlation_id"],
                  event_type=envelope["type"], event_id=str(envelope["event_id"]))
        try:
            outcome = self.store.inbox.accept(envelope)
        except NotYet as reason:   # depends on an event from another source: wait, don't count it as failing
            log.info("event waits for one it depends on", reason=str(reason))
            self._retry(body)
            return Outcome.WAITING
        except Exception as error:  # the handler failed: retry with backoff, then park
            if self.attempts + 1 >= self.max_attempts:
                log.exception("event parked after repeated failures", attempts=self.attempts + 1)
                park(self.store, body, _described(error), self.attempts + 1, self.actor, envelope["correlation_id"])
            else:
                log.warning("event failed; will retry", attempts=self.attempts + 1, error_message=str(error))
                self._retry(body)
            return None
        if outcome is Outcome.WAITING:
            log.info("event waits for an earlier one of its stream", sequence=envelope["sequence"],
                     applied=self.store.inbox.applied_sequence(envelope))
            self._retry(body)
        else:
            log.info("event " + outcome.value, sequence=envelope["sequence"])
        return outcome

    def _refuse(self, body, rejected: Rejected) -> None:
        """An unsigned or forged event: a security event, parked (within the budget), never applied."""
        claimed = {key: _get(body, key) for key in ("event_id", "type", "source", "stream_id", "sequence")}
        parked = self.budget.take()
        security_log.warning("security: event refused", security_event=True, reason=rejected.reason,
                             detail=rejected.detail, parked=parked, dropped_this_hour=self.budget.dropped,
                             **{f"claimed_{key}": _short(value) for key, value in claimed.items()})
        if parked:
            park(self.store, _bounded(body), str(rejected), self.attempts + 1, self.actor, None,
                 key=f"{rejected.reason}/{_short(claimed['event_id'])}/{_digest(body)}")

    def _retry(self, body) -> None:
        attempts = self.attempts + 1
        self.store.retry_publisher.publish_retry(   # through <service>.retry, never the default exchange
            retry_queue_name(self.store.service, attempts), body,
            headers={f"nameko.{ATTEMPTS_HEADER}": attempts})


def _described(error: Exception) -> str:
    """What an operator reads in the parked list: the refusal's code (e.g. not_found), or the exception's type."""
    if isinstance(error, Refused):
        return f"{error.code}: {error.message}" + (f" ({error.rule})" if error.rule else "")
    return f"{type(error).__name__}: {error}"


def _digest(body) -> str:
    try:
        text = json.dumps(body, sort_keys=True, default=str)
    except (ValueError, TypeError, RecursionError):
        text = f"undigestible {type(body).__name__}"
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _bounded(body):
    """The body as it came if it can be kept (an object of at most MAX_PARKED_BODY_BYTES as UTF-8),
    else its claimed id and type with its digest and size."""
    try:
        size = len(json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        size = None
    if size is not None and size <= MAX_PARKED_BODY_BYTES and isinstance(body, dict):
        return body
    return {"event_id": _short(_get(body, "event_id")), "type": _short(_get(body, "type")),
            "not_kept": {"bytes": size, "sha256": _digest(body)}}


def _get(body, key):
    return body.get(key) if isinstance(body, dict) else None


def _short(value, limit: int = 200):
    """A claimed value as text for a log line or a parked summary, never longer than `limit`, and
    valid UTF-8 (a lone surrogate is escaped: it would break the record that keeps it)."""
    try:
        return None if value is None else printable(str(value)[:limit])
    except ValueError:   # an integer too long to print
        return f"<unprintable {type(value).__name__}>"


def _str(value):
    return str(value) if value is not None else None
