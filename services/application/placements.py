"""The application service's programme B side: matchmaking and placements (command handlers,
what registration and review report about them, the term timer's work, and the placements read model).
Mixed into `ApplicationApplication`; the rules are in placement.py."""
from __future__ import annotations

from shared import policy
from shared.errors import not_found
from shared.eventstore.application import check_version, handles
from shared.eventstore.meta import EventMeta
from shared.eventstore.projection import Projection
from shared.identity import system_actor
from shared.messaging.inbox import source_ref

from services.application import access, commands
from services.application.domain import UnitStanding
from services.application.placement import Cooperation, ExpertStanding, ExpertTerm, Placement, expert_term_id
from services.application.provenance import report

PLACEMENTS = "placements"


class PlacementsView(Projection):
    """One document per placement: status, parties, term."""
    name = "placements"
    collections = (PLACEMENTS,)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, Placement.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(PLACEMENTS, key) or {"case_id": key, "programme": "B"}
        if isinstance(event, Placement.ProjectFiled):
            doc.update(unit_id=str(event.unit_id), expert_id=str(event.expert_id), title=event.title,
                       kind=event.kind, project_funds_fen=event.project_funds_fen, filed_at=event.meta["occurred_at"])
        elif isinstance(event, Placement.Appointed | Placement.TermExtended):
            doc.update(ends_on=event.ends_on.isoformat())
            if isinstance(event, Placement.Appointed):
                doc.update(starts_on=event.starts_on.isoformat(), post_title=event.post_title)
        elif isinstance(event, Placement.TerminatedEarly):
            doc.update(ended_on=event.ended_on.isoformat())
        elif isinstance(event, Placement.EvaluationRecorded):
            doc.update(rating=event.rating)
        doc.update(status=PLACEMENT_STATUS.get(type(event).__name__, doc.get("status")),
                   version=event.originator_version, updated_at=event.meta["occurred_at"], position=notification_id)
        if isinstance(event, Placement.ReviewRecorded):
            doc["status"] = "approved" if event.approved else "rejected"
        docs.put(PLACEMENTS, key, doc)


PLACEMENT_STATUS = {"ProjectFiled": "filed", "OfficeFilingRecorded": "filed_with_office",
                    "AgreementRecorded": "agreed", "Appointed": "appointed", "TerminatedEarly": "terminated",
                    "TermExpired": "expired", "EvaluationRecorded": "evaluated"}


# What funding reports about a placement that belongs in its history.
PLACEMENT_FUNDING_NEWS = {
    "EntitlementsGranted": "entitlements granted",
    "EntitlementRestated": "entitlement restated",
    "DisbursementScheduled": "disbursement scheduled",
    "DisbursementPaid": "payment reported paid",
    "DisbursementFailed": "payment reported failed",
    "DisbursementReturned": "payment reported returned",
    "DisbursementRetried": "payment retried",
    "DisbursementCancelled": "disbursement cancelled",
    "PrizeAwarded": "prize awarded",
    "BreakthroughSubsidyGranted": "breakthrough subsidy granted",
    "RecoveryClaimed": "recovery claimed",
    "RecoveryWithdrawn": "recovery withdrawn",
}


class PlacementCommands:
    """Programme B's command handlers, queries and inbound handlers (needs a ServiceApplication)."""

    # -- matchmaking ----------------------------------------------------------------------------
    @handles(commands.ProposeCooperation)
    def propose_cooperation(self, command, uow) -> dict:
        access.check("propose_cooperation", uow.actor, access.unit_facts(command.unit_id))
        company = uow.get(UnitStanding, command.unit_id, "approved unit registration")
        expert = uow.get(ExpertStanding, command.expert_id, "published pool expert")
        cooperation = Cooperation.propose(company, expert, command.field, command.need)
        cooperation.confirm("company")     # the company proposing it confirms it
        uow.add(cooperation)
        return {"cooperation_id": str(cooperation.id), "confirmed_by": cooperation.confirmed_by}

    @handles(commands.ConfirmCooperation)
    def confirm_cooperation(self, command, uow) -> dict:
        cooperation = uow.get(Cooperation, command.cooperation_id, "cooperation")
        access.check("confirm_cooperation", uow.actor, access.cooperation_facts(cooperation))
        cooperation.confirm("expert" if uow.actor.role == "expert" else "company")
        return {"cooperation_id": str(cooperation.id), "confirmed_by": cooperation.confirmed_by,
                "agreed": cooperation.agreed}

    # -- the placement ----------------------------------------------------------------------------
    @handles(commands.FileProject)
    def file_project(self, command, uow) -> dict:
        """The placement, the cooperation it uses and the expert's term it claims change together,
        recorded in that order (the placement's events first)."""
        cooperation = uow.get(Cooperation, command.cooperation_id, "cooperation")
        access.check("file_project", uow.actor, access.unit_facts(cooperation.unit_id))
        term_id = expert_term_id(cooperation.expert_id)
        term = uow.find(term_id) or ExpertTerm(id=term_id, expert_id=cooperation.expert_id)
        placement = Placement.file(cooperation, term, command.title, command.kind, command.project_funds_fen,
                                   policy.in_force("B", self.clock.today()))
        uow.add(placement, cooperation, term)
        return {"case_id": str(placement.id), "version": placement.version}

    @handles(commands.RecordAgreement)
    def record_agreement(self, command, uow) -> dict:
        placement = self._placement(uow, command, "record_agreement")
        placement.record_agreement(command.signed_on, command.management_mode, command.ip_ownership)
        return _placement_result(placement)

    @handles(commands.Appoint)
    def appoint(self, command, uow) -> dict:
        placement = self._placement(uow, command, "appoint")
        # a new decision: the edition of the placement's series in force today (policy.edition.not_in_force)
        in_force = policy.in_force(policy.series_of(placement.policy_edition), self.clock.today())
        placement.appoint(command.post_title, command.starts_on, in_force, self.clock.today(),
                          command.late_recording_reason)
        return _placement_result(placement)

    @handles(commands.ExtendTerm)
    def extend_term(self, command, uow) -> dict:
        placement = self._placement(uow, command, "extend_term")
        placement.extend(command.ends_on, command.reason, self.clock.today())
        return _placement_result(placement)

    @handles(commands.TerminateEarly)
    def terminate_early(self, command, uow) -> dict:
        placement = self._placement(uow, command, "terminate_early")
        placement.terminate(command.ended_on, command.reason, uow.find(expert_term_id(placement.expert_id)),
                            self.clock.today())
        return _placement_result(placement)

    @handles(commands.RecordEvaluation)
    def record_evaluation(self, command, uow) -> dict:
        placement = self._placement(uow, command, "record_evaluation")
        placement.record_evaluation(command.opinion, command.rating)
        return _placement_result(placement)

    @staticmethod
    def _placement(uow, command, endpoint: str) -> Placement:
        placement = uow.get(Placement, command.case_id, "placement")
        access.check(endpoint, uow.actor, access.placement_facts(placement))
        check_version(placement, command.expected_version)
        return placement

    # -- the term timer ---------------------------------------------------------------------------
    def expire_due_terms(self, views) -> list[str]:
        """The timer's work: record the end of every term due by today, once (as system:application).
        Each placement is its own command and transaction, caused by the timer: what is recorded stays
        if a later one fails, and the next tick takes up the rest."""
        today, expired = self.clock.today(), []
        due, _ = views.find(PLACEMENTS, {"status": "appointed"}, order_by="ends_on", limit=500)
        for doc in due:
            if doc["ends_on"] > today.isoformat():
                break
            meta = EventMeta(actor=system_actor("application"), occurred_at=self.clock.now(),
                             causation_id=f"term-timer:{doc['case_id']}")
            written = self.handle(commands.ExpireTerm(case_id=doc["case_id"], today=today), meta)
            if written.result["expired"]:
                expired.append(doc["case_id"])
        return expired

    @handles(commands.ExpireTerm)
    def expire_term(self, command, uow) -> dict:
        placement = uow.get(Placement, command.case_id, "placement")
        expired = placement.expire_if_due(command.today, uow.find(expert_term_id(placement.expert_id)))
        return {"case_id": str(command.case_id), "expired": expired}

    # -- reading --------------------------------------------------------------------------------
    def cooperation(self, cooperation_id) -> Cooperation:
        cooperation = self.get_or_none(cooperation_id)
        if not isinstance(cooperation, Cooperation):
            raise not_found("cooperation", cooperation_id)
        return cooperation

    # -- what registration and review report ------------------------------------------------------
    def placement_handlers(self) -> dict:
        return {
            "registration.expert.Published": self._expert_published,
            "registration.expert.Withdrawn": self._expert_withdrawn,
            "review.placement_review.ProjectApproved": self._project_reviewed(True, "project approved"),
            "review.placement_review.ProjectRejected": self._project_reviewed(False, "project rejected"),
            "review.placement_review.FiledWithOffice": self._filed_with_office,
            **{f"funding.placement_funding.{name}": self._funding_news(summary)
               for name, summary in PLACEMENT_FUNDING_NEWS.items()},
        }

    @staticmethod
    def _expert_published(envelope, uow) -> None:
        if uow.find(envelope["stream_id"]) is None:
            payload = envelope["payload"]
            uow.add(ExpertStanding(id=envelope["stream_id"], fields=payload["fields"],
                                   institution_kind=payload["institution_kind"]))

    @staticmethod
    def _expert_withdrawn(envelope, uow) -> None:
        expert = uow.find(envelope["stream_id"])
        if expert is not None:
            expert.withdrawn(source=source_ref(envelope))

    @staticmethod
    def _project_reviewed(approved: bool, summary: str):
        def handle(envelope, uow) -> None:
            placement = uow.get(Placement, envelope["case_id"], "placement")
            term = uow.find(expert_term_id(placement.expert_id))
            placement.record_review(approved, summary, term=term, **report(envelope))
        return handle

    @staticmethod
    def _funding_news(summary: str):
        def handle(envelope, uow) -> None:
            uow.get(Placement, envelope["case_id"], "placement").record_funding(summary, **report(envelope))
        return handle

    @staticmethod
    def _filed_with_office(envelope, uow) -> None:
        placement = uow.get(Placement, envelope["case_id"], "placement")
        placement.record_office_filing("filed with the talent-work office (备案)", **report(envelope))


def _placement_result(placement: Placement) -> dict:
    return {"case_id": str(placement.id), "status": placement.status, "version": placement.version}

