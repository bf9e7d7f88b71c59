"""Publishing with publisher confirms: nothing counts as sent until RabbitMQ has taken
responsibility for it (persistent messages, durable exchanges), and a lost connection is
retried until the broker is back.

A publisher belongs to one service and connects with its account: on connecting it declares
what the service owns (topology.declare_service). Retries and replays go to the service's
own retry exchange, never to the default exchange, which its account may not write to.

`Publisher` waits for each message's confirm: right for the odd retry or replay.
`BatchPublisher` sends a whole batch and waits for the confirms once: the relay's way. In
a busy service every wait is a turn given to the workers, so one wait per message would
hold the relay to one message per turn and it would fall ever further behind.
"""
from __future__ import annotations

import socket
import threading
import time

from kombu import Connection, Producer

from shared.messaging.topology import declare_service, events_exchange, retry_exchange

RETRY_POLICY = {"max_retries": None, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 3}
# A confirm that never comes (a channel closing under us) must not stall the relay for
# ever: give up, reconnect, and publish again (consumers drop the duplicates).
CONFIRM_TIMEOUT_SECONDS = 10


class NotConfirmed(Exception):
    """The broker refused (nack) or did not confirm a message in time."""


class Publisher:
    confirm_each = True

    def __init__(self, amqp_uri: str, service: str, ssl=None):
        self.service = service
        self.connection = Connection(amqp_uri, ssl=ssl, transport_options={"confirm_publish": self.confirm_each})
        self._producer: Producer | None = None
        self._lock = threading.Lock()  # one channel: publishes from several green threads take turns

    def _ensure(self) -> Producer:
        if self._producer is None:
            self.connection.ensure_connection(**RETRY_POLICY)
            declare_service(self.connection, self.service)
            channel = self.connection.default_channel
            self._producer = Producer(channel, serializer="json")
            self._opened(channel)
        return self._producer

    def _opened(self, channel) -> None:
        """A new channel is ready (subclasses prepare it)."""

    def declare_topology(self) -> None:
        """Connect (waiting for the broker if need be) and declare what the service owns."""
        with self._lock:
            self._ensure()

    def publish_event(self, source: str, envelope: dict) -> None:
        self._publish(envelope, exchange=events_exchange(source), routing_key=envelope["type"],
                      message_id=envelope["event_id"])

    def publish_retry(self, routing_key: str, body: dict, *, headers: dict) -> None:
        """To the service's retry exchange: `routing_key` names a retry queue, or the inbox."""
        self._publish(body, exchange=retry_exchange(self.service), routing_key=routing_key, headers=headers)

    def _publish(self, body, **kwargs) -> None:
        with self._lock:
            try:
                self._ensure().publish(body, delivery_mode=2, retry=True, retry_policy=RETRY_POLICY,
                                       confirm_timeout=CONFIRM_TIMEOUT_SECONDS, **kwargs)
            except Exception:
                self.reset()
                raise

    def reset(self) -> None:
        self._producer = None
        try:
            self.connection.release()
        except Exception:  # the connection is already gone; a new one is made on next use
            pass
        self.connection = self.connection.clone()

    def close(self) -> None:
        with self._lock:
            self.connection.release()


class BatchPublisher(Publisher):
    confirm_each = False   # confirms are put on the channel by hand, and awaited per batch

    def _opened(self, channel) -> None:
        self._sent = 0
        self._acked_upto = 0            # every tag up to this one is confirmed
        self._acked: set[int] = set()   # single confirms above it
        self._nacked = False
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.confirm_select()

    def _on_ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._acked_upto = max(self._acked_upto, tag)
        else:
            self._acked.add(tag)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked = True

    def publish_events(self, source: str, envelopes: list[dict]) -> None:
        """Send them all, then return once the broker has confirmed every one."""
        with self._lock:
            try:
                producer = self._ensure()
                first = self._sent + 1
                for envelope in envelopes:
                    producer.publish(envelope, exchange=events_exchange(source), routing_key=envelope["type"],
                                     message_id=envelope["event_id"], delivery_mode=2)
                    self._sent += 1
                self._await_confirms(first, self._sent)
            except Exception:
                self.reset()
                raise

    def _await_confirms(self, first: int, last: int) -> None:
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while not all(tag <= self._acked_upto or tag in self._acked for tag in range(first, last + 1)):
            if self._nacked:
                raise NotConfirmed("the broker refused a message of the batch")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotConfirmed(f"no confirm within {CONFIRM_TIMEOUT_SECONDS} s")
            try:
                self.connection.drain_events(timeout=remaining)
            except socket.timeout:
                continue
        self._acked = {tag for tag in self._acked if tag > last}
