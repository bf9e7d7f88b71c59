"""Parked events: inbound events that kept failing, kept with their error until an
operator has fixed the cause and replays them."""
from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.eventstore.aggregate import Stream

PARKED_NS = uuid5(NAMESPACE_URL, "urn:changping:parked-events")


def parked_id(event_id: str) -> UUID:
    return uuid5(PARKED_NS, str(event_id))


class ParkedEvent(Stream):
    PUBLISHED = False

    @event("Parked")
    def __init__(self, id: UUID, body: dict, error: str, attempts: int, case_id: str | None,  # noqa: A002
                 event_type: str | None):
        self.body, self.error, self.attempts = body, error, attempts
        self.case_id, self.event_type = case_id, event_type
        self.replays = 0
        self.open = True

    @event("ParkedAgain")
    def park_again(self, error: str, attempts: int):
        self.error, self.attempts, self.open = error, attempts, True

    @event("Replayed")
    def replay(self):
        self.replays += 1
        self.open = False
