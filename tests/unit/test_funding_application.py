"""The funding Application on a real (SQLite) store: review's events through the inbox (both
AwardDecided versions), commands as actors, the read models, the deadline timer, and every
event it publishes checked against its contract. No broker."""
import uuid
from datetime import date, datetime, timezone

import pytest

from shared.clock import BEIJING
from shared.contracts.envelope import event_id_for
from shared.contracts.funding_events import FUNDING_PAYLOADS
from shared.errors import Refused
from shared.eventstore.projection import ProjectionRunner
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.identity import Identity
from shared.messaging.inbox import Inbox, Outcome
from shared.messaging.translate import envelopes_after

from services.funding import commands
from services.funding.app import FundingApplication
from services.funding.domain import idempotency_key
from services.funding.views import DISBURSEMENTS, FUNDING_CASES
from tests.unit.unit_helpers import meta_for, wire

UNIT = "00000000-0000-4000-8000-0000000000aa"
DECIDED_AT = datetime(2025, 1, 1, 10, 0, tzinfo=BEIJING)
AWARD = 150_000_000
OFFICER = Identity("officer-1", "officer")
CONTACT = Identity("contact-1", "unit_contact", UNIT)
OTHER_CONTACT = Identity("contact-9", "unit_contact", "00000000-0000-4000-8000-0000000000bb")
OFFICE = Identity("fo-1", "funding_officer")


def review_event(case_id, type_, payload, sequence, *, version=1, occurred_at=DECIDED_AT, actor="decider-1"):
    """A review event as funding's inbox receives it (validated like any delivery)."""
    return wire({
        "event_id": str(event_id_for("review", case_id, sequence)), "type": f"review.case_review.{type_}",
        "schema_version": version, "source": "review", "position": sequence, "stream_id": str(case_id),
        "sequence": sequence, "case_id": str(case_id), "occurred_at": occurred_at.isoformat(),
        "recorded_at": occurred_at.isoformat(), "actor": {"actor_id": actor, "role": "decision_maker",
                                                           "unit_id": None},
        "correlation_id": "corr-1", "causation_id": None, "command_id": None, "payload": payload})


def opened(case_id):
    return review_event(case_id, "Opened", {"programme": "A", "unit_id": UNIT}, 1, actor="system:review")


def decided_v2(case_id, award_fen=AWARD, national=False, effective_on=date(2025, 1, 1)):
    return review_event(case_id, "AwardDecided", {
        "award_fen": award_fen, "reason": "评审通过", "rule": "A.award.cap", "policy_edition": "changju-2024",
        "inputs": {"requested_fen": award_fen}, "category": "outstanding", "prior_changju_award_fen": 0,
        "national_or_beijing_talent": national, "effective_on": effective_on.isoformat()}, 2, version=2)


def decided_v1(case_id, occurred_at=DECIDED_AT):
    return review_event(case_id, "AwardDecided", {
        "award_fen": AWARD, "reason": "评审通过", "rule": "A.award.cap", "policy_edition": "changju-2024",
        "inputs": {"requested_fen": AWARD}}, 2, occurred_at=occurred_at)


@pytest.fixture
def funding(make_app, clock, tmp_path):
    clock.set(DECIDED_AT)
    app = make_app(FundingApplication)
    app.inbox = Inbox("funding", app, app.inbound_handlers())
    app.views = ViewStore(StoreSettings(service="funding", data_dir=str(tmp_path)).view_store_env())
    app.runner = ProjectionRunner(app, app.views, app.projections())
    yield app
    app.views.close()


def deliver(app, *envelopes):
    return [app.inbox.accept(e) for e in envelopes]


def decided_case(app, **kwargs) -> uuid.UUID:
    case_id = uuid.uuid4()
    assert deliver(app, opened(case_id), decided_v2(case_id, **kwargs)) == [Outcome.APPLIED] * 2
    return case_id


def published(app) -> list[dict]:
    """Every envelope the relay would publish, through JSON and validated by its contract."""
    envelopes, _ = envelopes_after("funding", app, 0, 10_000)
    return [wire(e) for e in envelopes]


def run(app, identity, command):
    """The command's result, handled as that actor at the business clock's time."""
    return app.handle(command, meta_for(identity.actor_id, identity.role, unit_id=identity.unit_id,
                                        at=app.clock.now())).result


def report(key: str, outcome: str, office_reference: str, attempt: int = 1, **more):
    """The funding office's report on a payment."""
    return commands.ReportPayment(idempotency_key=key, attempt=attempt, outcome=outcome,
                                  office_reference=office_reference, **more)


def view(app):
    while app.runner.step():
        pass
    return app.views


def test_a_v2_decision_grants_and_schedules_and_every_event_meets_its_contract(funding):
    case_id = decided_case(funding)
    envelopes = published(funding)
    assert [(e["type"].rsplit(".", 1)[1], e["schema_version"]) for e in envelopes] == [
        ("Opened", 2), ("EntitlementsGranted", 2), ("DeadlineSet", 1), ("DisbursementScheduled", 2)]
    assert envelopes[1]["payload"]["figures"]["rent_monthly_cap_fen"] == 1_500_000
    scheduled = envelopes[-1]
    assert scheduled["payload"]["case_id"] == case_id and scheduled["case_id"] == case_id
    assert scheduled["payload"]["idempotency_key"] == idempotency_key(case_id, "award", "once")
    assert scheduled["payload"]["inputs"]["cap_fen"] == 200_000_000
    assert scheduled["actor"]["actor_id"] == "system:funding"
    assert {e["correlation_id"] for e in envelopes[1:]} == {"corr-1"}
    doc = view(funding).get(FUNDING_CASES, str(case_id))
    assert doc["unit_id"] == UNIT and doc["decision"]["decided_by"] == "decider-1"
    assert doc["deadlines"]["commitment"] == {"due_on": "2028-01-01", "starts_on": "2025-01-01",
                                              "rule": "A.commitment.years", "clause": "二(一)2(4)",
                                              "status": "pending"}
    assert doc["next_due_on"] == "2028-01-01"


def test_a_v1_decision_is_upcast_to_an_outstanding_first_award_starting_on_its_beijing_date(funding):
    case_id = uuid.uuid4()
    late_evening_utc = datetime(2025, 1, 1, 17, 30, tzinfo=timezone.utc)     # already 2 January in Beijing
    deliver(funding, opened(case_id), decided_v1(case_id, occurred_at=late_evening_utc))
    case = funding.funding(case_id)
    assert case.decision["effective_on"] == date(2025, 1, 2)
    assert (case.decision["category"], case.decision["prior_changju_award_fen"],
            case.decision["national_or_beijing_talent"]) == ("outstanding", 0, False)
    assert case.scheduled == {idempotency_key(case_id, "award", "once"): AWARD}


def test_a_redelivered_decision_changes_nothing(funding):
    case_id = decided_case(funding)
    position = funding.position()
    assert deliver(funding, opened(case_id), decided_v2(case_id)) == [Outcome.DUPLICATE] * 2
    assert funding.position() == position


def test_a_unit_contact_chooses_housing_for_their_own_units_case_only(funding):
    case_id = decided_case(funding)
    with pytest.raises(Refused) as caught:
        run(funding, OTHER_CONTACT, commands.ChooseHousing(case_id=case_id, choice="flat"))
    assert caught.value.rule == "roles.own_unit"
    result = run(funding, CONTACT, commands.ChooseHousing(case_id=case_id, choice="rent_subsidy",
                                                          monthly_rent_fen=1_600_000, starts_on=date(2025, 1, 1)))
    assert result["housing"]["monthly_rent_fen"] == 1_600_000
    assert result["scheduled"] == [idempotency_key(case_id, "award", "once"),
                                   idempotency_key(case_id, "rent_subsidy", "2025-01")]
    items, total = view(funding).find(DISBURSEMENTS, {"case_id": str(case_id)}, order_by="due_on")
    assert total == 2 and {i["amount_fen"] for i in items} == {AWARD, 1_500_000}


def test_the_timer_releases_due_instalments_and_fires_missed_deadlines_once(funding, clock):
    case_id = decided_case(funding)
    run(funding, OFFICER, commands.ChooseHousing(case_id=case_id, choice="rent_subsidy",
                                                 monthly_rent_fen=1_000_000, starts_on=date(2025, 1, 1)))
    other = decided_case(funding, award_fen=0, national=True)
    views = view(funding)
    clock.set(datetime(2025, 3, 1, 0, 5, tzinfo=BEIJING))
    due = funding.due_case_ids(views, clock.today())
    assert due == [str(case_id)]                                   # the national case has nothing due yet
    assert funding.fire_due(due) == {"today": "2025-03-01", "cases": {str(case_id): 2}}
    assert funding.fire_due(due) == {"today": "2025-03-01", "cases": {}}     # twice: nothing more
    doc = view(funding).get(FUNDING_CASES, str(case_id))
    assert doc["next_due_on"] == "2025-04-01"                      # April's rent
    clock.set(datetime(2031, 1, 1, tzinfo=BEIJING))                # down for years
    view(funding)
    due = funding.due_case_ids(views, clock.today())
    assert sorted(due) == sorted([str(case_id), str(other)])
    fired = funding.fire_due(due)["cases"]
    assert fired == {str(case_id): 33 + 2, str(other): 2}         # the other 33 months, rent + commitment ends
    assert funding.fire_due(due)["cases"] == {}
    assert funding.due_case_ids(view(funding), clock.today()) == []
    reached = [e for e in published(funding) if e["type"].endswith("DeadlineReached")]
    assert sorted((e["case_id"], e["payload"]["deadline"]) for e in reached) == sorted([
        (case_id, "rent_subsidy"), (case_id, "commitment"), (other, "service_money"), (other, "commitment")])
    assert {e["actor"]["actor_id"] for e in reached} == {"system:funding"}
    rent = [e for e in published(funding) if e["payload"].get("obligation_id") == "rent_subsidy"
            and e["type"].endswith("DisbursementScheduled")]
    assert len(rent) == 36 and max(e["payload"]["period_ends_on"] for e in rent) == date(2027, 12, 31)


def test_a_whole_case_publishes_every_funding_event_type_under_its_contract(funding, clock):
    rent_case = decided_case(funding)
    award_key = idempotency_key(rent_case, "award", "once")
    run(funding, OFFICER, commands.ChooseHousing(case_id=rent_case, choice="rent_subsidy",
                                                 monthly_rent_fen=1_000_000, starts_on=date(2025, 1, 1)))
    run(funding, OFFICE, commands.ReportPayment(idempotency_key=award_key, attempt=1, outcome="failed",
                                                office_reference="bank-1", reason="wrong account"))
    run(funding, OFFICE, commands.RetryDisbursement(idempotency_key=award_key, reason="account corrected"))
    run(funding, OFFICE, commands.ReportPayment(idempotency_key=award_key, attempt=2, outcome="paid",
                                                office_reference="bank-2"))
    clock.set(datetime(2025, 3, 1, 9, tzinfo=BEIJING))
    funding.fire_due([rent_case])
    for period in ("2025-01", "2025-02"):
        run(funding, OFFICE, report(idempotency_key(rent_case, "rent_subsidy", period), "paid", f"bank-{period}"))
    clock.set(datetime(2025, 3, 10, 9, tzinfo=BEIJING))
    ended = run(funding, OFFICER, commands.EndEarly(case_id=rent_case, ended_on=date(2025, 2, 14),
                                                    reason="left Changping"))
    assert ended["recovered_fen"] == 500_000
    run(funding, OFFICE, report(idempotency_key(rent_case, "rent_subsidy", "2025-02"), "returned", "bank-r"))
    service_case = decided_case(funding, award_fen=0, national=True)
    claimed = run(funding, CONTACT, commands.ClaimServiceMoney(case_id=service_case, spent_on=date(2025, 3, 1),
                                                               amount_fen=2_000_000, purpose="training",
                                                                   document_ref="invoice-1"))
    assert claimed["approved_fen"] == 2_000_000
    clock.set(datetime(2028, 1, 2, tzinfo=BEIJING))
    funding.fire_due([service_case])
    run(funding, OFFICE, commands.RecordBudget(programme="A", year=2028, obligation="award", amount_fen=0,
                                               edition="昌财〔2028〕1号", reason="no award money this year"))
    declined_case = uuid.uuid4()
    assert deliver(funding, opened(declined_case), decided_v2(declined_case)) == [Outcome.APPLIED] * 2

    types = {(e["type"], e["schema_version"]) for e in published(funding)}   # each validated by wire()
    current = {(t, max(v for t2, v in FUNDING_PAYLOADS if t2 == t)) for t, _ in FUNDING_PAYLOADS
               if t.startswith("funding.case_funding.")}     # programme B's: test_funding_b_application.py
    assert types == current

    views = view(funding)
    award = views.get(DISBURSEMENTS, award_key)
    assert (award["status"], award["attempt"], [a["status"] for a in award["attempts"]]) == ("paid", 2,
                                                                                           ["failed", "paid"])
    assert award["attempts"][1]["office_reference"] == "bank-2"
    february = views.get(DISBURSEMENTS, idempotency_key(rent_case, "rent_subsidy", "2025-02"))
    assert february["status"] == "returned" and february["recovery"]["status"] == "withdrawn"
    march = views.get(DISBURSEMENTS, idempotency_key(rent_case, "rent_subsidy", "2025-03"))
    assert march["status"] == "cancelled" and not march["unpaid"]
    case_doc = views.get(FUNDING_CASES, str(rent_case))
    assert case_doc["ended"]["ended_on"] == "2025-02-14" and case_doc["next_due_on"] is None
    assert case_doc["deadlines"]["commitment"]["status"] == "cancelled"
    unpaid, total = views.find(DISBURSEMENTS, {"unpaid": True}, order_by="due_on")
    assert total == 1 and unpaid[0]["obligation_id"] == "service_money" and unpaid[0]["payee_ref"] == f"unit:{UNIT}"
    service_doc = views.get(FUNDING_CASES, str(service_case))
    assert service_doc["service_money"]["approved_fen_by_year"] == {"1": 2_000_000}
    assert service_doc["deadlines"]["service_money"]["status"] == "reached"


def test_a_rebuilt_read_model_is_the_same(funding):
    case_id = decided_case(funding)
    run(funding, OFFICER, commands.ChooseHousing(case_id=case_id, choice="rent_subsidy",
                                                 monthly_rent_fen=1_000_000, starts_on=date(2025, 1, 1)))
    views = view(funding)
    before = (views.get(FUNDING_CASES, str(case_id)), views.find(DISBURSEMENTS, order_by="due_on"))
    for name in ("funding_cases", "disbursements"):
        funding.runner.rebuild(name)
    assert (views.get(FUNDING_CASES, str(case_id)), views.find(DISBURSEMENTS, order_by="due_on")) == before
