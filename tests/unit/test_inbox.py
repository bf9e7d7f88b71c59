"""The inbox: each inbound event has its effect once, in its stream's order."""
import uuid

import pytest
from eventsourcing.domain import event

from shared.eventstore.aggregate import Stream
from shared.messaging.inbox import Inbox, Outcome, source_ref, tracking_name
from shared.messaging.translate import to_envelope

from services.application import commands as filing
from services.application.app import ApplicationApplication
from services.registration import commands as registering
from services.application.domain import Case, UnitStanding
from services.registration.app import RegistrationApplication
from services.review.app import ReviewApplication
from services.review.domain import CaseReview
from tests.unit.unit_helpers import START, envelope, handled, unit_details, wire


class Effects(Stream):
    """What a test handler records: the inbound sequences, in the order they took effect."""
    PUBLISHED = False

    @event("Started")
    def __init__(self, id):  # noqa: A002
        self.sequences: list[int] = []

    @event("Noted")
    def note(self, sequence: int, causation_id: str | None, actor_id: str):
        self.sequences.append(sequence)


FILED = "application.case.Filed"


def filed(case_id, sequence, **kwargs) -> dict:
    payload = {"programme": "A", "unit_id": str(uuid.uuid4()), "title": "杰出人才申报"}
    return envelope(FILED, payload, stream_id=case_id, case_id=case_id, sequence=sequence, **kwargs)


@pytest.fixture
def review(make_app):
    return make_app(ReviewApplication)


@pytest.fixture
def effects_inbox(review):
    """An inbox on a real store whose handler notes each sequence on one Effects aggregate per stream."""
    def note(env, uow):
        effects = uow.find(env["stream_id"])
        if effects is None:
            effects = Effects(id=env["stream_id"])
            uow.add(effects)
        effects.note(sequence=env["sequence"], causation_id=uow.meta.causation_id, actor_id=uow.actor.actor_id)
    return Inbox("review", review, {FILED: note})


def test_the_next_event_is_applied(review):
    inbox = Inbox("review", review, review.inbound_handlers())
    case_id = uuid.uuid4()
    assert inbox.accept(filed(case_id, 1)) is Outcome.APPLIED
    opened = review.repository.get(case_id)
    assert isinstance(opened, CaseReview) and opened.status == "draft"
    assert inbox.applied_sequence(filed(case_id, 1)) == 1


def test_a_repeated_event_is_a_duplicate_and_changes_nothing(review):
    inbox = Inbox("review", review, review.inbound_handlers())
    case_id = uuid.uuid4()
    first = filed(case_id, 1)
    inbox.accept(first)
    position = review.position()
    assert inbox.accept(first) is Outcome.DUPLICATE
    assert review.position() == position
    assert review.repository.get(case_id).version == 1


def test_a_gap_waits_and_the_stream_takes_effect_in_order(review, effects_inbox):
    case_id = uuid.uuid4()
    position = review.position()
    assert effects_inbox.accept(filed(case_id, 3)) is Outcome.WAITING
    assert review.position() == position                  # nothing recorded while waiting
    assert effects_inbox.accept(filed(case_id, 1)) is Outcome.APPLIED
    assert effects_inbox.accept(filed(case_id, 3)) is Outcome.WAITING
    assert effects_inbox.accept(filed(case_id, 2)) is Outcome.APPLIED
    assert effects_inbox.accept(filed(case_id, 3)) is Outcome.APPLIED
    assert effects_inbox.accept(filed(case_id, 2)) is Outcome.DUPLICATE
    assert review.repository.get(case_id).sequences == [1, 2, 3]


def test_streams_are_tracked_separately(review, effects_inbox):
    first, second = uuid.uuid4(), uuid.uuid4()
    assert effects_inbox.accept(filed(first, 1)) is Outcome.APPLIED
    assert effects_inbox.accept(filed(second, 1)) is Outcome.APPLIED
    assert effects_inbox.accept(filed(second, 2)) is Outcome.APPLIED
    assert effects_inbox.accept(filed(first, 3)) is Outcome.WAITING
    assert review.repository.get(first).sequences == [1]
    assert review.repository.get(second).sequences == [1, 2]


def test_source_ref_names_the_inbound_event():
    inbound = filed(uuid.uuid4(), 1)
    assert source_ref(inbound) == {"service": "application", "event_id": inbound["event_id"], "type": FILED,
                                   "position": 1, "sequence": 1, "occurred_at": inbound["occurred_at"]}


def test_the_same_stream_id_from_another_source_is_another_stream():
    stream = uuid.uuid4()
    a = {"source": "application", "stream_id": stream}
    r = {"source": "review", "stream_id": stream}
    assert tracking_name(a) != tracking_name(r)


def test_an_event_without_a_handler_is_ignored_but_advances_the_sequence(review, effects_inbox):
    case_id = uuid.uuid4()
    effects_inbox.accept(filed(case_id, 1))
    position = review.position()
    source = {"service": "registration", "event_id": str(uuid.uuid4()), "type": "registration.unit.Approved",
              "position": 2, "sequence": 2, "occurred_at": START.isoformat()}
    milestone = envelope("application.case.RegistrationReferenced", {"unit_id": str(uuid.uuid4()), "source": source},
                         stream_id=case_id, case_id=case_id, sequence=2)
    assert effects_inbox.accept(milestone) is Outcome.IGNORED
    assert review.position() == position
    assert effects_inbox.applied_sequence(milestone) == 2
    assert effects_inbox.accept(filed(case_id, 3)) is Outcome.APPLIED   # the stream is not stuck
    assert review.repository.get(case_id).sequences == [1, 3]


def test_effects_are_recorded_as_the_system_actor_caused_by_the_event(review, effects_inbox):
    case_id = uuid.uuid4()
    inbound = filed(case_id, 1)
    effects_inbox.accept(inbound)
    recorded = list(review.events.get(case_id))
    assert {e.meta["actor"]["actor_id"] for e in recorded} == {"system:review"}
    assert {e.meta["causation_id"] for e in recorded} == {str(inbound["event_id"])}
    assert {e.meta["correlation_id"] for e in recorded} == {inbound["correlation_id"]}


def test_a_failing_handler_records_nothing_and_the_event_can_be_retried(review):
    case_id = uuid.uuid4()
    calls = []

    def flaky(env, uow):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("downstream hiccup")
        uow.add(CaseReview(id=env["case_id"], programme="A", unit_id=env["payload"]["unit_id"]))

    inbox = Inbox("review", review, {FILED: flaky})
    with pytest.raises(RuntimeError):
        inbox.accept(filed(case_id, 1))
    assert inbox.applied_sequence(filed(case_id, 1)) == 0
    assert inbox.accept(filed(case_id, 1)) is Outcome.APPLIED


def test_another_process_applying_the_event_first_makes_ours_a_duplicate(make_app):
    """Two processes on one store take the same event: the tracking row lets only one apply it."""
    ours = make_app(ReviewApplication)
    theirs_app = make_app(ReviewApplication)          # same SQLite file: another process
    theirs = Inbox("review", theirs_app, theirs_app.inbound_handlers())
    case_id = uuid.uuid4()
    inbound = filed(case_id, 1)
    calls = []

    def racing(env, uow):
        calls.append(1)
        if len(calls) == 1:
            assert theirs.accept(env) is Outcome.APPLIED      # they win while we decide
        uow.add(CaseReview(id=env["case_id"], programme="A", unit_id=env["payload"]["unit_id"]))

    assert Inbox("review", ours, {FILED: racing}).accept(inbound) is Outcome.DUPLICATE
    assert ours.repository.get(case_id).version == 1
    assert len(list(ours.events.get(case_id))) == 1


def test_envelopes_from_a_real_source_drive_the_application_inbox(make_app):
    """Registration's events, as the relay would send them, build the application's unit standing."""
    registration = make_app(RegistrationApplication)
    application = make_app(ApplicationApplication)
    unit_id = uuid.UUID(handled(registration, registering.RegisterUnit(**unit_details()), "c", "unit_contact")["unit_id"])
    handled(registration, registering.AuditUnit(unit_id=unit_id, outcome="approve", reason="ok"))
    envelopes = [wire(e) for n in registration.recorder.select_notifications(start=1, limit=10)
                 if (e := to_envelope("registration", registration, n)) is not None]
    registered, approved = envelopes

    inbox = Inbox("application", application, application.inbound_handlers())
    assert inbox.accept(approved) is Outcome.WAITING
    assert inbox.accept(registered) is Outcome.APPLIED
    assert inbox.accept(approved) is Outcome.APPLIED
    standing = application.repository.get(unit_id)
    assert isinstance(standing, UnitStanding) and standing.status == "approved"
    assert standing.approval["event_id"] == approved["event_id"]
    assert standing.approval["service"] == "registration"

    written = handled(application, filing.FileCase(unit_id=unit_id, programme="A", title="杰出人才申报"),
                      "c", "unit_contact", unit_id=str(unit_id))
    case = application.repository.get(uuid.UUID(written["case_id"]))
    assert isinstance(case, Case) and case.milestones == ["registration"]
