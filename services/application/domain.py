"""Cases and the standing of the units they rely on. Pure domain.

The `Case` stream is the record an auditor replays: it begins with the filing and the
registration it relied on, then what the unit declared and attached, each submission with
the eligibility assessment it passed, and the milestones other services report, each entry
pointing at the event that caused it (service, event id, type, position, sequence).

Programme A's life of a case:

    draft ──submit──▶ submitted ──audit──▶ audit_approved ──paper──▶ paper_delivered ──▶ award_decided …
      ▲                  │                       │    ▲
      └──── returned ◀───┘ (per-item reasons,     └────┘ paper_noncompliant (recorded again once corrected)
            until the correction deadline)

The rules read the policy edition and a business date handed in by the application layer;
nothing here asks a clock.
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event

from shared import materials
from shared.errors import NotYet, rule_violation
from shared.eventstore.aggregate import Stream

from services.application import eligibility
from services.application.delivery import Delivery, check_delivery
from services.application.filing import (assessment_summary, documents_by_code, require_entered_order,
                                         require_filing_open)


class UnitStanding(Stream):
    """This service's copy of a unit's registration, learnt from registration's events."""
    PUBLISHED = False

    @event("Learnt")
    def __init__(self, id: UUID, name: str, unit_type: str, technology_company: bool = False):  # noqa: A002
        self.name, self.unit_type, self.technology_company = name, unit_type, technology_company
        self.status = "pending"
        self.approval: dict | None = None
        self.approved_by: dict | None = None     # the registration officer, as registration's event names them

    @event("Approved")
    def approved(self, source: dict, actor: dict | None = None):
        self.status, self.approval, self.approved_by = "approved", source, actor

    @event("Rejected")
    def rejected(self, source: dict):
        self.status, self.approval, self.approved_by = "rejected", None, None

    @event("Returned")
    def returned(self, source: dict):
        self.status, self.approval, self.approved_by = "returned", None, None

    @event("DetailsUpdated")
    def details_updated(self, name: str, unit_type: str, source: dict, technology_company: bool = False):
        # new details need a new audit before the unit may file again
        self.name, self.unit_type, self.status, self.approval = name, unit_type, "pending", None
        self.approved_by = None
        self.technology_company = technology_company


EDITABLE = ("draft", "returned")
AWAITING_PAPER = ("audit_approved", "paper_noncompliant")
DECIDED = ("award_decided", "disbursement_scheduled")


class Case(Stream):
    STREAM = "case"
    CASE_STREAM = True

    @classmethod
    def file(cls, unit: UnitStanding, programme: str, title: str, policy: dict, today: date) -> Case:
        if unit.status != "approved":
            raise rule_violation("A.unit.approved", "only a unit whose registration was approved by audit may file",
                                 fields={"unit_id": [f"unit registration is {unit.status}"]})
        if programme == "A":
            require_filing_open(policy, today)
        case = cls(programme=programme, unit_id=unit.id, title=title, policy_edition=policy["edition"])
        case._reference_registration(unit_id=unit.id, source=unit.approval, approved_by=unit.approved_by)
        return case

    @event("Filed")
    def __init__(self, programme: str, unit_id: UUID, title: str, policy_edition: str):
        # the call the case was filed under: its later steps read this edition, not a newer one
        self.programme, self.unit_id, self.title, self.policy_edition = programme, unit_id, title, policy_edition
        self.status = "draft"
        self.milestones: list[str] = []
        self.talent: dict | None = None
        self.claims: list[dict] = []
        self.entries: dict[str, list[str]] = {}
        self.category: str | None = None
        self.age_waiver: dict | None = None
        self.documents: dict[str, list[dict]] = {}
        self.submissions = 0
        self.correction_deadline: date | None = None
        self.returned_items: list[dict] = []
        self.assessment: dict | None = None
        self.delivery_findings: list[dict] = []

    @event("RegistrationReferenced")
    def _reference_registration(self, unit_id: UUID, source: dict, approved_by: dict | None = None):
        self.milestones.append("registration")

    # -- what the unit declares and attaches --------------------------------------------
    def declare_talent(self, talent: dict, claims: list[dict], category: str, entries: dict | None = None) -> None:
        """`entries`: the awards, patents, projects, standards and papers entered in the system, by
        material code, in the order entered (their documents must follow that order)."""
        self._require_editable("declare the talent")
        eligibility.Talent(**_talent_facts(talent))                     # refuses malformed facts early
        [eligibility.CriterionClaim(**claim) for claim in claims]
        self._talent_declared(talent=talent, claims=claims, category=category, entries=entries or {})

    def attach(self, documents: list[dict], replace: bool) -> None:
        self._require_editable("attach documents")
        [materials.Document(**document) for document in documents]      # refuses a malformed reference
        self._documents_attached(documents=documents, replace=replace)

    def record_age_waiver(self, decided_by: str, reason: str) -> None:
        if self.status not in (*EDITABLE, "submitted"):
            raise rule_violation("A.talent.age_waiver", f"an age waiver is recorded before the audit, not when {self.status}")
        self._age_waiver_recorded(decided_by=decided_by, reason=reason)

    def submit(self, policy: dict, unit_type: str, today: date) -> None:
        """Runs every rule of the call; records the submission with the assessment it passed."""
        self._require_editable("submit")
        if self.status == "returned":
            if today > self.correction_deadline:
                raise rule_violation("A.correction.deadline", f"the correction deadline {self.correction_deadline} "
                                     f"has passed ({today})", fields={"case_id": ["correction deadline passed"]})
        else:
            require_filing_open(policy, today)
        if self.talent is None:
            raise rule_violation("A.talent.declared", "the talent's details and criterion claims are declared "
                                 "before submitting", fields={"talent": ["not declared"]})
        waiver = eligibility.AgeWaiver(**self.age_waiver) if self.age_waiver else None
        assessment = eligibility.assert_eligible(
            policy, eligibility.Talent(**_talent_facts(self.talent)),
            [eligibility.CriterionClaim(**claim) for claim in self.claims], category=self.category, waiver=waiver)
        attached = documents_by_code(self.documents)
        missing = materials.missing_mandatory(policy, unit_type, attached)
        if missing:
            raise rule_violation("A.materials.mandatory", f"mandatory materials missing: {', '.join(missing)}",
                                 fields={f"documents.{code}": ["mandatory (*), nothing attached"] for code in missing})
        require_entered_order(policy, self.entries, attached)
        full = assessment.to_dict()
        self._submitted(submission=self.submissions + 1, submitted_on=today, assessment=full,
                        eligibility=assessment_summary(full), category=self.category,
                        national_or_beijing_talent=bool(self.talent.get("national_or_beijing_talent")),
                        earlier_changju_category=self.talent.get("earlier_changju_category"),
                        earlier_award_fen=int(self.talent.get("earlier_award_fen") or 0),
                        documents=[d for docs in self.documents.values() for d in docs])

    def _require_editable(self, what: str) -> None:
        if self.status not in EDITABLE:
            raise rule_violation("A.case.editable", f"cannot {what}: the case is {self.status}, not a draft "
                                 "or returned for correction", fields={"case_id": [f"case is {self.status}"]})

    @event("TalentDeclared")
    def _talent_declared(self, talent: dict, claims: list, category: str, entries: dict):
        self.talent, self.claims, self.category, self.entries = talent, claims, category, entries

    @event("DocumentsAttached")
    def _documents_attached(self, documents: list, replace: bool):
        if replace:
            for code in {d["code"] for d in documents}:
                self.documents[code] = []
        for document in documents:
            self.documents.setdefault(document["code"], []).append(document)

    @event("AgeWaiverRecorded")
    def _age_waiver_recorded(self, decided_by: str, reason: str):
        self.age_waiver = {"decided_by": decided_by, "reason": reason}

    @event("Submitted")
    def _submitted(self, submission: int, submitted_on: date, assessment: dict, eligibility: dict, category: str,
                   national_or_beijing_talent: bool, earlier_changju_category: str | None, earlier_award_fen: int,
                   documents: list):
        self.status, self.submissions, self.assessment = "submitted", submission, assessment
        self.milestones.append("submission")

    # -- the audit (decided in the review service) -------------------------------------
    # Each entry another service's event causes records that event's `report` (provenance.py):
    # `source`, and who acted there, when it took effect and its facts. Entries recorded before
    # they did carry `source` alone: their `actor`, `effective_at` and `facts` read as None.
    def record_audit(self, summary: str, source: dict, **report) -> None:
        if self.status != "submitted":
            raise NotYet("an audit is recorded for a submitted case")
        self._audit_recorded(summary=summary, source=source, **report)

    def record_return(self, reason: str, items: list, correction_deadline: date, source: dict, **report) -> None:
        if self.status != "submitted":
            raise NotYet("a return is recorded for a submitted case")
        self._returned(reason=reason, items=items, correction_deadline=correction_deadline, source=source,
                      **report)

    @event("AuditRecorded")
    def _audit_recorded(self, summary: str, source: dict, actor: dict | None = None,
                        effective_at: datetime | None = None, facts: dict | None = None):
        self.status = "audit_approved"
        self.milestones.append("audit")

    @event("ReturnedForCorrection")
    def _returned(self, reason: str, items: list, correction_deadline: date, source: dict, actor: dict | None = None,
                  effective_at: datetime | None = None, facts: dict | None = None):
        self.status, self.returned_items, self.correction_deadline = "returned", items, correction_deadline
        self.milestones.append("returned")

    # -- paper delivery (四(三)), only after the audit passed ---------------------------
    def record_paper_delivery(self, policy: dict, delivery: dict, unit_name: str, received_on: date) -> None:
        if self.status not in AWAITING_PAPER:
            raise rule_violation("A.paper.after_audit", f"paper copies are delivered after the system audit passed "
                                 f"and before the decision; the case is {self.status}",
                                 fields={"case_id": [f"case is {self.status}"]})
        paper = Delivery(**{**delivery, "signed_by": set(delivery.get("signed_by", ()))})
        findings = check_delivery(policy, paper, unit_name, self.talent["name"])
        self._paper_delivered(delivery=delivery, received_on=received_on, compliant=not findings,
                              findings=[{"rule": f.rule, "problem": f.message} for f in findings])

    @event("PaperDeliveryRecorded")
    def _paper_delivered(self, delivery: dict, received_on: date, compliant: bool, findings: list):
        self.status = "paper_delivered" if compliant else "paper_noncompliant"
        self.delivery_findings = findings
        self.milestones.append("paper")

    # -- what review and funding report -------------------------------------------------
    def record_decision(self, summary: str, source: dict, **report) -> None:
        # review decides only once the paper copies are in order; here, only the order matters
        if self.status not in (*AWAITING_PAPER, "paper_delivered"):
            raise NotYet("a decision is recorded after the audit approval")
        self._decision_recorded(summary=summary, source=source, **report)

    def record_not_selected(self, summary: str, source: dict, **report) -> None:
        if self.status not in (*AWAITING_PAPER, "paper_delivered"):
            raise NotYet("a decision is recorded after the audit approval")
        self._not_selected(summary=summary, source=source, **report)

    @event("NotSelectedRecorded")
    def _not_selected(self, summary: str, source: dict, actor: dict | None = None,
                      effective_at: datetime | None = None, facts: dict | None = None):
        self.status = "not_selected"
        self.milestones.append("decision")

    def record_disbursement(self, summary: str, source: dict, **report) -> None:
        if self.status not in DECIDED:
            raise NotYet("a disbursement is recorded after the award decision")
        self._disbursement_recorded(summary=summary, source=source, **report)

    def record_funding(self, summary: str, source: dict, **report) -> None:
        """Support and payment news from funding (entitlements, reports, deadlines, recovery), which
        all follow the decision; funding's events may overtake review's on the way here."""
        if self.status not in DECIDED:
            raise NotYet("support and payments are recorded after the award decision")
        self._funding_recorded(summary=summary, source=source, **report)

    @event("DecisionRecorded")
    def _decision_recorded(self, summary: str, source: dict, actor: dict | None = None,
                           effective_at: datetime | None = None, facts: dict | None = None):
        self.status = "award_decided"
        self.milestones.append("decision")

    @event("DisbursementRecorded")
    def _disbursement_recorded(self, summary: str, source: dict, actor: dict | None = None,
                               effective_at: datetime | None = None, facts: dict | None = None):
        self.status = "disbursement_scheduled"
        self.milestones.append("disbursement")

    @event("FundingRecorded")
    def _funding_recorded(self, summary: str, source: dict, actor: dict | None = None,
                          effective_at: datetime | None = None, facts: dict | None = None):
        self.milestones.append("funding")


def _talent_facts(talent: dict) -> dict:
    """The talent's declared facts that the eligibility rules read (the name is for the paper check)."""
    return {k: v for k, v in talent.items() if k != "name"}
