"""Who listens to whom, as data, and the RabbitMQ objects that follows from it.

Each source publishes to its durable topic exchange `<source>.events` with the event type
as routing key. Each consuming service has ONE durable inbox queue bound to every source
it follows, so a source's events reach it in the order they were published, and a retry
queue whose messages dead-letter back into the inbox once their delay expires.
Every queue is declared before anything is published (relay start-up declares the whole
topology), because a confirmed publish to an exchange with no bound queue is dropped.
"""
from __future__ import annotations

from kombu import Exchange, Queue, binding

FOLLOWS: dict[str, tuple[str, ...]] = {
    "registration": (),
    "application": ("registration", "review", "funding"),
    "review": ("application",),
    "funding": ("review", "application"),   # application: programme B's placements and terms
}


def events_exchange(source: str) -> Exchange:
    return Exchange(f"{source}.events", type="topic", durable=True)


def inbox_name(service: str) -> str:
    return f"{service}.inbox"


def inbox_queue(service: str) -> Queue:
    return Queue(
        inbox_name(service),
        bindings=[binding(events_exchange(source), routing_key="#") for source in FOLLOWS[service]],
        durable=True,
    )


# Backoff tiers: a message retried for the n-th time waits RETRY_DELAYS_MS[min(n, last)].
# One queue per tier with a queue-wide TTL, so a long wait never holds up a short one.
RETRY_DELAYS_MS = (500, 2_000, 8_000)


def retry_queue_name(service: str, attempt: int) -> str:
    tier = min(max(attempt, 1), len(RETRY_DELAYS_MS)) - 1
    return f"{service}.inbox.retry.{RETRY_DELAYS_MS[tier]}ms"


def retry_queues(service: str) -> list[Queue]:
    return [
        Queue(
            f"{service}.inbox.retry.{delay}ms",
            durable=True,
            queue_arguments={"x-message-ttl": delay, "x-dead-letter-exchange": "",
                             "x-dead-letter-routing-key": inbox_name(service)},
        )
        for delay in RETRY_DELAYS_MS
    ]


def declare_all(channel) -> None:
    for source in FOLLOWS:
        events_exchange(source)(channel).declare()
    for service, sources in FOLLOWS.items():
        if sources:
            inbox_queue(service)(channel).declare()
            for queue in retry_queues(service):
                queue(channel).declare()
