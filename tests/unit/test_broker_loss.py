"""A worker that finishes after the broker went away must not take the process down: the
broker redelivers what was not acknowledged, and the process reconnects by itself."""
from types import SimpleNamespace

import pytest
from nameko.messaging import Consumer

from shared.platform.broker_loss import connection_may_be_lost
from shared.platform.inbox import InboxConsumer


def consumer_on_a_dead_connection(kind):
    def reset(message):
        raise ConnectionResetError(104, "Connection reset by peer")
    consumer = kind(queue=None) if kind is Consumer else kind()
    consumer.queue_consumer = SimpleNamespace(ack_message=reset, requeue_message=reset)
    return consumer


def test_nameko_alone_lets_the_socket_error_through():
    # this is what killed the application container during a broker restart
    with pytest.raises(ConnectionResetError):
        consumer_on_a_dead_connection(Consumer).handle_result(object(), None, result="done")


@pytest.mark.parametrize("exc_info", [None, (RuntimeError, RuntimeError("handler failed"), None)])
def test_the_inbox_consumer_logs_and_returns_the_workers_result(exc_info):
    consumer = consumer_on_a_dead_connection(InboxConsumer)
    assert consumer.handle_result(object(), None, result="done", exc_info=exc_info) == ("done", exc_info)


def test_other_errors_are_not_swallowed():
    with pytest.raises(KeyError):
        with connection_may_be_lost("acknowledge"):
            raise KeyError("a bug, not the broker")
