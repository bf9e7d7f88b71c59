"""Programme B through the funding Application on a real (SQLite) store: application's placement
events through the inbox, the working group's decisions as actors, the read models, the timer over
a whole term, and every event it publishes checked against its contract. No broker."""
import uuid
from datetime import datetime

import pytest

from shared.clock import BEIJING
from shared.contracts.envelope import event_id_for
from shared.contracts.funding_events import FUNDING_PAYLOADS
from shared.errors import Refused
from shared.identity import Identity
from shared.messaging.inbox import Outcome

from services.funding import commands
from services.funding.ledger import idempotency_key
from services.funding.placement import PlacementFunding
from services.funding.views import DISBURSEMENTS, FUNDING_CASES
from tests.unit.test_funding_application import deliver, funding, published, report, run, view  # noqa: F401 (fixture)
from tests.unit.unit_helpers import wire

COMPANY = "00000000-0000-4000-8000-0000000000c1"
EXPERT = "00000000-0000-4000-8000-0000000000e1"
APPOINTED_AT = datetime(2025, 3, 15, 10, 0, tzinfo=BEIJING)
DECIDER = Identity("wg-1", "decision_maker")
OFFICE = Identity("fo-1", "funding_officer")


def placement_event(case_id, type_, payload, sequence, actor="system:application"):
    return wire({
        "event_id": str(event_id_for("application", case_id, sequence)), "type": f"application.placement.{type_}",
        "schema_version": 1, "source": "application", "position": sequence, "stream_id": str(case_id),
        "sequence": sequence, "case_id": str(case_id), "occurred_at": APPOINTED_AT.isoformat(),
        "recorded_at": APPOINTED_AT.isoformat(), "actor": {"actor_id": actor, "role": "system", "unit_id": None},
        "correlation_id": "corr-b", "causation_id": None, "command_id": None, "payload": payload})


def filed(case_id, expert=EXPERT, funds=70_000_000):
    return placement_event(case_id, "ProjectFiled", {
        "unit_id": COMPANY, "expert_id": expert, "cooperation_id": str(uuid.uuid4()), "title": "合作项目",
        "kind": "science_engineering", "project_funds_fen": funds, "policy_edition": "vice-president-2.0"}, 1)


def appointed(case_id, sequence=2, expert=EXPERT, starts_on="2025-03-15", ends_on="2027-03-15", funds=70_000_000):
    return placement_event(case_id, "Appointed", {
        "unit_id": COMPANY, "expert_id": expert, "post_title": "科技副总", "starts_on": starts_on,
        "ends_on": ends_on, "kind": "science_engineering", "project_funds_fen": funds,
        "policy_edition": "vice-president-2.0"}, sequence)


def placed(app, **kwargs) -> uuid.UUID:
    case_id = uuid.uuid4()
    assert deliver(app, filed(case_id, kwargs.get("expert", EXPERT)), appointed(case_id, **kwargs)) == \
        [Outcome.APPLIED] * 2
    return case_id


@pytest.fixture
def placements(funding, clock):      # noqa: F811
    clock.set(APPOINTED_AT)
    return funding


def test_an_appointment_grants_and_schedules_and_every_event_meets_its_contract(placements):
    case_id = placed(placements)
    envelopes = published(placements)
    assert [(e["type"], e["schema_version"]) for e in envelopes] == [
        ("funding.placement_funding.Opened", 1), ("funding.placement_funding.EntitlementsGranted", 2),
        ("funding.placement_funding.DisbursementScheduled", 2)]
    scheduled = envelopes[-1]["payload"]
    assert (scheduled["amount_fen"], scheduled["payee"], scheduled["payee_ref"]) == (
        30_000_000, "company", f"unit:{COMPANY}")
    assert scheduled["idempotency_key"] == idempotency_key(case_id, "project_subsidy", "once")
    assert envelopes[-1]["case_id"] == case_id and envelopes[-1]["actor"]["actor_id"] == "system:funding"
    doc = view(placements).get(FUNDING_CASES, str(case_id))
    assert (doc["programme"], doc["unit_id"], doc["expert_id"]) == ("B", COMPANY, EXPERT)
    assert doc["term"] == {"starts_on": "2025-03-15", "ends_on": "2027-03-15", "extensions": []}
    assert doc["next_due_on"] == "2025-04-15" and doc["timer_active"] is True
    item = view(placements).get(DISBURSEMENTS, scheduled["idempotency_key"])
    assert (item["programme"], item["unit_id"], item["status"]) == ("B", COMPANY, "scheduled")


def test_a_second_overlapping_placement_of_the_expert_has_its_project_subsidy_refused(placements):
    first = placed(placements)
    second = placed(placements, starts_on="2026-01-01", ends_on="2028-01-01")
    later = placed(placements, starts_on="2027-03-15", ends_on="2029-03-15")     # the next term: allowed
    other_expert = placed(placements, expert="00000000-0000-4000-8000-0000000000e2")
    subsidised = {c: placements.funding(c).entitlements["project_subsidy"]["status"]
                  for c in (first, second, later, other_expert)}
    assert subsidised == {first: "granted", second: "refused", later: "granted", other_expert: "granted"}


def test_the_timer_pays_a_whole_term_with_an_extension_once_each(placements, clock):
    case_id = placed(placements)
    clock.set(datetime(2026, 1, 1, 9, tzinfo=BEIJING))
    views = view(placements)
    assert placements.due_case_ids(views, clock.today()) == [str(case_id)]
    assert placements.fire_due([case_id]) == {"today": "2026-01-01", "cases": {str(case_id): 9}}
    assert placements.fire_due([case_id])["cases"] == {}
    assert deliver(placements, placement_event(case_id, "TermExtended", {
        "previous_ends_on": "2027-03-15", "ends_on": "2027-09-30", "reason": "重大项目突破"}, 3)) == [Outcome.APPLIED]
    clock.set(datetime(2031, 1, 1, tzinfo=BEIJING))                  # down for years
    due = placements.due_case_ids(view(placements), clock.today())
    assert due == [str(case_id)]
    assert placements.fire_due(due)["cases"] == {str(case_id): 22}
    assert placements.due_case_ids(view(placements), clock.today()) == []
    living = [e["payload"] for e in published(placements) if e["type"].endswith("DisbursementScheduled")
              and e["payload"]["obligation_id"] == "living_subsidy"]
    assert len(living) == 31 and sum(p["amount_fen"] for p in living) == 30 * 200_000 + 100_000
    assert {(p["payee"], p["payee_ref"]) for p in living} == {("expert", f"expert:{EXPERT}")}
    doc = view(placements).get(FUNDING_CASES, str(case_id))
    assert doc["term"]["ends_on"] == "2027-09-30" and doc["next_due_on"] is None


def test_an_early_end_mid_month_stops_the_subsidy_and_claims_back_what_was_paid_after_it(placements, clock):
    case_id = placed(placements)
    clock.set(datetime(2025, 7, 1, 9, tzinfo=BEIJING))
    placements.fire_due([case_id])
    for period in ("2025-03", "2025-04", "2025-05"):
        run(placements, OFFICE, report(idempotency_key(case_id, "living_subsidy", period), "paid", f"bank-{period}"))
    assert deliver(placements, placement_event(case_id, "TerminatedEarly", {
        "ended_on": "2025-05-01", "reason": "the expert went back"}, 3)) == [Outcome.APPLIED]
    placement = placements.funding(case_id)
    assert placement.recovered_fen() == (200_000 - round(200_000 * 17 / 30)) + 200_000
    assert placement.next_due_on() is None
    doc = view(placements).get(FUNDING_CASES, str(case_id))
    assert doc["ended"]["ended_on"] == "2025-05-01" and doc["next_due_on"] is None
    assert {e["code"]: e["status"] for e in doc["entitlements"]}["public_rental_housing"] == "ended"
    may = view(placements).get(DISBURSEMENTS, idempotency_key(case_id, "living_subsidy", "2025-05"))
    assert may["recovery"]["overpaid_fen"] == 200_000
    assert deliver(placements, placement_event(case_id, "TermExpired", {"ends_on": "2027-03-15"}, 4)) == \
        [Outcome.APPLIED]                                            # nothing left to record
    assert placements.funding(case_id).expired is None


def test_a_whole_placement_publishes_every_programme_b_event_type_under_its_contract(placements, clock):
    case_id = placed(placements)
    project_key = idempotency_key(case_id, "project_subsidy", "once")
    run(placements, OFFICE, commands.ReportPayment(idempotency_key=project_key, attempt=1, outcome="failed",
                                                   office_reference="bank-1", reason="wrong account"))
    run(placements, OFFICE, commands.RetryDisbursement(idempotency_key=project_key, reason="account corrected"))
    run(placements, OFFICE, commands.ReportPayment(idempotency_key=project_key, attempt=2, outcome="paid",
                                                   office_reference="bank-2"))
    deliver(placements, placement_event(case_id, "TermExtended", {
        "previous_ends_on": "2027-03-15", "ends_on": "2027-04-15", "reason": "重大项目突破"}, 3))
    clock.set(datetime(2027, 4, 20, 9, tzinfo=BEIJING))
    placements.fire_due([case_id])
    deliver(placements, placement_event(case_id, "TermExpired", {"ends_on": "2027-04-15"}, 4))
    deliver(placements, placement_event(case_id, "EvaluationRecorded", {"opinion": "优秀", "rating": "优秀"}, 5))
    prize = run(placements, DECIDER, commands.AwardPrize(case_id=case_id, level="second", year=2027, reason="成果突出"))
    assert prize["amount_fen"] == 10_000_000
    granted = run(placements, DECIDER, commands.GrantBreakthroughSubsidy(case_id=case_id,
                                                                         investment_fen=2_000_000_000,
                                                                             reason="产业化"))
    assert granted["amount_fen"] == 500_000_000
    with pytest.raises(Refused) as caught:
        run(placements, Identity(DECIDER.actor_id.upper(), "funding_officer"), commands.ReportPayment(
            idempotency_key=granted["idempotency_key"], attempt=1, outcome="paid", office_reference="bank-x"))
    assert caught.value.rule == "separation_of_duties.decide_release"
    run(placements, OFFICE, commands.ReportPayment(idempotency_key=granted["idempotency_key"], attempt=1,
                                                   outcome="returned", office_reference="bank-3"))

    ended = placed(placements, expert="00000000-0000-4000-8000-0000000000e2", starts_on="2027-03-01",
                   ends_on="2029-03-01")
    clock.set(datetime(2027, 6, 1, 9, tzinfo=BEIJING))
    placements.fire_due([ended])
    run(placements, OFFICE, report(idempotency_key(ended, "living_subsidy", "2027-03"), "paid", "bank-4"))
    deliver(placements, placement_event(ended, "TerminatedEarly", {"ended_on": "2027-03-20", "reason": "left"}, 3))
    run(placements, OFFICE, report(idempotency_key(ended, "living_subsidy", "2027-03"), "returned", "bank-5"))

    types = {(e["type"], e["schema_version"]) for e in published(placements)}   # each validated by wire()
    current = {(t, max(v for t2, v in FUNDING_PAYLOADS if t2 == t)) for t, _ in FUNDING_PAYLOADS
               if t.startswith("funding.placement_funding.")}
    assert types == current

    doc = view(placements).get(FUNDING_CASES, str(case_id))
    assert doc["prize"]["level"] == "second" and doc["breakthrough_subsidy"]["amount_fen"] == 500_000_000
    assert doc["expired"]["ends_on"] == "2027-04-15"
    assert placements.views.find(DISBURSEMENTS, {"case_id": str(case_id)}, limit=200)[1] == 2 + 25 + 1


def test_programme_a_commands_refuse_a_placement_and_b_commands_a_case(placements):
    case_id = placed(placements)
    with pytest.raises(Refused) as caught:
        run(placements, Identity("officer-1", "officer"), commands.ChooseHousing(case_id=case_id, choice="flat"))
    assert caught.value.rule == "funding.programme"


def test_events_before_an_appointment_or_for_an_unseen_placement_change_nothing(placements):
    case_id = uuid.uuid4()
    assert deliver(placements, filed(case_id)) == [Outcome.APPLIED]
    position = placements.position()
    assert deliver(placements, placement_event(case_id, "TerminatedEarly", {
        "ended_on": "2025-03-01", "reason": "withdrawn before appointment"}, 2)) == [Outcome.APPLIED]
    assert placements.position() == position
    assert isinstance(placements.funding(case_id), PlacementFunding)


def test_a_rebuilt_placement_read_model_is_the_same(placements, clock):
    case_id = placed(placements)
    clock.set(datetime(2025, 9, 1, tzinfo=BEIJING))
    placements.fire_due([case_id])
    before = view(placements).get(FUNDING_CASES, str(case_id))
    placements.runner.rebuild("funding_cases")
    after = view(placements).get(FUNDING_CASES, str(case_id))
    assert after == before


def test_an_extension_restates_the_living_subsidy_entitlement_for_the_longer_term(placements, clock):
    """Defect (a): after a six-month extension 30 payments are released, so the entitlement says 30 months
    and a 60,000 yuan ceiling, on the aggregate and on the read model, with the extension as its cause."""
    case_id = placed(placements)
    assert deliver(placements, placement_event(case_id, "TermExtended", {
        "previous_ends_on": "2027-03-15", "ends_on": "2027-09-15", "reason": "重大项目突破"}, 3)) == [Outcome.APPLIED]
    living = placements.funding(case_id).entitlements["living_subsidy"]
    assert (living["units"], living["ceiling_fen"], living["ends_on"]) == (30, 6_000_000, "2027-09-15")
    assert living["computation"]["inputs"]["months"] == 30
    assert living["computation"]["inputs"]["term_ends_on"] == "2027-09-15"
    assert living["computation"]["inputs"]["extended_from"] == "2027-03-15"
    doc_living = {e["code"]: e for e in view(placements).get(FUNDING_CASES, str(case_id))["entitlements"]}
    assert doc_living["living_subsidy"] == living
    clock.set(datetime(2031, 1, 1, tzinfo=BEIJING))
    placements.fire_due([case_id])
    released = sum(d.amount_fen for d in placements.funding(case_id).disbursements.values()
                   if d.obligation_id == "living_subsidy")
    assert released == living["ceiling_fen"]
