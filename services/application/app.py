"""The application service's Application: filing cases, recording what other services
report about them, and the read models behind status queries."""
from __future__ import annotations

from shared import policy
from shared.errors import not_found
from shared.eventstore.application import ServiceApplication, check_version, handles
from shared.eventstore.projection import Projection
from shared.messaging.inbox import source_ref
from shared.privacy.erasure import Erasing

from shared import materials
from services.application import access, commands, history, provenance
from services.application.domain import Case, UnitStanding
from services.application.filing import documents_by_code
from services.application.placement import Placement
from services.application.placements import PlacementCommands, PlacementsView
from services.application.provenance import report

CASES = "cases"


class CaseStatusView(Projection):
    """One document per case: what the portal's status and list queries read."""
    name = "case_status"
    collections = (CASES,)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, Case.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(CASES, key) or {"case_id": key, "milestones": []}
        name = type(event).__name__
        if isinstance(event, Case.Filed):
            doc.update(programme=event.programme, unit_id=str(event.unit_id), title=event.title,
                       policy_edition=event.policy_edition, filed_at=event.meta["occurred_at"])
        elif isinstance(event, Case.TalentDeclared):
            doc.update(category=event.category)
        elif isinstance(event, Case.Submitted):
            doc.update(submissions=event.submission, submitted_on=event.submitted_on.isoformat(),
                       returned_items=[], correction_deadline=None)
        elif isinstance(event, Case.ReturnedForCorrection):
            doc.update(returned_items=event.items, return_reason=event.reason,
                       correction_deadline=event.correction_deadline.isoformat())
        elif isinstance(event, Case.PaperDeliveryRecorded):
            doc.update(paper_findings=event.findings)
        status = status_after(event)
        if status:
            doc["status"] = status
        doc["milestones"] = [*doc["milestones"], name]
        doc.update(version=event.originator_version, updated_at=event.meta["occurred_at"], position=notification_id)
        docs.put(CASES, key, doc)


def status_after(event) -> str | None:
    """The case status an event leaves behind (None: unchanged)."""
    if isinstance(event, Case.PaperDeliveryRecorded):
        return "paper_delivered" if event.compliant else "paper_noncompliant"
    return STATUS_AFTER.get(type(event).__name__)


STATUS_AFTER = {
    "Filed": "draft",
    "Submitted": "submitted",
    "ReturnedForCorrection": "returned",
    "AuditRecorded": "audit_approved",
    "DecisionRecorded": "award_decided",
    "NotSelectedRecorded": "not_selected",
    "DisbursementRecorded": "disbursement_scheduled",
}


# What funding reports that belongs in the case's history (DeadlineSet's dates are already on
# EntitlementsGranted and HousingChosen).
FUNDING_NEWS = {
    "EntitlementsGranted": "entitlements granted",
    "AwardDeclined": "award declined: it would exceed the year's budget",
    "HousingChosen": "housing chosen",
    "ServiceMoneyClaimApproved": "service-money claim approved",
    "DisbursementPaid": "payment reported paid",
    "DisbursementFailed": "payment reported failed",
    "DisbursementReturned": "payment reported returned",
    "DisbursementRetried": "payment retried",
    "DisbursementCancelled": "disbursement cancelled",
    "DeadlineReached": "deadline reached",
    "EndedEarly": "ended early",
    "RecoveryClaimed": "recovery claimed",
    "RecoveryWithdrawn": "recovery withdrawn",
}


class ApplicationApplication(Erasing, PlacementCommands, ServiceApplication):
    name = "application"
    ACCESS = access.TABLE

    def projections(self):
        return (CaseStatusView(), PlacementsView())

    # -- commands ---------------------------------------------------------------------
    @handles(commands.FileCase)
    def file_case(self, command, uow) -> dict:
        """A draft case; with the talent's form and the documents when the portal sends them at once."""
        access.check("file_case", uow.actor, access.unit_facts(command.unit_id))
        unit = uow.get(UnitStanding, command.unit_id, "approved unit registration")
        today = self.clock.today()
        case = Case.file(unit, command.programme, command.title, policy.in_force(command.programme, today), today)
        if command.talent:
            case.declare_talent(command.talent, command.claims, command.category, command.entries)
        if command.documents:
            case.attach(command.documents, replace=False)
        uow.add(case)
        return {"case_id": str(case.id), "version": case.version}

    @handles(commands.DeclareTalent)
    def declare_talent(self, command, uow) -> dict:
        case = self._case(uow, command, "declare_talent")
        case.declare_talent(command.talent, command.claims, command.category, command.entries)
        return _case_result(case)

    @handles(commands.AttachDocuments)
    def attach_documents(self, command, uow) -> dict:
        case = self._case(uow, command, "attach_documents")
        case.attach(command.documents, command.replace)
        return _case_result(case)

    @handles(commands.AgeWaiver)
    def record_age_waiver(self, command, uow) -> dict:
        case = self._case(uow, command, "record_age_waiver")
        case.record_age_waiver(uow.actor.actor_id, command.reason)
        return _case_result(case)

    @handles(commands.Submit)
    def submit(self, command, uow) -> dict:
        case = self._case(uow, command, "submit")
        unit = uow.get(UnitStanding, case.unit_id, "approved unit registration")
        case.submit(policy.edition(case.policy_edition), unit.unit_type, self.clock.today())
        return _case_result(case)

    @handles(commands.RecordPaperDelivery)
    def record_paper_delivery(self, command, uow) -> dict:
        case = self._case(uow, command, "record_paper_delivery")
        unit = uow.get(UnitStanding, case.unit_id, "approved unit registration")
        case.record_paper_delivery(policy.edition(case.policy_edition), command.delivery, unit.name,
                                   self.clock.today())
        return _case_result(case)

    @staticmethod
    def _case(uow, command, endpoint: str) -> Case:
        """The case the command names, if the caller may call `endpoint` on it (checked on the stored
        case, not a read model: services/application/access.py), at the version the caller saw."""
        case = uow.get(Case, command.case_id, "case")
        access.check(endpoint, uow.actor, access.case_facts(case))
        check_version(case, command.expected_version)
        return case

    # -- queries ----------------------------------------------------------------------
    def unit(self, unit_id) -> UnitStanding:
        unit = self.get_or_none(unit_id)
        if not isinstance(unit, UnitStanding):
            raise not_found("approved unit registration", unit_id)
        return unit

    def checklist(self, case_id) -> dict:
        """What the case holds and still lacks, item by item, for its unit's type."""
        case = self.case(case_id)
        unit = self.unit(case.unit_id)
        items = materials.checklist(policy.edition(case.policy_edition), unit.unit_type,
                                    documents_by_code(case.documents))
        returned = {item["item"]: item["reason"] for item in case.returned_items}
        return {"case_id": str(case.id), "status": case.status, "unit_type": unit.unit_type,
                "talent_declared": case.talent is not None,
                "correction_deadline": case.correction_deadline.isoformat() if case.correction_deadline else None,
                "items": [{"section": i.section, "code": i.code, "title": i.title, "mandatory": i.mandatory,
                           "present": i.present, "documents": len(case.documents.get(i.code, ())),
                           "returned_reason": returned.get(i.code)} for i in items],
                "missing_mandatory": [i.code for i in items if i.mandatory and not i.present]}

    def case(self, case_id) -> Case:
        case = self.get_or_none(case_id)
        if not isinstance(case, Case):
            raise not_found("case", case_id)
        return case

    def history(self, case_id, as_of=None, known_at=None) -> list[dict]:
        """The case stream as an auditor reads it (a programme A case or a programme B placement):
        every entry in stream order, with who acted, why, under which rule, when it took effect and
        when the record learnt it; `as_of`/`known_at` bound the two business-time axes
        (history.py, docs/history.md)."""
        if not isinstance(self.get_or_none(case_id), Case | Placement):
            raise not_found("case", case_id)
        entries = history.link_supersessions([history.entry_of(event) for event in self.events.get(case_id)])
        return history.select(entries, as_of, known_at)

    # -- what other services tell us --------------------------------------------------
    def inbound_handlers(self):
        return {
            "registration.unit.Registered": self._unit_registered,
            "registration.unit.Approved": self._unit_approved,
            "registration.unit.Rejected": self._unit_rejected,
            "registration.unit.ReturnedForCorrection": self._unit_returned,
            "registration.unit.DetailsUpdated": self._unit_details_updated,
            "review.case_review.AuditApproved": self._milestone(Case.record_audit, "audit approved"),
            "review.case_review.AuditReturned": self._audit_returned,
            "review.case_review.AwardDecided": self._milestone(Case.record_decision, "award decided"),
            "review.case_review.NotSelected": self._milestone(Case.record_not_selected, "not selected"),
            "funding.case_funding.DisbursementScheduled": self._milestone(Case.record_disbursement,
                                                                          "disbursement scheduled"),
            **{f"funding.case_funding.{name}": self._milestone(Case.record_funding, summary)
               for name, summary in FUNDING_NEWS.items()},
            **self.placement_handlers(),
            **self.erasure_handlers("registration"),
        }

    @staticmethod
    def _unit_registered(envelope, uow) -> None:
        if uow.find(envelope["stream_id"]) is None:
            payload = envelope["payload"]
            uow.add(UnitStanding(id=envelope["stream_id"], name=payload["name"], unit_type=payload["unit_type"],
                                 technology_company=payload.get("technology_company", False)))   # v2 carries it

    @staticmethod
    def _unit_approved(envelope, uow) -> None:
        uow.find(envelope["stream_id"]).approved(source=source_ref(envelope), actor=provenance.actor_of(envelope))

    @staticmethod
    def _unit_rejected(envelope, uow) -> None:
        uow.find(envelope["stream_id"]).rejected(source=source_ref(envelope))

    @staticmethod
    def _unit_returned(envelope, uow) -> None:
        uow.find(envelope["stream_id"]).returned(source=source_ref(envelope))

    @staticmethod
    def _unit_details_updated(envelope, uow) -> None:
        unit, payload = uow.find(envelope["stream_id"]), envelope["payload"]
        unit.details_updated(name=payload["name"], unit_type=payload["unit_type"], source=source_ref(envelope),
                             technology_company=payload.get("technology_company", False))

    @staticmethod
    def _audit_returned(envelope, uow) -> None:
        case, payload = uow.get(Case, envelope["case_id"], "case"), envelope["payload"]
        case.record_return(reason=payload["reason"], items=payload["items"],
                           correction_deadline=payload["correction_deadline"], **report(envelope))

    @staticmethod
    def _milestone(record, summary: str):
        def handle(envelope, uow) -> None:
            record(uow.get(Case, envelope["case_id"], "case"), summary=summary, **report(envelope))
        return handle


def _case_result(case: Case) -> dict:
    return {"case_id": str(case.id), "status": case.status, "version": case.version}

