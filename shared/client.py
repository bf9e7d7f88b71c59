"""For portal backends and tools: an RPC proxy that carries the caller's token.

    from shared.client import cluster
    with cluster(AMQP_URI, token) as rpc:
        rpc.registration.health()

Errors arrive as `shared.errors.ServiceError` (code, message, fields, rule).

It is nameko's standalone `ClusterRpcProxy`, with one difference that lets it run under the
portal's least-privilege broker account (README, "Broker accounts"): its reply queue is bound
to the RPC exchange without declaring that exchange, which would need the right to configure
(and so to delete) it. The exchange is the services' and exists once one of them has started.
"""
from __future__ import annotations

import warnings
from uuid import uuid4

# nameko 2 runs on eventlet, which warns on import that it is deprecated upstream. A portal using this
# client can do nothing about it, so it is not printed to the portal's console (the services, which can
# act on it, still show it when they start). Filtered by message: the class is defined by the import itself.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from kombu import Exchange, Queue  # noqa: E402
from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, RPC_REPLY_QUEUE_TTL, get_rpc_exchange  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy, SingleThreadedReplyListener  # noqa: E402

import shared.platform  # noqa: F401,E402  (registers ServiceError for deserialisation)
from shared.platform.request import CORRELATION_HEADER, TOKEN_HEADER  # noqa: E402


class _ReplyListener(SingleThreadedReplyListener):
    """nameko 2.14's ReplyListener.setup, with the RPC exchange declared passively."""

    def setup(self):
        reply_queue_uuid = uuid4()
        self.routing_key = str(reply_queue_uuid)   # the reply key: a bare uuid4, as nameko's
        exchange = get_rpc_exchange(self.container.config)
        self.queue = Queue(
            RPC_REPLY_QUEUE_TEMPLATE.format(self.container.service_name, reply_queue_uuid),
            exchange=Exchange(exchange.name, type=exchange.type, durable=exchange.durable, passive=True),
            routing_key=self.routing_key, queue_arguments={"x-expires": RPC_REPLY_QUEUE_TTL})
        self.queue_consumer.register_provider(self)


def cluster(amqp_uri: str, token: str | None = None, correlation_id: str | None = None, timeout: float = 30,
            ssl: dict | None = None):
    context = {CORRELATION_HEADER: correlation_id or str(uuid4())}
    if token:
        context[TOKEN_HEADER] = token
    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    if ssl:
        config["AMQP_SSL"] = ssl
    return ClusterRpcProxy(config, context_data=context, timeout=timeout, reply_listener_cls=_ReplyListener)
