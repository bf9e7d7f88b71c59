"""The only part of `shared` that knows nameko: dependency providers that own a service's
store, relay, projections and inbox; the request context (caller identity, correlation,
log bindings); and the decorators that make an RPC entrypoint thin."""
from nameko.exceptions import registry

from shared.errors import ServiceError

# nameko.exceptions.deserialize() rebuilds registered exception types from their args,
# so RPC callers catch ServiceError(code, message, fields, rule), not a bare RemoteError.
registry["shared.errors.ServiceError"] = ServiceError
