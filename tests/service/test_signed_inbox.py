"""The inbox verifies an event's signature before anything else, on real stores: a refused event
is parked as `unsigned` or `forged` (within a bound), never applied, and the stream's tracking
does not move, so the genuine event with that sequence still applies."""
import json

import pytest

from services.application.app import ApplicationApplication
from services.registration import commands as registering
from services.registration.app import RegistrationApplication
from shared.messaging.inbox import Outcome
from shared.messaging.translate import envelopes_after
from shared.platform import inbox as inbox_module
from shared.platform.inbox import ForgeryBudget, _Receiver
from shared.platform.parking import PARKED
from tests.unit.unit_helpers import meta_for, unit_details


@pytest.fixture
def stores(store_for):
    return store_for("registration", RegistrationApplication), store_for("application", ApplicationApplication)


def registered(registration) -> dict:
    registration.app.handle(registering.RegisterUnit(**unit_details()), meta_for("contact-1", "unit_contact"))
    envelopes, _ = envelopes_after("registration", registration.app, 0, 100)
    return json.loads(json.dumps(envelopes[0]))          # as the broker delivers it


def parked(store) -> list[dict]:
    while store.projections.step():
        pass
    items, _ = store.views.find(PARKED, {"status": "parked"}, limit=100)
    return items


def test_a_forged_event_is_parked_and_the_genuine_one_still_applies(stores):
    registration, application = stores
    genuine = registered(registration)
    receiver = _Receiver(application, attempts=0, max_attempts=5)
    forged = {**genuine, "actor": {"actor_id": "intruder", "role": "officer", "unit_id": None}}

    assert receiver.receive(forged) is None
    assert receiver.receive({k: v for k, v in genuine.items() if k != "signature"}) is None
    assert application.inbox.applied_sequence(genuine) == 0          # tracking did not move
    refused = parked(application)
    assert sorted(item["reason"] for item in refused) == ["forged", "unsigned"]
    assert {item["event_id"] for item in refused} == {genuine["event_id"]}
    assert all(item["parked_id"] != item["event_id"] for item in refused)   # kept apart from the genuine id

    assert receiver.receive(genuine) is Outcome.APPLIED
    assert application.inbox.applied_sequence(genuine) == 1


def test_parking_refused_events_is_bounded(stores, monkeypatch):
    registration, application = stores
    genuine = registered(registration)
    budget = ForgeryBudget(per_hour=2)
    receiver = _Receiver(application, attempts=0, max_attempts=5, budget=budget)
    for n in range(5):
        receiver.receive({**genuine, "correlation_id": f"flood-{n}"})
    assert len(parked(application)) == 2
    assert (budget.parked, budget.dropped) == (2, 3)


def test_a_huge_forged_body_is_parked_as_its_digest(stores, monkeypatch):
    registration, application = stores
    monkeypatch.setattr(inbox_module, "MAX_PARKED_BODY_BYTES", 2_000)
    genuine = registered(registration)
    receiver = _Receiver(application, attempts=0, max_attempts=5)
    receiver.receive({**genuine, "padding": "x" * 10_000})
    [item] = parked(application)
    assert item["reason"] == "forged" and "padding" not in item["body"]
    assert item["body"]["not_kept"]["bytes"] > 10_000 and len(item["body"]["not_kept"]["sha256"]) == 64
