"""The application service's programme B side: matchmaking and placements (commands, what
registration and review report about them, the term timer's work, and the placements read model).
Mixed into `ApplicationApplication`; the rules are in placement.py."""
from __future__ import annotations

from shared import policy
from shared.errors import forbidden, not_found
from shared.eventstore.application import check_version
from shared.eventstore.meta import EventMeta
from shared.eventstore.projection import Projection
from shared.identity import system_actor
from shared.messaging.inbox import source_ref

from services.application.placement import Cooperation, ExpertStanding, ExpertTerm, Placement, expert_term_id

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
    """Programme B's commands, queries and inbound handlers (needs a ServiceApplication)."""

    # -- matchmaking ----------------------------------------------------------------------------
    def propose_cooperation(self, unit_id, expert_id, field: str, need: str):
        def action():
            cooperation = Cooperation.propose(self.unit(unit_id), self.expert(expert_id), field, need)
            cooperation.confirm("company")     # the company proposing it confirms it
            return {"cooperation_id": str(cooperation.id), "confirmed_by": cooperation.confirmed_by}, [cooperation]
        return action

    def confirm_cooperation(self, cooperation_id, identity):
        def action():
            cooperation = self.cooperation(cooperation_id)
            cooperation.confirm(party_of(identity, cooperation))
            return {"cooperation_id": str(cooperation.id), "confirmed_by": cooperation.confirmed_by,
                    "agreed": cooperation.agreed}, [cooperation]
        return action

    # -- the placement ----------------------------------------------------------------------------
    def file_project(self, cooperation_id, title: str, kind: str, project_funds_fen: int):
        def action():
            cooperation = self.cooperation(cooperation_id)
            term = self.get_or_none(expert_term_id(cooperation.expert_id)) or ExpertTerm(
                id=expert_term_id(cooperation.expert_id), expert_id=cooperation.expert_id)
            placement = Placement.file(cooperation, term, title, kind, project_funds_fen, policy.current("B"))
            return {"case_id": str(placement.id), "version": placement.version}, [placement, cooperation, term]
        return action

    def record_agreement(self, case_id, signed_on, management_mode, ip_ownership, expected_version=None):
        return self._on_placement(case_id, expected_version,
                                  lambda p: p.record_agreement(signed_on, management_mode, ip_ownership))

    def appoint(self, case_id, post_title: str, starts_on, expected_version=None):
        return self._on_placement(case_id, expected_version,
                                  lambda p: p.appoint(post_title, starts_on, policy.edition(p.policy_edition)))

    def extend_term(self, case_id, ends_on, reason: str, expected_version=None):
        return self._on_placement(case_id, expected_version, lambda p: p.extend(ends_on, reason, self.clock.today()))

    def terminate_early(self, case_id, ended_on, reason: str, expected_version=None):
        def terminate(placement):
            term = self.get_or_none(expert_term_id(placement.expert_id))
            placement.terminate(ended_on, reason, term)
            return [term]
        return self._on_placement(case_id, expected_version, terminate)

    def record_evaluation(self, case_id, opinion: str, rating: str, expected_version=None):
        return self._on_placement(case_id, expected_version, lambda p: p.record_evaluation(opinion, rating))

    def expire_due_terms(self, views) -> list[str]:
        """The timer's work: record the end of every term due by today, once (as system:application)."""
        today, expired = self.clock.today(), []
        due, _ = views.find(PLACEMENTS, {"status": "appointed"}, order_by="ends_on", limit=500)
        for doc in due:
            if doc["ends_on"] > today.isoformat():
                break
            meta = EventMeta(actor=system_actor("application"), occurred_at=self.clock.now(),
                             causation_id=f"term-timer:{doc['case_id']}")
            written = self.execute(meta, self._expire(doc["case_id"], today))
            if written.result["expired"]:
                expired.append(doc["case_id"])
        return expired

    def _expire(self, case_id, today):
        def action():
            placement = self.placement(case_id)
            term = self.get_or_none(expert_term_id(placement.expert_id))
            expired = placement.expire_if_due(today, term)
            return {"case_id": str(case_id), "expired": expired}, [placement, term] if expired else []
        return action

    def _on_placement(self, case_id, expected_version, change):
        def action():
            placement = self.placement(case_id)
            check_version(placement, expected_version)
            others = change(placement) or []
            return ({"case_id": str(placement.id), "status": placement.status, "version": placement.version},
                    [placement, *others])
        return action

    # -- reading --------------------------------------------------------------------------------
    def placement(self, case_id) -> Placement:
        placement = self.get_or_none(case_id)
        if not isinstance(placement, Placement):
            raise not_found("placement", case_id)
        return placement

    def cooperation(self, cooperation_id) -> Cooperation:
        cooperation = self.get_or_none(cooperation_id)
        if not isinstance(cooperation, Cooperation):
            raise not_found("cooperation", cooperation_id)
        return cooperation

    def expert(self, expert_id) -> ExpertStanding:
        expert = self.get_or_none(expert_id)
        if not isinstance(expert, ExpertStanding):
            raise not_found("published pool expert", expert_id)
        return expert

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

    def _expert_published(self, envelope):
        if self.get_or_none(envelope["stream_id"]) is None:
            payload = envelope["payload"]
            yield ExpertStanding(id=envelope["stream_id"], fields=payload["fields"],
                                 institution_kind=payload["institution_kind"])

    def _expert_withdrawn(self, envelope):
        expert = self.get_or_none(envelope["stream_id"])
        if expert is not None:
            expert.withdrawn(source=source_ref(envelope))
            yield expert

    def _project_reviewed(self, approved: bool, summary: str):
        def handle(envelope):
            placement = self.placement(envelope["case_id"])
            term = self.get_or_none(expert_term_id(placement.expert_id))
            placement.record_review(approved, summary, source_ref(envelope), term)
            yield placement
            yield term
        return handle

    def _funding_news(self, summary: str):
        def handle(envelope):
            placement = self.placement(envelope["case_id"])
            placement.record_funding(summary, source_ref(envelope))
            yield placement
        return handle

    def _filed_with_office(self, envelope):
        placement = self.placement(envelope["case_id"])
        placement.record_office_filing("filed with the talent-work office (备案)", source_ref(envelope))
        yield placement


def party_of(identity, cooperation: Cooperation) -> str:
    """Which side of the cooperation the caller confirms for: the company's contact, or the expert."""
    if identity.role == "unit_contact" and identity.unit_id == str(cooperation.unit_id):
        return "company"
    if identity.role == "expert" and identity.actor_id == str(cooperation.expert_id):
        return "expert"
    raise forbidden("only the company's contact or the expert confirm a cooperation", rule="roles.own_cooperation")

