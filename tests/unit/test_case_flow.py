"""One case through all four services, in process: each service's envelopes, as the relay
would publish them, fed to the inboxes of the services that follow it (no broker)."""
import uuid
from datetime import date, timedelta

import pytest

from shared.errors import NotYet, Refused
from shared.messaging.inbox import Inbox, Outcome
from shared.messaging.topology import FOLLOWS
from shared.messaging.translate import envelopes_after

from services import samples
from services.application import commands as filing
from services.application.app import ApplicationApplication
from services.funding.app import FundingApplication
from services.funding.domain import idempotency_key
from services.registration import commands as registering
from services.registration.app import RegistrationApplication
from services.review import commands as reviewing
from services.review.app import ReviewApplication
from tests.unit.unit_helpers import START, handled, unit_details, wire

AWARD_FEN = 150_000_000


class Cluster:
    def __init__(self, make_app):
        self.apps = {cls.name: make_app(cls) for cls in (RegistrationApplication, ApplicationApplication,
                                                         ReviewApplication, FundingApplication)}
        self.inboxes = {name: Inbox(name, app, app.inbound_handlers()) for name, app in self.apps.items()}

    def __getattr__(self, name):
        return self.apps[name]

    def published(self, source: str) -> list[dict]:
        envelopes, _ = envelopes_after(source, self.apps[source], 0, 10_000)
        return [wire(e) for e in envelopes]

    def deliver(self, source: str, consumer: str) -> list[Outcome]:
        return [self.inboxes[consumer].accept(e) for e in self.published(source)]

    def settle(self):
        """Deliver everything everywhere until nothing new is applied (what the broker would do)."""
        while True:
            outcomes = [o for consumer, sources in FOLLOWS.items() for source in sources
                        for o in self._deliver_patiently(source, consumer)]
            if Outcome.APPLIED not in outcomes:
                return

    def _deliver_patiently(self, source, consumer):
        outcomes = []
        for envelope in self.published(source):
            try:
                outcomes.append(self.inboxes[consumer].accept(envelope))
            except NotYet:
                outcomes.append(Outcome.WAITING)
        return outcomes


@pytest.fixture
def cluster(make_app):
    return Cluster(make_app)


def approved_unit(cluster) -> uuid.UUID:
    reg = cluster.registration
    unit_id = uuid.UUID(handled(reg, registering.RegisterUnit(**unit_details()), "contact-1", "unit_contact")["unit_id"])
    handled(reg, registering.AuditUnit(unit_id=unit_id, outcome="approve", reason="材料齐全"))
    cluster.settle()
    return unit_id


FORM = {"talent": {**samples.talent(), "birth_date": date(1972, 3, 15)}, "category": "outstanding",
        "claims": [{**samples.claims()[0], "achieved_on": date(2022, 11, 3)}]}
SUBMITTED = ["Filed", "RegistrationReferenced", "TalentDeclared", "DocumentsAttached", "Submitted"]


def filed_case(cluster, unit_id) -> uuid.UUID:
    """Filed with the sample form and documents, and submitted."""
    app, contact = cluster.application, ("contact-1", "unit_contact")
    written = handled(app, filing.FileCase(unit_id=unit_id, programme="A", title="杰出人才申报", **FORM,
                                           documents=samples.case_documents()), *contact, unit_id=str(unit_id))
    case_id = uuid.UUID(written["case_id"])
    handled(app, filing.Submit(case_id=case_id), *contact, unit_id=str(unit_id))
    cluster.settle()
    return case_id


def audit(cluster, case_id) -> None:
    handled(cluster.review, reviewing.ApproveAudit(case_id=case_id, reason="合规"))
    cluster.settle()


def ready_for_decision(cluster) -> uuid.UUID:
    case_id = filed_case(cluster, approved_unit(cluster))
    audit(cluster, case_id)
    app, review = cluster.application, cluster.review
    handled(app, filing.RecordPaperDelivery(case_id=case_id, delivery=samples.paper_delivery()), "officer-2")
    cluster.settle()
    handled(review, reviewing.Score(case_id=case_id, score=90, opinion="成果突出"), "reviewer-1", "reviewer")
    return case_id


def decided_case(cluster, award_fen: int = AWARD_FEN) -> uuid.UUID:
    case_id = ready_for_decision(cluster)
    handled(cluster.review, reviewing.DecideAward(case_id=case_id, award_fen=award_fen, reason="评审通过"),
            "decider-1", "decision_maker")
    return case_id


def test_a_case_walks_through_all_four_services(cluster):
    case_id = decided_case(cluster)
    cluster.settle()

    history = cluster.application.history(case_id)
    assert [h["type"] for h in history] == [*SUBMITTED, "AuditRecorded", "PaperDeliveryRecorded",
                                            "DecisionRecorded", "FundingRecorded", "DisbursementRecorded"]
    assert history[-2]["data"]["summary"] == "entitlements granted"
    assert [h["sequence"] for h in history] == list(range(1, len(history) + 1))
    assert cluster.application.case(case_id).status == "disbursement_scheduled"
    assert cluster.funding.repository.get(case_id).scheduled == {
        idempotency_key(case_id, "award", "once"): AWARD_FEN}


def test_every_case_entry_points_at_the_event_that_caused_it(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    published = {e["event_id"]: e for source in ("registration", "review", "funding")
                 for e in cluster.published(source)}
    caused = [e for e in cluster.application.history(case_id) if "source" in e["data"]]
    assert len(caused) >= 4
    for entry in caused:
        source = entry["data"]["source"]
        cause = published[source["event_id"]]
        assert (source["service"], source["type"], source["sequence"]) == (cause["source"], cause["type"],
                                                                          cause["sequence"])
    milestones = caused[1:]
    assert {m["recorded_by"]["actor_id"] for m in milestones} == {"system:application"}
    assert all(m["causation_id"] == str(m["data"]["source"]["event_id"]) for m in milestones)
    # the actor is who acted in the source service, as its envelope names them
    assert [m["actor"] == published[m["source"]["event_id"]]["actor"] for m in milestones] == [True] * len(milestones)


def test_redelivering_everything_changes_nothing(cluster):
    decided_case(cluster)
    cluster.settle()
    positions = {name: app.position() for name, app in cluster.apps.items()}
    for consumer, sources in FOLLOWS.items():
        for source in sources:
            assert set(cluster.deliver(source, consumer)) <= {Outcome.DUPLICATE}
    assert {name: app.position() for name, app in cluster.apps.items()} == positions


def test_a_disbursement_before_the_decision_waits_for_it(cluster):
    """Funding's event can overtake review's: the application must not record it first."""
    case_id = decided_case(cluster)
    cluster.deliver("review", "funding")                     # funding grants and schedules the award ...
    first = cluster.published("funding")[1]
    assert first["type"] == "funding.case_funding.EntitlementsGranted"
    case_version = cluster.application.case(case_id).version
    application_inbox = cluster.inboxes["application"]
    application_inbox.accept(cluster.published("funding")[0])     # Opened: nothing to record
    with pytest.raises(NotYet):                              # ... before application heard of the decision
        application_inbox.accept(first)
    assert cluster.application.case(case_id).version == case_version
    cluster.deliver("review", "application")
    assert application_inbox.accept(first) is Outcome.APPLIED
    cluster.settle()
    assert cluster.application.case(case_id).status == "disbursement_scheduled"


def test_a_zero_award_reaches_the_case_but_schedules_nothing(cluster):
    case_id = decided_case(cluster, 0)
    cluster.settle()
    assert cluster.funding.repository.get(case_id).scheduled == {}
    assert cluster.application.case(case_id).status == "award_decided"


def test_a_case_cannot_be_filed_for_a_unit_still_pending(cluster):
    reg, app = cluster.registration, cluster.application
    unit_id = uuid.UUID(handled(reg, registering.RegisterUnit(**unit_details()), "contact-1", "unit_contact")["unit_id"])
    cluster.settle()

    def file(unit):
        with pytest.raises(Refused) as caught:
            handled(app, filing.FileCase(unit_id=unit, programme="A", title="杰出人才申报"), "contact-1",
                    "unit_contact", unit_id=str(unit))
        return caught.value

    assert file(unit_id).rule == "A.unit.approved"
    handled(reg, registering.AuditUnit(unit_id=unit_id, outcome="return", reason="营业执照不清晰"))
    cluster.settle()
    assert file(unit_id).rule == "A.unit.approved"
    assert file(uuid.uuid4()).code == "not_found"


def test_the_same_unit_cannot_register_twice(cluster):
    reg = cluster.registration
    handled(reg, registering.RegisterUnit(**unit_details()), "contact-1", "unit_contact")
    with pytest.raises(Refused) as caught:
        handled(reg, registering.RegisterUnit(**unit_details()), "contact-2", "unit_contact")
    assert (caught.value.code, caught.value.rule) == ("conflict", "registration.unique")


def test_funding_dates_the_disbursement_by_the_business_clock(cluster, clock):
    case_id = decided_case(cluster)
    clock.advance(days=40)
    cluster.settle()
    scheduled = cluster.published("funding")[-1]
    assert scheduled["payload"]["due_on"] == clock.today()
    assert scheduled["case_id"] == case_id


def test_history_entries_carry_business_and_record_time(cluster, clock):
    case_id = filed_case(cluster, approved_unit(cluster))
    clock.advance(days=10)
    audit(cluster, case_id)
    filed, *_, audited = cluster.application.history(case_id)
    assert filed["occurred_at"] == START.isoformat()
    assert audited["occurred_at"] == (START + timedelta(days=10)).isoformat()
    assert filed["actor"]["actor_id"] == "contact-1"


def test_history_as_of_a_business_moment(cluster, clock):
    """The entries that had occurred by a business moment: here filing, not the audit ten days later."""
    case_id = filed_case(cluster, approved_unit(cluster))
    clock.advance(days=10)
    audit(cluster, case_id)
    as_of = START + timedelta(days=5)
    assert [h["type"] for h in cluster.application.history(case_id, as_of)] == SUBMITTED
