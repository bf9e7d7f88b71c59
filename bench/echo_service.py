"""The baseline: a bare nameko RPC service that returns what it is given.

It runs with the same config file, broker and worker pool as our services, so the
difference between its figures and theirs is what our code (token check, validation,
event store, projections) costs on top of nameko and RabbitMQ themselves.
"""
from nameko.rpc import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value
