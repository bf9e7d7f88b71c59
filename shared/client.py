"""For portal backends and tools: an RPC proxy that carries the caller's token.

    from shared.client import cluster
    with cluster(AMQP_URI, token) as rpc:
        rpc.registration.health()

Errors arrive as `shared.errors.ServiceError` (code, message, fields, rule).
"""
from __future__ import annotations

from uuid import uuid4

from nameko.standalone.rpc import ClusterRpcProxy

import shared.platform  # noqa: F401  (registers ServiceError for deserialisation)
from shared.platform.request import CORRELATION_HEADER, TOKEN_HEADER


def cluster(amqp_uri: str, token: str | None = None, correlation_id: str | None = None, timeout: float = 30):
    context = {CORRELATION_HEADER: correlation_id or str(uuid4())}
    if token:
        context[TOKEN_HEADER] = token
    return ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"}, context_data=context, timeout=timeout)
