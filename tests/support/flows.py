"""The walking case, step by step, as a portal backend would drive it."""
from __future__ import annotations

import uuid

from services import samples
from tests.support.cluster import command_id, eventually

CONTACT = samples.CONTACT


def credit_code() -> str:
    return "91110114MA" + uuid.uuid4().hex[:8].upper()


def register_unit(cluster, contact_id: str = "contact-1") -> dict:
    with cluster.rpc(contact_id, "unit_contact") as rpc:
        return rpc.registration.register_unit(command_id=command_id(), **samples.unit_registration(credit_code()))


def approved_unit(cluster, contact_id: str = "contact-1") -> str:
    unit_id = register_unit(cluster, contact_id)["unit_id"]
    with cluster.rpc("officer-1", "officer") as rpc:
        rpc.registration.audit_unit(command_id=command_id(), unit_id=unit_id, outcome="approve", reason="材料齐全")
    return unit_id


def file_case(cluster, unit_id: str, contact_id: str = "contact-1", **form) -> dict:
    """Files the sample form and documents once the application service has learnt of the
    unit's approval."""
    form = {"talent": samples.talent(), "claims": samples.claims(), "documents": samples.case_documents(), **form}

    def attempt():
        with cluster.rpc(contact_id, "unit_contact", unit_id) as rpc:
            return rpc.application.file_case(command_id=command_id(), unit_id=unit_id, programme="A",
                                             title="杰出人才 申报", **form)
    return eventually(attempt)


def submit(cluster, case_id: str, unit_id: str, contact_id: str = "contact-1") -> dict:
    with cluster.rpc(contact_id, "unit_contact", unit_id) as rpc:
        return rpc.application.submit(command_id=command_id(), case_id=case_id)


def deliver_paper(cluster, case_id: str, officer: str = "officer-2", **delivery) -> dict:
    """Records the paper copies once the application service has learnt the audit passed."""
    def attempt():
        with cluster.rpc(officer, "officer") as rpc:
            return rpc.application.record_paper_delivery(command_id=command_id(), case_id=case_id,
                                                         delivery=samples.paper_delivery(**delivery))
    return eventually(attempt)


def score(cluster, case_id: str, reviewer: str = "reviewer-1", points: int = 88) -> dict:
    """Scores once the review service has learnt the paper copies are in order."""
    def attempt():
        with cluster.rpc(reviewer, "reviewer") as rpc:
            return rpc.review.score(command_id=command_id(), case_id=case_id, score=points, opinion="成果突出")
    return eventually(attempt)


def approve_audit(cluster, case_id: str, officer: str = "officer-1") -> dict:
    def attempt():
        with cluster.rpc(officer, "officer") as rpc:
            return rpc.review.approve_audit(command_id=command_id(), case_id=case_id, reason="审核通过")
    return eventually(attempt)


def decide_award(cluster, case_id: str, award_fen: int, decider: str = "decider-1") -> dict:
    def attempt():
        with cluster.rpc(decider, "decision_maker") as rpc:
            return rpc.review.decide_award(command_id=command_id(), case_id=case_id, award_fen=award_fen,
                                           reason="工作组决定")
    return eventually(attempt)


def case_status(cluster, case_id: str) -> dict:
    with cluster.rpc("auditor-1", "auditor") as rpc:
        return rpc.application.status(case_id=case_id)


def scored_case(cluster) -> str:
    """A case that passed its audit, paper delivery and scoring: the next review event is the decision."""
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id)["case_id"]
    submit(cluster, case_id, unit_id)
    approve_audit(cluster, case_id)
    deliver_paper(cluster, case_id)
    score(cluster, case_id)
    return case_id


def walk_case(cluster, award_fen: int = 200_000_000) -> str:
    """From unit registration to a scheduled disbursement; returns the case id."""
    case_id = scored_case(cluster)
    decide_award(cluster, case_id, award_fen)
    eventually(lambda: case_status(cluster, case_id)["status"] == "disbursement_scheduled", timeout=30)
    return case_id
