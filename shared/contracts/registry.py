"""What every RPC endpoint answers: `service.method` → its reply schema (the request schema and the
roles are on the entrypoint, `@command(schema, roles)`; services/registry.py joins them into one
table that docs/reference.md is rendered from and the tests validate every reply against).

Kept apart from the entrypoints so that it imports no nameko: a client, a schema generator or a test
reads it as plain marshmallow."""
from __future__ import annotations

from marshmallow import Schema

from shared.contracts import application, funding, platform, registration, review

SERVICES = ("registration", "application", "review", "funding")

# every service has these (shared/platform/base.py)
_PLATFORM = {
    "health": platform.HealthReply,
    "events_after": platform.EventsAfterReply,
    "parked_events": platform.ParkedPage,
    "replay_parked": platform.Replayed,
    "case_events": platform.IndexedEvents,
    "stream_events": platform.IndexedEvents,
    "access_log": platform.AccessPage,
}

REPLIES: dict[str, type[Schema]] = {
    **{f"{service}.{method}": reply for service in SERVICES for method, reply in _PLATFORM.items()},
    "registration.erase_person": platform.Erased,
    "application.erase_person": platform.Erased,
    # registration
    "registration.register_unit": registration.UnitRegistered,
    "registration.audit_unit": registration.UnitWritten,
    "registration.update_details": registration.UnitWritten,
    "registration.get_unit": registration.Unit,
    "registration.recommend_expert": registration.ExpertWritten,
    "registration.record_expert_waiver": registration.ExpertWritten,
    "registration.publish_expert": registration.ExpertWritten,
    "registration.withdraw_expert": registration.ExpertWritten,
    "registration.experts": registration.ExpertPool,
    "registration.get_expert": registration.Expert,
    "registration.expert_recommendations": registration.ExpertList,
    # application: programme A
    "application.file_case": application.CaseOpened,
    "application.declare_talent": application.CaseWritten,
    "application.attach_documents": application.CaseWritten,
    "application.submit": application.CaseWritten,
    "application.record_age_waiver": application.CaseWritten,
    "application.record_paper_delivery": application.CaseWritten,
    "application.status": application.CaseStatus,
    "application.checklist": application.Checklist,
    "application.history": application.CaseHistory,
    "application.cases_by_status": application.CaseList,
    "application.unit_cases": application.CaseList,
    # application: programme B
    "application.propose_cooperation": application.CooperationWritten,
    "application.confirm_cooperation": application.CooperationWritten,
    "application.file_project": application.CaseOpened,
    "application.record_agreement": application.PlacementWritten,
    "application.appoint": application.PlacementWritten,
    "application.extend_term": application.PlacementWritten,
    "application.terminate_early": application.PlacementWritten,
    "application.record_evaluation": application.PlacementWritten,
    "application.placement": application.Placement,
    "application.placements_by_status": application.PlacementList,
    "application.cooperation": application.Cooperation,
    # review
    "review.approve_audit": review.ReviewWritten,
    "review.return_for_correction": review.ReviewWritten,
    "review.declare_conflict": review.ReviewWritten,
    "review.score": review.ReviewWritten,
    "review.decide_award": review.ReviewWritten,
    "review.decline": review.ReviewWritten,
    "review.review": review.Review,
    "review.declare_project_conflict": review.ProjectReviewWritten,
    "review.score_project": review.ProjectReviewWritten,
    "review.decide_project": review.ProjectReviewWritten,
    "review.file_with_office": review.ProjectReviewWritten,
    "review.project_review": review.ProjectReview,
    # funding
    "funding.choose_housing": funding.HousingChosen,
    "funding.record_budget": funding.BudgetWritten,
    "funding.budget": funding.BudgetReport,
    "funding.budget_csv": funding.BudgetCsv,
    "funding.what_if": funding.WhatIfReport,
    "funding.claim_service_money": funding.ServiceMoneyApproved,
    "funding.end_early": funding.EndedEarly,
    "funding.report_payment": funding.DisbursementWritten,
    "funding.retry_disbursement": funding.DisbursementWritten,
    "funding.award_prize": funding.PrizeAwarded,
    "funding.grant_breakthrough_subsidy": funding.BreakthroughSubsidyGranted,
    "funding.entitlements": funding.Entitlements,
    "funding.disbursements": funding.Disbursements,
    "funding.disbursements_by_status": funding.DisbursementPage,
}

_INSTANCES: dict[str, Schema] = {}


def reply_schema(endpoint: str) -> Schema:
    """The reply schema of `service.method` (KeyError if it has none)."""
    if endpoint not in _INSTANCES:
        _INSTANCES[endpoint] = REPLIES[endpoint]()
    return _INSTANCES[endpoint]
