"""Programme B's funding entrypoints with nameko's worker_factory on a real store: the working group's
prize and breakthrough decisions (roles, refusals naming their rule, separation of duties), and the
queries as the company's contact and the expert read them."""
import uuid
from datetime import datetime

import pytest
from nameko.testing.services import worker_factory

from shared.clock import BEIJING, ManualClock
from shared.contracts.envelope import event_id_for, load_envelope
from shared.errors import ServiceError
from shared.messaging.inbox import Outcome

from services.funding.app import FundingApplication
from services.funding.ledger import idempotency_key
from services.funding.service import FundingService
from tests.service.conftest import token
from tests.service.test_funding_service import FakeRequest

COMPANY = "00000000-0000-4000-8000-0000000000c1"
OTHER_COMPANY = "00000000-0000-4000-8000-0000000000c2"
EXPERT = "00000000-0000-4000-8000-0000000000e1"
AT = datetime(2025, 3, 15, 10, 0, tzinfo=BEIJING)


def placement_event(case_id, type_, payload, sequence):
    return load_envelope({
        "event_id": str(event_id_for("application", case_id, sequence)), "type": f"application.placement.{type_}",
        "schema_version": 1, "source": "application", "position": sequence, "stream_id": str(case_id),
        "sequence": sequence, "case_id": str(case_id), "occurred_at": AT.isoformat(), "recorded_at": AT.isoformat(),
        "actor": {"actor_id": "system:application", "role": "system", "unit_id": None}, "correlation_id": "corr-b",
        "causation_id": None, "command_id": None, "payload": payload})


def place(store) -> str:
    case_id = uuid.uuid4()
    term = {"unit_id": COMPANY, "expert_id": EXPERT, "kind": "social_science_humanities",
            "project_funds_fen": 25_000_000, "policy_edition": "vice-president-2.0"}
    outcomes = [store.inbox.accept(e) for e in (
        placement_event(case_id, "ProjectFiled", {**term, "cooperation_id": str(uuid.uuid4()), "title": "课题"}, 1),
        placement_event(case_id, "Appointed", {**term, "post_title": "科技副总", "starts_on": "2025-03-15",
                                               "ends_on": "2027-03-15"}, 2))]
    assert outcomes == [Outcome.APPLIED] * 2
    return str(case_id)


@pytest.fixture
def funding(store_for):
    store = store_for("funding", FundingApplication)
    store.app.clock = ManualClock(AT)

    def service(actor="officer-1", role="officer", entrypoint="entitlements", unit_id=None):
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


def test_prizes_and_breakthroughs_are_decided_by_the_working_group_and_paid_by_someone_else(funding):
    case_id = place(funding.store)
    decider = funding("wg-1", "decision_maker", "award_prize")
    assert refusal(funding("officer-1", "officer", "award_prize").award_prize, command_id="cmd-b0000001",
                   case_id=case_id, level="first", year=2027, reason="成果突出").code == "forbidden"
    assert refusal(decider.award_prize, command_id="cmd-b0000002", case_id=case_id, level="first", year=2027,
                   reason="成果突出").rule == "B.prize.concluded"
    error = refusal(decider.award_prize, command_id="cmd-b0000003", case_id=case_id, level="gold", year=2027,
                    reason="成果突出")
    assert error.code == "validation_error" and "level" in error.fields

    funding.store.app.clock.set(datetime(2027, 3, 16, 9, tzinfo=BEIJING))
    assert funding.store.inbox.accept(placement_event(case_id, "TermExpired", {"ends_on": "2027-03-15"}, 3)) == \
        Outcome.APPLIED
    awarded = decider.award_prize(command_id="cmd-b0000004", case_id=case_id, level="third", year=2027,
                                  reason="成果突出")
    assert (awarded["amount_fen"], awarded["idempotency_key"]) == (5_000_000, idempotency_key(case_id, "prize", "2027"))
    assert decider.award_prize(command_id="cmd-b0000004", case_id=case_id, level="third", year=2027,
                               reason="成果突出")["replayed"] is True
    assert refusal(decider.award_prize, command_id="cmd-b0000005", case_id=case_id, level="first", year=2027,
                   reason="again").rule == "B.prize.once"
    granted = funding("wg-1", "decision_maker", "grant_breakthrough_subsidy").grant_breakthrough_subsidy(
        command_id="cmd-b0000006", case_id=case_id, investment_fen=2_000_000_000, reason="产业化投资")
    assert granted["amount_fen"] == 500_000_000

    # the decider holds a funding-office token too: still not for their own decisions
    as_office = funding("wg-1", "funding_officer", "report_payment")
    for key in (awarded["idempotency_key"], granted["idempotency_key"]):
        assert refusal(as_office.report_payment, command_id=f"cmd-p-{key[-12:]}", idempotency_key=key, attempt=1,
                       outcome="paid", office_reference="bank-1").rule == "separation_of_duties.decide_release"
    paid = funding("fo-1", "funding_officer", "report_payment").report_payment(
        command_id="cmd-b0000007", idempotency_key=awarded["idempotency_key"], attempt=1, outcome="paid",
        office_reference="bank-2")
    assert paid["status"] == "paid"


def test_the_company_and_the_expert_read_their_own_placement_only(funding):
    case_id = place(funding.store)
    mine = funding(EXPERT, "expert").entitlements(case_id=case_id)
    assert (mine["programme"], mine["expert_id"], mine["kind"]) == ("B", EXPERT, "social_science_humanities")
    project = next(e for e in mine["entitlements"] if e["code"] == "project_subsidy")
    assert (project["amount_fen"], project["computation"]["rule"]) == (10_000_000, "B.project_subsidy.cap")
    assert mine["term"]["ends_on"] == "2027-03-15" and mine["next_due_on"] == "2025-04-15"
    items = funding(EXPERT, "expert", "disbursements").disbursements(case_id=case_id)["items"]
    assert [(i["obligation_id"], i["payee"], i["amount_fen"]) for i in items] == [
        ("project_subsidy", "company", 10_000_000)]
    stranger = "00000000-0000-4000-8000-0000000000e9"
    assert refusal(funding(stranger, "expert").entitlements, case_id=case_id).rule == "roles.own_placement"
    assert refusal(funding(stranger, "expert", "disbursements").disbursements,
                   case_id=case_id).rule == "roles.own_placement"
    assert funding("contact-1", "unit_contact", unit_id=COMPANY).entitlements(case_id=case_id)["unit_id"] == COMPANY
    assert refusal(funding("contact-9", "unit_contact", unit_id=OTHER_COMPANY).entitlements,
                   case_id=case_id).rule == "roles.own_unit"
