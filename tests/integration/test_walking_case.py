"""A case walks through all four running services into one replayable case stream."""
from tests.support.cluster import SERVICES, command_id, eventually
from tests.support.flows import (approve_audit, approved_unit, case_status, decide_award, deliver_paper, file_case,
                                 score, submit, walk_case)

SUBMITTED = ["Filed", "RegistrationReferenced", "TalentDeclared", "DocumentsAttached", "Submitted"]


def test_every_service_answers_health_without_a_token(cluster):
    for service in SERVICES:
        health = cluster.health(service)
        assert health["service"] == service
        assert health["store"]["kind"] == "sqlite"
        assert health["store"]["synchronous"] == "FULL"
        assert health["position"] >= 0


def test_history_holds_milestones_from_all_four_services_in_order(cluster):
    case_id = walk_case(cluster, award_fen=150_000_000)
    with cluster.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=case_id)["entries"]
    types = [e["type"] for e in entries]
    assert types == [*SUBMITTED, "AuditRecorded", "PaperDeliveryRecorded", "DecisionRecorded", "FundingRecorded",
                     "DisbursementRecorded"]
    assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))
    caused = [e for e in entries if "source" in e["data"]]
    services = [e["data"]["source"]["service"] for e in caused]
    assert services == ["registration", "review", "review", "funding", "funding"]
    # every entry caused by another service points at that service's event
    assert all(e["causation_id"] == e["data"]["source"]["event_id"] for e in caused[1:])
    assert entries[0]["actor"]["role"] == "unit_contact"
    assert entries[8]["actor"]["role"] == "system"


def test_status_comes_from_the_projection_and_disbursement_carries_its_rule(cluster):
    case_id = walk_case(cluster, award_fen=120_000_000)
    status = case_status(cluster, case_id)
    assert status["status"] == "disbursement_scheduled"
    with cluster.rpc("fo-1", "funding_officer") as rpc:
        items = rpc.funding.disbursements(case_id=case_id)["items"]
    assert [(i["amount_fen"], i["rule"], i["policy_edition"]) for i in items] == [
        (120_000_000, "A.award.cap", "changju-2024")]
    assert items[0]["idempotency_key"] == f"{case_id}:award:once"


def test_a_write_returns_a_position_that_a_query_can_wait_for(cluster):
    unit_id = approved_unit(cluster)
    filed = file_case(cluster, unit_id)
    with cluster.rpc("contact-1", "unit_contact", unit_id) as rpc:
        seen = rpc.application.status(case_id=filed["case_id"], min_position=filed["position"])
    assert seen["status"] == "draft" and seen["position"] >= filed["position"] - 1


def test_the_case_as_it_stood_before_the_audit(cluster):
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id)["case_id"]
    submit(cluster, case_id, unit_id)
    with cluster.rpc("auditor-1", "auditor") as rpc:
        before = rpc.application.history(case_id=case_id)["entries"]
    approve_audit(cluster, case_id)
    eventually(lambda: case_status(cluster, case_id)["status"] == "audit_approved")
    with cluster.rpc("auditor-1", "auditor") as rpc:
        as_of = rpc.application.history(case_id=case_id, as_of=before[-1]["occurred_at"])["entries"]
        now = rpc.application.history(case_id=case_id)["entries"]
    assert [e["type"] for e in as_of] == SUBMITTED
    assert now[-1]["type"] == "AuditRecorded"


def test_officers_list_cases_by_status_paged(cluster):
    unit_id = approved_unit(cluster)
    filed = [file_case(cluster, unit_id)["case_id"] for _ in range(3)]
    with cluster.rpc("officer-1", "officer") as rpc:
        eventually(lambda: rpc.application.cases_by_status(status="draft", limit=200)["total"] >= 3)
        page = rpc.application.cases_by_status(status="draft", limit=2, offset=0)
        everything = rpc.application.cases_by_status(status="draft", limit=200)
    assert len(page["items"]) == 2
    assert set(filed) <= {item["case_id"] for item in everything["items"]}


def test_the_auditor_cannot_decide_the_award(cluster):
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id)["case_id"]
    submit(cluster, case_id, unit_id)
    approve_audit(cluster, case_id, officer="same-person")
    deliver_paper(cluster, case_id)
    score(cluster, case_id)
    with cluster.rpc("same-person", "decision_maker") as rpc:
        try:
            rpc.review.decide_award(command_id=command_id(), case_id=case_id, award_fen=1, reason="x")
        except Exception as error:  # noqa: BLE001 - asserted below
            refused = error
    assert refused.code == "rule_violation" and refused.rule == "separation_of_duties.audit_decide"
    decide_award(cluster, case_id, 1)  # someone else may


def test_a_case_the_working_group_declines_ends_without_money(cluster):
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id)["case_id"]
    submit(cluster, case_id, unit_id)
    approve_audit(cluster, case_id)
    deliver_paper(cluster, case_id)
    score(cluster, case_id, points=55)
    with cluster.rpc("decider-1", "decision_maker") as rpc:
        eventually(lambda: rpc.review.decline(command_id=command_id(), case_id=case_id, reason="未入选"))
    eventually(lambda: case_status(cluster, case_id)["status"] == "not_selected")
    with cluster.rpc("fo-1", "funding_officer") as rpc:
        assert rpc.funding.disbursements(case_id=case_id)["items"] == []
