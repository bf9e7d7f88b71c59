"""Who listens to whom, as data, and the RabbitMQ objects that follows from it.

Each source publishes to its durable topic exchange `<source>.events` with the event type
as routing key. Each consuming service has ONE durable inbox queue bound to every source
it follows, so a source's events reach it in the order they were published.

Retries never go through the default exchange (an account that may write to `amq.default`
can push into any queue): each consuming service has its own direct exchange
`<service>.retry`. Its retry queues are bound to it under their own names and dead-letter
back through it under the inbox's name, to which the inbox is bound; a replayed parked
event is published there under the inbox's name too.

Every queue is declared before anything is published, because a confirmed publish to an
exchange with no bound queue is dropped. With least-privilege accounts (accounts.py) a
service may declare only what it owns, so the whole topology is provisioned first, by an
administrator (`python -m shared.messaging.accounts provision`, or the definitions file
compose loads: accounts.topology_definitions). A service then declares its own part again
(`declare_service`, idempotent) and binds its inbox to the sources' exchanges, which it
may read but not create: with an account that may create them (guest on a test vhost) it
creates them if they are missing, as before.
"""
from __future__ import annotations

from amqp.exceptions import AccessRefused, ChannelError
from kombu import Exchange, Queue, binding

FOLLOWS: dict[str, tuple[str, ...]] = {
    "registration": (),
    "application": ("registration", "review", "funding"),
    "review": ("application",),
    "funding": ("review", "application"),   # application: programme B's placements and terms
}

RPC_EXCHANGE = "nameko-rpc"   # nameko's default; services' RPC queues are `rpc-<service>`


def events_exchange(source: str, passive: bool = False) -> Exchange:
    return Exchange(f"{source}.events", type="topic", durable=True, passive=passive)


def retry_exchange(service: str) -> Exchange:
    return Exchange(f"{service}.retry", type="direct", durable=True)


def inbox_name(service: str) -> str:
    return f"{service}.inbox"


def inbox_queue(service: str) -> Queue:
    """Bound to every source it follows (exchanges it may not create: declared passively)
    and to its own retry exchange, where retried and replayed events come back."""
    return Queue(
        inbox_name(service),
        bindings=[binding(events_exchange(source, passive=True), routing_key="#") for source in FOLLOWS[service]]
        + [binding(retry_exchange(service), routing_key=inbox_name(service))],
        durable=True,
    )


# Backoff tiers: a message retried for the n-th time waits RETRY_DELAYS_MS[min(n, last)].
# One queue per tier with a queue-wide TTL, so a long wait never holds up a short one.
RETRY_DELAYS_MS = (500, 2_000, 8_000)


def retry_queue_name(service: str, attempt: int) -> str:
    tier = min(max(attempt, 1), len(RETRY_DELAYS_MS)) - 1
    return f"{service}.retry.{RETRY_DELAYS_MS[tier]}ms"


def retry_queues(service: str) -> list[Queue]:
    exchange = retry_exchange(service)
    return [
        Queue(
            f"{service}.retry.{delay}ms", exchange=exchange, routing_key=f"{service}.retry.{delay}ms",
            durable=True,
            queue_arguments={"x-message-ttl": delay, "x-dead-letter-exchange": exchange.name,
                             "x-dead-letter-routing-key": inbox_name(service)},
        )
        for delay in RETRY_DELAYS_MS
    ]


# Before the retry exchanges, retry queues were named `<service>.inbox.retry.<delay>ms` and
# dead-lettered through the default exchange. RabbitMQ refuses to redeclare a durable queue
# with other arguments, so the new ones have new names; the old ones drain into the inbox
# within their TTL (the broker dead-letters them, no account needs the default exchange) and
# provisioning deletes them once empty.
def legacy_retry_queue_names(service: str) -> list[str]:
    return [f"{service}.inbox.retry.{delay}ms" for delay in RETRY_DELAYS_MS]


def owned_queues(service: str) -> list[Queue]:
    """The queues a service declares and consumes (besides nameko's `rpc-<service>`)."""
    return [inbox_queue(service), *retry_queues(service)] if FOLLOWS[service] else []


def declare_service(connection, service: str) -> None:
    """What `service` owns: its events exchange, and if it follows others its retry exchange,
    inbox and retry queues, the inbox bound to each source's exchange. A source's exchange
    that does not exist yet is created if this account may (guest on a test vhost); with a
    least-privilege account it must have been provisioned, and the error says so."""
    for source in FOLLOWS[service]:
        _ensure_exchange(connection, events_exchange(source))
    channel = connection.channel()
    try:
        events_exchange(service)(channel).declare()
        for queue in owned_queues(service):
            queue(channel).declare()
    finally:
        _close_quietly(channel)


class TopologyMissing(RuntimeError):
    """An exchange this service binds to does not exist and its account may not create it."""


def _ensure_exchange(connection, exchange: Exchange) -> None:
    channel = connection.channel()
    try:
        Exchange(exchange.name, type=exchange.type, durable=exchange.durable, passive=True)(channel).declare()
        return
    except ChannelError:   # the broker closed the channel: try to create it on a new one
        pass
    finally:
        _close_quietly(channel)
    channel = connection.channel()
    try:
        exchange(channel).declare()
    except AccessRefused:
        raise TopologyMissing(
            f"exchange {exchange.name!r} does not exist and this account may not create it: provision the broker "
            "first (python -m shared.messaging.accounts provision; deploy/up.sh and compose do)") from None
    finally:
        _close_quietly(channel)


def _close_quietly(channel) -> None:
    try:
        channel.close()
    except Exception:   # already closed by the broker
        pass
