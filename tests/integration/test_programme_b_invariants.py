"""Programme B's two invariants across cases, against the running services with racing requests:
one subsidised project per expert per service term, and exactly one vice-president per project."""
import uuid

import eventlet

from services import samples
from services.portal import Portal
from shared.errors import ServiceError
from tests.support.cluster import command_id
from tests.support.flows import credit_code

RACERS = 4


def portal(cluster) -> Portal:
    return Portal(rpc=cluster.rpc, health=cluster.health, credit_code=credit_code())


def published_expert(p: Portal) -> str:
    form = samples.expert_recommendation(f"1101081978{uuid.uuid4().int % 10**8:08d}")
    expert_id = p.write("officer-1", "officer", "registration", "recommend_expert", **form)["expert_id"]
    p.write("officer-1", "officer", "registration", "publish_expert", expert_id=expert_id)
    return expert_id


def approved_company(p: Portal) -> str:
    unit_id = p.write("contact-9", "unit_contact", "registration", "register_unit",
                      **samples.company_registration(credit_code()))["unit_id"]
    p.write("officer-1", "officer", "registration", "audit_unit", unit_id=unit_id, outcome="approve", reason="ok")
    return unit_id


def agreed_cooperation(p: Portal, unit_id: str, expert_id: str) -> str:
    cooperation_id = p.write("contact-9", "unit_contact", "application", "propose_cooperation", unit_id,
                             unit_id=unit_id, expert_id=expert_id, field="智能制造", need="需求")["cooperation_id"]
    p.write(expert_id, "expert", "application", "confirm_cooperation", cooperation_id=cooperation_id)
    return cooperation_id


def race(calls) -> tuple[list, list]:
    """Start every call at once (green threads); return what was accepted and what was refused."""
    def attempt(call):
        try:
            return call()
        except ServiceError as error:
            return error
    results = list(eventlet.GreenPool(len(calls)).imap(attempt, calls))
    return ([r for r in results if not isinstance(r, ServiceError)],
            [r for r in results if isinstance(r, ServiceError)])


def test_racing_filings_for_one_expert_leave_one_subsidised_project(cluster):
    p = portal(cluster)
    expert_id = published_expert(p)
    companies = [approved_company(p) for _ in range(RACERS)]
    cooperations = [(unit, agreed_cooperation(p, unit, expert_id)) for unit in companies]

    def filing(unit_id, cooperation_id):
        def call():
            with cluster.rpc("contact-9", "unit_contact", unit_id) as rpc:
                return rpc.application.file_project(command_id=command_id(), cooperation_id=cooperation_id,
                                                    title="项目", kind="science_engineering",
                                                    project_funds_fen=50_000_000)
        return call
    accepted, refused = race([filing(unit, cooperation) for unit, cooperation in cooperations])
    assert len(accepted) == 1
    assert {error.rule for error in refused} == {"B.expert.one_project_per_term"}
    with cluster.rpc("auditor-1", "auditor") as rpc:
        filed = p.until(lambda: rpc.application.placements_by_status(status="filed")["items"], "the projection")
    assert [doc["case_id"] for doc in filed if doc["expert_id"] == expert_id] == [accepted[0]["case_id"]]


def test_racing_appointments_leave_one_vice_president(cluster):
    p = portal(cluster)
    expert_id = published_expert(p)
    unit_id = approved_company(p)
    cooperation_id = agreed_cooperation(p, unit_id, expert_id)
    case_id = p.write("contact-9", "unit_contact", "application", "file_project", unit_id,
                      cooperation_id=cooperation_id, title="项目", kind="science_engineering",
                      project_funds_fen=50_000_000)["case_id"]
    p.write("reviewer-1", "reviewer", "review", "score_project", case_id=case_id, score=80, opinion="ok")
    p.write("decider-1", "decision_maker", "review", "decide_project", case_id=case_id, approve=True, reason="ok")
    p.write("officer-1", "officer", "review", "file_with_office", case_id=case_id, reference="BA-1")
    p.write("officer-1", "officer", "application", "record_agreement", case_id=case_id, signed_on="2024-09-20")

    def appointment(n):
        def call():
            with cluster.rpc(f"officer-{n}", "officer") as rpc:
                return rpc.application.appoint(command_id=command_id(), case_id=case_id, post_title=f"岗位{n}",
                                               starts_on="2024-09-21")
        return call
    accepted, refused = race([appointment(n) for n in range(RACERS)])
    assert len(accepted) == 1
    assert {error.rule for error in refused} == {"B.project.one_vice_president"}
    with cluster.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=case_id)["entries"]
    assert [e["type"] for e in entries].count("Appointed") == 1
