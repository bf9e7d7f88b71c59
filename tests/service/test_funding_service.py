"""The funding service's entrypoints: with nameko's worker_factory on a real store (roles,
payload validation, refusals naming their rule, queries), and in a real container on a
throwaway vhost (the RPCs and the deadline timer, on a frozen ScaledClock)."""
import uuid
from datetime import datetime

import pytest
from nameko.testing.services import entrypoint_hook, worker_factory

from shared.clock import BEIJING, ManualClock, ScaledClock
from shared.contracts.envelope import event_id_for, load_envelope
from shared.errors import ServiceError
from shared.identity import Identity, verify_token
from shared.messaging.inbox import Outcome
from shared.platform.store import EventStore
from shared.platform.timers import ConfigTimer

from services.funding.app import FundingApplication
from services.funding.domain import idempotency_key
from services.funding.service import FundingService
from tests.service.conftest import service_config, token, trusted

UNIT = "00000000-0000-4000-8000-0000000000aa"
OTHER_UNIT = "00000000-0000-4000-8000-0000000000bb"
DECIDED_AT = datetime(2025, 1, 1, 10, 0, tzinfo=BEIJING)
AWARD = 150_000_000


class FakeRequest:
    """Stands in for the Request dependency: the token and correlation a call would carry."""

    def __init__(self, token, entrypoint):
        self.token, self.entrypoint, self.correlation_id = token, entrypoint, "corr-funding"

    def identity(self) -> Identity:
        return verify_token(self.token, trusted())


def review_event(case_id, type_, payload, sequence, version=1, actor="decider-1"):
    return load_envelope({
        "event_id": str(event_id_for("review", case_id, sequence)), "type": f"review.case_review.{type_}",
        "schema_version": version, "source": "review", "position": sequence, "stream_id": str(case_id),
        "sequence": sequence, "case_id": str(case_id), "occurred_at": DECIDED_AT.isoformat(),
        "recorded_at": DECIDED_AT.isoformat(), "actor": {"actor_id": actor, "role": "decision_maker", "unit_id": None},
        "correlation_id": "corr-review", "causation_id": None, "command_id": None, "payload": payload})


def decide(store, award_fen=AWARD, national=False) -> str:
    case_id = uuid.uuid4()
    outcomes = [store.inbox.accept(review_event(case_id, "Opened", {"programme": "A", "unit_id": UNIT}, 1,
                                                actor="system:review")),
                store.inbox.accept(review_event(case_id, "AwardDecided", {
                    "award_fen": award_fen, "reason": "评审通过", "rule": "A.award.cap",
                    "policy_edition": "changju-2024", "inputs": {}, "category": "outstanding",
                    "prior_changju_award_fen": 0, "national_or_beijing_talent": national,
                    "effective_on": "2025-01-01"}, 2, version=2))]
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    return str(case_id)


@pytest.fixture
def funding(store_for):
    store = store_for("funding", FundingApplication)
    store.app.clock = ManualClock(DECIDED_AT)

    def service(actor="officer-1", role="officer", entrypoint="entitlements", unit_id=None):
        store.projections.follower.wake = store.projections.step     # what the running follower does when woken
        while store.projections.step():
            pass
        return worker_factory(FundingService, store=store,
                              request=FakeRequest(token(actor, role, unit_id), entrypoint))
    service.store = store
    return service


def refusal(call, **payload) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(**payload)
    return caught.value


def test_housing_is_chosen_by_an_officer_or_the_units_own_contact(funding):
    case_id = decide(funding.store)
    other = funding("contact-9", "unit_contact", "choose_housing", unit_id=OTHER_UNIT)
    assert refusal(other.choose_housing, command_id="cmd-h0000001", case_id=case_id, choice="flat").rule == \
        "roles.own_unit"
    assert refusal(funding("fo-1", "funding_officer").choose_housing, command_id="cmd-h0000002",
                   case_id=case_id, choice="flat").code == "forbidden"
    contact = funding("contact-1", "unit_contact", "choose_housing", unit_id=UNIT)
    chosen = contact.choose_housing(command_id="cmd-h0000003", case_id=case_id, choice="rent_subsidy",
                                    monthly_rent_fen=1_500_100, starts_on="2025-01-01")
    assert chosen["scheduled"][-1] == idempotency_key(case_id, "rent_subsidy", "2025-01")
    again = contact.choose_housing(command_id="cmd-h0000003", case_id=case_id, choice="rent_subsidy",
                                   monthly_rent_fen=1_500_100, starts_on="2025-01-01")
    assert again["replayed"] is True                                    # the same command id: the first result
    entitlements = funding("contact-1", "unit_contact", unit_id=UNIT).entitlements(case_id=case_id)
    rent = next(e for e in entitlements["entitlements"] if e["code"] == "rent_subsidy")
    assert (rent["status"], rent["amount_fen"], rent["computation"]["rule"]) == ("granted", 1_500_000, "A.rent.cap")
    assert rent["computation"]["inputs"]["monthly_rent_paid_fen"] == 1_500_100
    assert entitlements["deadlines"]["rent_subsidy"]["due_on"] == "2028-01-01"
    assert refusal(funding("contact-9", "unit_contact", unit_id=OTHER_UNIT).entitlements,
                   case_id=case_id).rule == "roles.own_unit"


@pytest.mark.parametrize("payload, field", [
    ({"choice": "rent_subsidy", "starts_on": "2025-01-01"}, "monthly_rent_fen"),
    ({"choice": "rent_subsidy", "monthly_rent_fen": 100}, "starts_on"),
    ({"choice": "rent_subsidy", "monthly_rent_fen": 0, "starts_on": "2025-01-01"}, "monthly_rent_fen"),
    ({"choice": "rent_subsidy", "monthly_rent_fen": 100.5, "starts_on": "2025-01-01"}, "monthly_rent_fen"),
    ({"choice": "flat", "monthly_rent_fen": 100}, "monthly_rent_fen"),
    ({"choice": "villa"}, "choice"),
    ({"choice": "flat", "colour": "green"}, "colour"),
])
def test_a_bad_housing_payload_names_its_field(funding, payload, field):
    error = refusal(funding(entrypoint="choose_housing").choose_housing, command_id="cmd-h0000010",
                    case_id=str(uuid.uuid4()), **payload)
    assert error.code == "validation_error" and field in error.fields


def test_service_money_claims_and_their_refusals(funding):
    national = decide(funding.store, award_fen=0, national=True)
    awarded = decide(funding.store)
    funding.store.app.clock.set(datetime(2025, 3, 10, 9, tzinfo=BEIJING))
    officer = funding(entrypoint="claim_service_money")
    approved = officer.claim_service_money(command_id="cmd-s0000001", case_id=national, spent_on="2025-03-01",
                                           amount_fen=6_000_000, purpose="training", document_ref="invoice-1")
    assert (approved["approved_fen"], approved["claimed_fen"], approved["year_index"]) == (5_000_000, 6_000_000, 1)
    assert refusal(officer.claim_service_money, command_id="cmd-s0000002", case_id=national, spent_on="2025-03-02",
                   amount_fen=1, purpose="training", document_ref="invoice-2").rule == "A.service_money.exhausted"
    assert refusal(officer.claim_service_money, command_id="cmd-s0000003", case_id=awarded, spent_on="2025-03-02",
                   amount_fen=1, purpose="training",
                   document_ref="invoice-3").rule == "A.service_money.excluded_after_award"
    error = refusal(officer.claim_service_money, command_id="cmd-s0000004", case_id=national, spent_on="03/02/2025",
                    amount_fen=1, purpose="training", document_ref="invoice-4")
    assert error.code == "validation_error" and "spent_on" in error.fields


def test_the_funding_office_reports_retries_and_never_pays_twice(funding):
    case_id = decide(funding.store)
    key = idempotency_key(case_id, "award", "once")
    office = funding("fo-1", "funding_officer", "report_payment")
    failed = office.report_payment(command_id="cmd-p0000001", idempotency_key=key, attempt=1, outcome="failed",
                                   office_reference="bank-1", reason="account closed")
    assert (failed["status"], failed["attempt"]) == ("failed", 1)
    retried = funding("fo-1", "funding_officer", "retry_disbursement").retry_disbursement(
        command_id="cmd-p0000002", idempotency_key=key, reason="new account")
    assert (retried["status"], retried["attempt"]) == ("retried", 2)
    paid = office.report_payment(command_id="cmd-p0000003", idempotency_key=key, attempt=2, outcome="paid",
                                 office_reference="bank-2")
    assert paid["status"] == "paid"
    repeated = office.report_payment(command_id="cmd-p0000003", idempotency_key=key, attempt=2, outcome="paid",
                                     office_reference="bank-2")
    assert repeated["replayed"] is True and repeated["status"] == "paid"
    assert refusal(office.report_payment, command_id="cmd-p0000004", idempotency_key=key, attempt=2,
                   outcome="paid", office_reference="bank-3").rule == "funding.payment.paid_once"
    decider = funding("decider-1", "funding_officer", "report_payment")
    assert refusal(decider.report_payment, command_id="cmd-p0000005", idempotency_key=key, attempt=2,
                   outcome="returned", office_reference="bank-4").rule == "separation_of_duties.decide_release"
    assert refusal(funding(entrypoint="report_payment").report_payment, command_id="cmd-p0000006",
                   idempotency_key=key, attempt=2, outcome="returned", office_reference="b").code == "forbidden"
    assert "idempotency_key" in refusal(office.report_payment, command_id="cmd-p0000007", idempotency_key="nope",
                                        attempt=1, outcome="paid", office_reference="b").fields
    assert refusal(office.report_payment, command_id="cmd-p0000008",
                   idempotency_key=idempotency_key(uuid.uuid4(), "award", "once"), attempt=1, outcome="paid",
                   office_reference="b").code == "not_found"

    items = funding("auditor-1", "auditor").disbursements(case_id=case_id)["items"]
    assert [(i["status"], [a["status"] for a in i["attempts"]]) for i in items] == [("paid", ["failed", "paid"])]
    assert items[0]["attempts"][0]["reason"] == "account closed"
    listing = funding("fo-1", "funding_officer").disbursements_by_status(status="paid", limit=10)
    assert listing["total"] == 1 and listing["items"][0]["idempotency_key"] == key
    assert funding("fo-1", "funding_officer").disbursements_by_status(status="unpaid")["total"] == 0
    assert refusal(funding("contact-1", "unit_contact", unit_id=UNIT).disbursements_by_status,
                   status="paid").code == "forbidden"


def test_an_early_end_claims_back_rent_paid_for_later_days(funding):
    case_id = decide(funding.store)
    funding("officer-1", "officer", "choose_housing").choose_housing(
        command_id="cmd-e0000001", case_id=case_id, choice="rent_subsidy", monthly_rent_fen=1_000_000,
        starts_on="2025-01-01")
    office = funding("fo-1", "funding_officer", "report_payment")
    office.report_payment(command_id="cmd-e0000002", idempotency_key=idempotency_key(case_id, "rent_subsidy",
                                                                                     "2025-01"),
                          attempt=1, outcome="paid", office_reference="bank-jan")
    funding.store.app.clock.set(datetime(2025, 1, 20, 9, tzinfo=BEIJING))
    assert refusal(funding("fo-1", "funding_officer", "end_early").end_early, command_id="cmd-e0000003",
                   case_id=case_id, ended_on="2025-01-15", reason="left").code == "forbidden"
    ended = funding("officer-1", "officer", "end_early").end_early(command_id="cmd-e0000004", case_id=case_id,
                                                                  ended_on="2025-01-15", reason="left Changping")
    assert ended["recovered_fen"] == 516_129          # 10,000 yuan × 16/31 days, half-up to the fen
    doc = funding().entitlements(case_id=case_id)
    assert doc["ended"]["ended_on"] == "2025-01-15" and doc["recoveries"][0]["overpaid_fen"] == 516_129


def test_health_is_unchanged(funding):
    assert funding(entrypoint="health").health()["service"] == "funding"


# -- in a real container -------------------------------------------------------------------------
@pytest.fixture
def container(container_factory, rabbit_config, tmp_path):
    config = service_config(tmp_path, rabbit_config["AMQP_URI"])
    config.update(CLOCK={"start": "2025-03-01T09:00:00+08:00", "speed": 0},   # a frozen ScaledClock
                  FUNDING={"timer_seconds": 3600, "rent_frequency_months": 3})
    container = container_factory(FundingService, config)
    container.start()
    return container


def call(container, entrypoint, token=None, **payload):
    context = {"authorization": token} if token else {}
    with entrypoint_hook(container, entrypoint, context_data=context) as hook:
        return hook(**payload)


def test_the_timer_and_the_rpcs_in_a_container(container):
    store = next(d for d in container.dependencies if isinstance(d, EventStore)).store
    assert isinstance(store.app.clock, ScaledClock)
    timer = next(e for e in container.entrypoints if isinstance(e, ConfigTimer))
    assert timer.interval == 3600.0
    case_id = decide(store, award_fen=0, national=True)
    officer = token("officer-1", "officer")
    chosen = call(container, "choose_housing", officer, command_id="cmd-c0000001", case_id=case_id,
                  choice="rent_subsidy", monthly_rent_fen=1_000_000, starts_on="2025-01-01")
    assert chosen["scheduled"] == [idempotency_key(case_id, "rent_subsidy", "2025-01..2025-03")]   # quarterly
    store.app.clock.start = datetime(2027, 6, 1, 9, tzinfo=BEIJING)            # the business clock jumps
    assert store.wait_for(store.app.position(), timeout=5)
    fired = call(container, "fire_deadlines")
    assert fired["cases"] == {case_id: 10}             # 9 more quarters + the service-money deadline
    assert store.wait_for(store.app.position(), timeout=5)
    assert call(container, "fire_deadlines")["cases"] == {}
    doc = call(container, "entitlements", officer, case_id=case_id)
    assert doc["deadlines"]["service_money"]["status"] == "reached"
    assert doc["deadlines"]["rent_subsidy"]["status"] == "pending"
    assert doc["next_due_on"] == "2027-07-01"
