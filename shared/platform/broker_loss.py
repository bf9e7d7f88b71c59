"""What nameko does not survive on its own: the broker going away while a worker runs.

nameko acknowledges a message (or sends an RPC reply) after the worker finishes. If the
connection died meanwhile, that write raises a socket error that nameko does not catch
(it catches only amqp's own ConnectionError), and the whole container is killed. Nothing
is at risk at that point: the broker puts every unacknowledged message back when the
connection drops, and the repeat is recognised (command receipts, inbox tracking). So
the error is logged and the process lives on to reconnect by itself.
"""
from __future__ import annotations

from contextlib import contextmanager

from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError

from shared import logs

LOST_CONNECTION = (KombuError, AMQPError, OSError)
log = logs.get_logger("broker")


@contextmanager
def connection_may_be_lost(settling: str):
    """Around the acknowledgement or reply of a finished worker."""
    try:
        yield
    except LOST_CONNECTION as error:
        log.warning(f"could not {settling}: the broker connection is gone and the broker will deliver "
                    "the message again", error_message=str(error) or type(error).__name__)
