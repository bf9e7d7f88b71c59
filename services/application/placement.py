"""Programme B (科技副总): matchmaking, the placement case and the two invariants that span cases.
Pure domain.

    cooperation: proposed ─▶ confirmed by the company and by the expert (either order) ─▶ agreed
    placement:   filed ─(review)─▶ approved ─(备案)─▶ filed_with_office ─▶ agreement ─▶ appointed
                   │                                        ─▶ extended … ─▶ expired | terminated ─▶ evaluated
                   └─▶ rejected

Seed 003 三(二)(三)(四), 四(二)5, 六(一)2. The invariants (四(二)5):
* one subsidised project per expert per service term: the expert's `ExpertTerm` holds the placement
  that claimed it, recorded in the same transaction as the filing, so two racing filings cannot both
  win (the store refuses the second write; it is retried and then refused by the rule);
* exactly one vice-president per project: a placement names one expert at filing and is appointed
  once.
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.calendar import add_months
from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream


EXPERT_TERMS = uuid5(NAMESPACE_URL, "urn:changping:expert-terms")


def expert_term_id(expert_id) -> UUID:
    return uuid5(EXPERT_TERMS, str(expert_id))


class ExpertStanding(Stream):
    """This service's copy of a pool expert, learnt from registration's events."""
    PUBLISHED = False

    @event("Learnt")
    def __init__(self, id: UUID, fields: list, institution_kind: str):  # noqa: A002
        self.fields, self.institution_kind, self.status = fields, institution_kind, "published"

    @event("Withdrawn")
    def withdrawn(self, source: dict):
        self.status = "withdrawn"


class Cooperation(Stream):
    """A cooperation intent between a company and a pool expert (供需对接, 双向选择)."""
    PUBLISHED = False

    @classmethod
    def propose(cls, company, expert: ExpertStanding, field: str, need: str) -> Cooperation:
        require_company(company)
        if expert.status != "published":
            raise rule_violation("B.expert.published", "only an expert published in the pool can be matched",
                                 fields={"expert_id": [f"expert is {expert.status}"]})
        return cls(unit_id=company.id, expert_id=expert.id, field=field, need=need)

    @event("Proposed")
    def __init__(self, unit_id: UUID, expert_id: UUID, field: str, need: str):
        self.unit_id, self.expert_id, self.field, self.need = unit_id, expert_id, field, need
        self.confirmed_by: list[str] = []
        self.placement_id: UUID | None = None

    @property
    def agreed(self) -> bool:
        return set(self.confirmed_by) == {"company", "expert"}

    def confirm(self, party: str) -> None:
        if party not in self.confirmed_by:
            self._confirmed(party=party)

    @event("Confirmed")
    def _confirmed(self, party: str):
        self.confirmed_by.append(party)

    def require_unused(self) -> None:
        if self.placement_id is not None:
            raise rule_violation("B.cooperation.one_project", "this cooperation already has its project",
                                 fields={"cooperation_id": ["already used"]})

    def use_for(self, placement_id: UUID) -> None:
        self.require_unused()
        self._used(placement_id=placement_id)

    @event("Used")
    def _used(self, placement_id: UUID):
        self.placement_id = placement_id


class ExpertTerm(Stream):
    """The expert's service term: which placement holds its one subsidised project (四(二)5)."""
    PUBLISHED = False

    @event("Opened")
    def __init__(self, id: UUID, expert_id: UUID):  # noqa: A002
        self.expert_id, self.placement_id = expert_id, None

    def require_free(self) -> None:
        if self.placement_id is not None:
            raise rule_violation("B.expert.one_project_per_term", "an expert has one subsidised project per service "
                                 f"term; placement {self.placement_id} holds this expert's",
                                 fields={"expert_id": ["already holds a project this term"]})

    def claim(self, placement_id: UUID) -> None:
        self.require_free()
        self._claimed(placement_id=placement_id)

    def release(self, placement_id: UUID, why: str) -> None:
        if self.placement_id == placement_id:
            self._released(placement_id=placement_id, why=why)

    @event("Claimed")
    def _claimed(self, placement_id: UUID):
        self.placement_id = placement_id

    @event("Released")
    def _released(self, placement_id: UUID, why: str):
        self.placement_id = None


def require_company(company) -> None:
    """四: a Changping technology company (昌平区科技型企业), registered and approved."""
    if company.status != "approved":
        raise rule_violation("B.company.approved", "only a company whose registration was approved may cooperate",
                             fields={"unit_id": [f"registration is {company.status}"]})
    if not company.technology_company:
        raise rule_violation("B.company.technology", "programme B's companies are Changping technology companies",
                             fields={"unit_id": ["not registered as a technology company"]})


ACTIVE = ("appointed",)


class Placement(Stream):
    """Programme B's case: one cooperation project and its one vice-president, from filing to evaluation."""
    STREAM = "placement"
    CASE_STREAM = True

    @classmethod
    def file(cls, cooperation: Cooperation, term: ExpertTerm, title: str, kind: str, project_funds_fen: int,
             policy: dict) -> Placement:
        if not cooperation.agreed:
            raise rule_violation("B.cooperation.agreed", "a project is filed once both the company and the expert "
                                 "confirmed the cooperation", fields={"cooperation_id": [
                                     f"confirmed by {cooperation.confirmed_by or 'nobody'}"]})
        if kind not in policy["project"]["kinds"]:
            raise rule_violation("B.project.kind", f"a project is one of {policy['project']['kinds']}",
                                 fields={"kind": ["unknown project kind"]})
        cooperation.require_unused()     # every rule before any change
        term.require_free()
        placement = cls(unit_id=cooperation.unit_id, expert_id=cooperation.expert_id, cooperation_id=cooperation.id,
                        title=title, kind=kind, project_funds_fen=project_funds_fen, policy_edition=policy["edition"])
        cooperation.use_for(placement.id)
        term.claim(placement.id)
        return placement

    @event("ProjectFiled")
    def __init__(self, unit_id: UUID, expert_id: UUID, cooperation_id: UUID, title: str, kind: str,
                 project_funds_fen: int, policy_edition: str):
        self.unit_id, self.expert_id, self.cooperation_id = unit_id, expert_id, cooperation_id
        self.title, self.kind, self.project_funds_fen = title, kind, project_funds_fen
        self.policy_edition = policy_edition
        self.status = "filed"
        self.starts_on: date | None = None
        self.ends_on: date | None = None

    # -- what review reports --------------------------------------------------------------------
    # `report`: the reviewed or funding event's source, actor, effective time and facts (provenance.py)
    def record_review(self, approved: bool, summary: str, source: dict, term: ExpertTerm, **report) -> None:
        self._review_recorded(approved=approved, summary=summary, source=source, **report)
        if not approved:
            term.release(self.id, "project rejected")

    @event("ReviewRecorded")
    def _review_recorded(self, approved: bool, summary: str, source: dict, actor: dict | None = None,
                         effective_at: datetime | None = None, facts: dict | None = None):
        self.status = "approved" if approved else "rejected"

    def record_office_filing(self, summary: str, source: dict, **report) -> None:
        self._office_filing_recorded(summary=summary, source=source, **report)

    @event("OfficeFilingRecorded")
    def _office_filing_recorded(self, summary: str, source: dict, actor: dict | None = None,
                                effective_at: datetime | None = None, facts: dict | None = None):
        self.status = "filed_with_office"

    # -- agreement, appointment and term ---------------------------------------------------------
    def record_agreement(self, signed_on: date, management_mode: str | None, ip_ownership: str | None) -> None:
        self._require("filed_with_office", "B.agreement.after_filing",
                      "the three-party agreement follows the project's filing (备案) with the talent-work office")
        self._agreement_recorded(signed_on=signed_on, management_mode=management_mode, ip_ownership=ip_ownership)

    @event("AgreementRecorded")
    def _agreement_recorded(self, signed_on: date, management_mode: str | None, ip_ownership: str | None):
        self.status, self.signed_on = "agreed", signed_on

    def appoint(self, post_title: str, starts_on: date, policy: dict, today: date,
                late_recording_reason: str | None = None) -> None:
        """三(三): the letters follow the signed agreement, so the term starts on or after the signing.
        A start before today is a late recording and says why (`late_recording_reason`)."""
        if self.status == "appointed" or self.starts_on is not None:
            raise rule_violation("B.project.one_vice_president", "each project has exactly one vice-president, "
                                 "appointed once", fields={"case_id": ["already appointed"]})
        self._require("agreed", "B.appointment.after_agreement",
                      "appointment letters follow the three-party agreement")
        signed_on = getattr(self, "signed_on", None)
        if signed_on is not None and starts_on < signed_on:
            raise rule_violation("B.appointment.after_signing", f"the appointment starts on or after the"
                                 f" agreement's signing ({signed_on})", fields={"starts_on": [f"on or after {signed_on}"]})
        late_recording_reason = (late_recording_reason or "").strip() or None
        if starts_on < today and late_recording_reason is None:
            raise rule_violation("B.appointment.late_recording", f"an appointment that started before today"
                                 f" ({today}) is a late recording: give late_recording_reason",
                                 fields={"late_recording_reason": ["required when starts_on is before today"]})
        self._appointed(unit_id=self.unit_id, expert_id=self.expert_id, post_title=post_title, starts_on=starts_on,
                        ends_on=add_months(starts_on, policy["term"]["months"]), kind=self.kind,
                        project_funds_fen=self.project_funds_fen, policy_edition=policy["edition"],
                        late_recording_reason=late_recording_reason)

    @event("Appointed")
    def _appointed(self, unit_id: UUID, expert_id: UUID, post_title: str, starts_on: date, ends_on: date, kind: str,
                   project_funds_fen: int, policy_edition: str, late_recording_reason: str | None = None):
        self.status, self.starts_on, self.ends_on = "appointed", starts_on, ends_on

    def extend(self, ends_on: date, reason: str, today: date) -> None:
        self._require("appointed", "B.term.extend_in_term", "a term is extended while it runs")
        if ends_on <= self.ends_on:
            raise rule_violation("B.term.extend_later", f"an extension moves the end after {self.ends_on}",
                                 fields={"ends_on": [f"after {self.ends_on}"]})
        if today >= self.ends_on:
            raise rule_violation("B.term.extend_in_term", f"the term ended on {self.ends_on}",
                                 fields={"case_id": ["term over"]})
        self._extended(previous_ends_on=self.ends_on, ends_on=ends_on, reason=reason)

    @event("TermExtended")
    def _extended(self, previous_ends_on: date, ends_on: date, reason: str):
        self.ends_on = ends_on

    def terminate(self, ended_on: date, reason: str, term: ExpertTerm, today: date) -> None:
        self._require("appointed", "B.term.terminate_in_term", "only a running term ends early")
        if ended_on > today:
            raise rule_violation("B.term.terminate_not_in_future", "record an early end once it has happened",
                                 fields={"ended_on": [f"on or before {today}"]})
        if not self.starts_on <= ended_on < self.ends_on:
            raise rule_violation("B.term.terminate_in_term", f"the last day must fall from {self.starts_on} to "
                                 f"before {self.ends_on}", fields={"ended_on": ["outside the term"]})
        self._terminated(ended_on=ended_on, reason=reason)
        term.release(self.id, "terminated early")

    @event("TerminatedEarly")
    def _terminated(self, ended_on: date, reason: str):
        self.status = "terminated"

    def expire_if_due(self, today: date, term: ExpertTerm) -> bool:
        if self.status != "appointed" or today < self.ends_on:
            return False
        self._expired(ends_on=self.ends_on)
        term.release(self.id, "term expired")
        return True

    @event("TermExpired")
    def _expired(self, ends_on: date):
        self.status = "expired"

    def record_evaluation(self, opinion: str, rating: str) -> None:
        if self.status not in ("expired", "terminated"):
            raise rule_violation("B.evaluation.after_term", "the experts evaluate the project when the term is over",
                                 fields={"case_id": [f"placement is {self.status}"]})
        self._evaluated(opinion=opinion, rating=rating)

    @event("EvaluationRecorded")
    def _evaluated(self, opinion: str, rating: str):
        self.status = "evaluated"

    def record_funding(self, summary: str, source: dict, **report) -> None:
        """Subsidies, prizes and payments as funding reports them."""
        self._funding_recorded(summary=summary, source=source, **report)

    @event("FundingRecorded")
    def _funding_recorded(self, summary: str, source: dict, actor: dict | None = None,
                          effective_at: datetime | None = None, facts: dict | None = None):
        pass

    def _require(self, status: str, rule: str, message: str) -> None:
        if self.status != status:
            raise rule_violation(rule, f"{message}; the placement is {self.status}",
                                 fields={"case_id": [f"placement is {self.status}"]})
