"""The events baseline: a bare nameko event from one service to another, and nothing else.

`bench_emitter.emit(...)` dispatches a `tick` event (nameko's EventDispatcher: publisher
confirms, persistent, to the `bench_emitter.events` exchange) carrying what it was given
and the wall-clock time just before the dispatch. `bench_sink.handle` is a plain
`@event_handler` (service pool, durable queue, so events wait for it while it is down)
that notes its own wall-clock time on arrival; `bench_sink.received()` hands the notes
back. The two run as separate processes (`nameko run bench.event_pair:EventSink`), with
the same config file, broker and worker pool as our services, so the difference between
their figures and ours is what our relay, inbox and stores cost on top of nameko.
"""
import time

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc

EMITTER, SINK, EVENT = "bench_emitter", "bench_sink", "tick"


class EventEmitter:
    name = EMITTER
    dispatch = EventDispatcher()

    @rpc
    def emit(self, tag, n, data=None):
        self.dispatch(EVENT, {"tag": tag, "n": n, "sent_at": time.time(), "data": data})

    @rpc
    def ping(self):
        return "pong"


class EventSink:
    name = SINK
    notes: list = []   # (tag, n, sent_at, received_at); one process, one list

    @event_handler(EMITTER, EVENT)
    def handle(self, body):
        EventSink.notes.append((body["tag"], body["n"], body["sent_at"], time.time()))

    @rpc
    def received(self, tag):
        return [note for note in EventSink.notes if note[0] == tag]

    @rpc
    def count(self, tag):
        return sum(1 for note in EventSink.notes if note[0] == tag)


def sink_queue() -> str:
    """The sink's durable queue, as nameko names a service-pool handler's queue."""
    return f"evt-{EMITTER}-{EVENT}--{SINK}.handle"
