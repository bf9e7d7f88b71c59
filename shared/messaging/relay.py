"""The outbox relay: the store's notification log *is* the outbox.

Commands only ever write to the store. This loop reads what was committed after the
position it last recorded, publishes each published-stream event with confirms, then
records the new position beside the read models' positions. A crash between publish and
record republishes the batch, and so does a lost position (the views file is less durable
than the event store): consumers recognise the repeats by stream sequence.
"""
from __future__ import annotations

from shared.eventstore.follower import Follower
from shared.eventstore.views import PositionMoved
from shared.logs import get_logger
from shared.messaging.translate import to_envelope

POSITION_NAME = "relay:amqp"


class Relay:
    def __init__(self, service: str, app, views, publisher, batch_size: int = 200, poll_seconds: float = 1.0,
                 busy=None, paused: bool = False):
        self.service, self.app, self.views, self.publisher = service, app, views, publisher
        self.batch_size = batch_size
        self.paused = paused   # an operator's hold: commands still record, nothing is published
        self.follower = Follower(f"relay.{service}", self.step, poll_seconds, busy=busy)
        self.log = get_logger("relay")

    @property
    def position(self) -> int:
        return self.views.position(POSITION_NAME)

    def step(self) -> int:
        if self.paused:
            return 0
        read = self.position
        notifications = self.app.recorder.select_notifications(start=read + 1, limit=self.batch_size)
        if not notifications:
            return 0
        envelopes = []
        for notification in notifications:
            self.follower.pause_point()
            if (envelope := to_envelope(self.service, self.app, notification)) is not None:
                envelopes.append(envelope)
        if envelopes:
            self.publisher.publish_events(self.service, envelopes)   # confirmed, all of them
        published = len(envelopes)
        try:
            self.views.apply({POSITION_NAME: (read, notifications[-1].id)})
        except PositionMoved:
            self.log.warning("relay position moved under it (another relay?); continuing from the new one")
        self.log.debug("relayed", published=published, position=notifications[-1].id)
        return len(notifications)
