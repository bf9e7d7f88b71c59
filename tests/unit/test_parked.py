"""Parked events: kept with their error until an operator replays them."""
import uuid

from shared.messaging.parked import ParkedEvent, parked_id



def park(event_id="e-1") -> ParkedEvent:
    return ParkedEvent(id=parked_id(event_id), body={"event_id": event_id}, error="boom", attempts=5,
                       case_id=None, event_type="application.case.Filed")


def test_one_parked_record_per_event_id():
    assert parked_id("e-1") == parked_id("e-1") != parked_id("e-2")
    assert isinstance(parked_id(str(uuid.uuid4())), uuid.UUID)


def test_park_replay_and_park_again():
    parked = park()
    assert (parked.open, parked.replays, parked.attempts) == (True, 0, 5)
    parked.replay()
    assert (parked.open, parked.replays) == (False, 1)
    parked.park_again("still broken", 6)
    assert (parked.open, parked.error, parked.attempts, parked.replays) == (True, "still broken", 6, 1)


def test_parked_events_are_never_published():
    assert ParkedEvent.PUBLISHED is False
