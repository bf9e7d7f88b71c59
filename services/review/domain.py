"""A case's review: its audit, the reviewers' scores and the working group's award decision.
Pure domain.

Separation of duties is a rule of the record, not of the portal: whoever audited a case
(approved or returned it) cannot decide its award, and a reviewer who declared a conflict of
interest cannot score it. The scoring rules programme B's project review shares are in scoring.py.

    draft ─(submitted)─▶ awaiting_audit ─approve─▶ audit_approved ─(paper ok)─▶ paper_delivered ─decide─▶ award_decided
                              │    ▲                                      scores ─┘
                          return   └─(resubmitted)── returned
"""
from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from shared import policy
from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream
from shared.policy.figures import changju_figures

from services.review import scoring

DECISION = scoring.DecisionRules(
    barred_rule="separation_of_duties.audit_decide", barred_message="whoever audited a case cannot decide its award",
    unscored_message="the working group decides after at least one reviewer scored the case")


class CaseReview(Stream):
    STREAM = "case_review"
    CASE_STREAM = True

    class AwardDecided(Stream.Event):
        """v2 records every figure the decision and the support it grants use (shared/policy/figures.py),
        so funding never reads them from a policy file; a v1 event is upcast with the figures of the
        edition it names (frozen, so they are the figures it was decided on)."""
        class_version = 2
        award_fen: int
        reason: str
        rule: str
        policy_edition: str
        category: str
        prior_changju_award_fen: int
        national_or_beijing_talent: bool
        effective_on: date
        inputs: dict
        figures: dict

        @staticmethod
        def upcast_v1_v2(state):
            category = state.get("category", "outstanding")
            state["figures"] = changju_figures(policy.edition(state["policy_edition"]), category)

    @event("Opened")
    def __init__(self, id: UUID, programme: str, unit_id: UUID):  # noqa: A002
        self.programme, self.unit_id = programme, unit_id
        self.status = "draft"
        self.auditors: list[str] = []
        self.submission: dict | None = None
        self.scores: dict[str, int] = {}
        self.conflicts: list[str] = []
        self.award_fen: int | None = None

    @property
    def edition(self) -> str:
        """The policy edition the case was assessed under (the call it was filed in)."""
        if self.submission:
            return self.submission["eligibility"]["edition"]
        return policy.current(self.programme)["edition"]

    # -- what the application service reports ------------------------------------------
    def receive_submission(self, submission: dict, source: dict) -> None:
        self._submission_received(submission=submission, source=source)

    def check_paper(self, compliant: bool, source: dict) -> None:
        self._paper_checked(compliant=compliant, source=source)

    @event("SubmissionReceived")
    def _submission_received(self, submission: dict, source: dict):
        self.status, self.submission = "awaiting_audit", submission

    @event("PaperChecked")
    def _paper_checked(self, compliant: bool, source: dict):
        if self.status in ("audit_approved", "paper_delivered"):
            self.status = "paper_delivered" if compliant else "audit_approved"

    # -- the audit -----------------------------------------------------------------------
    def approve_audit(self, auditor: str, reason: str) -> None:
        self._require_awaiting_audit()
        self._audit_approved(auditor=auditor, reason=reason)

    def return_for_correction(self, auditor: str, reason: str, items: list[dict], correction_deadline: date,
                              today: date) -> None:
        self._require_awaiting_audit()
        if correction_deadline < today:
            raise rule_violation("A.correction.deadline", f"the correction deadline {correction_deadline} is "
                                 f"before today ({today})", fields={"correction_deadline": ["in the past"]})
        self._audit_returned(auditor=auditor, reason=reason, items=items, correction_deadline=correction_deadline)

    def _require_awaiting_audit(self) -> None:
        if self.status != "awaiting_audit":
            raise rule_violation("review.audit.submitted", f"only a submitted case awaits its audit; this one is "
                                 f"{self.status}", fields={"case_id": [f"case review is {self.status}"]})

    @event("AuditApproved")
    def _audit_approved(self, auditor: str, reason: str):
        self.status = "audit_approved"
        self.auditors.append(auditor)

    @event("AuditReturned")
    def _audit_returned(self, auditor: str, reason: str, items: list, correction_deadline: date):
        self.status = "returned"
        self.auditors.append(auditor)

    # -- reviewers -----------------------------------------------------------------------
    def declare_conflict(self, reviewer: str, reason: str) -> None:
        self._require_undecided()
        if scoring.is_new_conflict(reviewer, self.conflicts):
            self._conflict_declared(reviewer=reviewer, reason=reason)

    def score(self, reviewer: str, score: int, opinion: str) -> None:
        self._require_undecided()
        if self.status not in ("audit_approved", "paper_delivered"):
            raise rule_violation("review.score.after_audit", f"reviewers score a case after its audit passed; this "
                                 f"one is {self.status}", fields={"case_id": [f"case review is {self.status}"]})
        scoring.check_score(reviewer, score, self.conflicts, "case")
        self._scored(reviewer=reviewer, score=score, opinion=opinion)

    def _require_undecided(self) -> None:
        if self.status in ("award_decided", "not_selected"):
            raise rule_violation("review.decided", f"the working group has decided: {self.status}")

    @event("ConflictDeclared")
    def _conflict_declared(self, reviewer: str, reason: str):
        self.conflicts.append(reviewer)

    @event("Scored")
    def _scored(self, reviewer: str, score: int, opinion: str):
        scoring.replace_score(self.scores, reviewer, score)

    # -- the working group's decision ----------------------------------------------------
    def decide_award(self, decider: str, award_fen: int, reason: str, policy: dict, today: date) -> None:
        """`policy`: the edition of the case's call in force today (`shared.policy.in_force`)."""
        self._require_decidable(decider)
        if award_fen < 0:
            raise rule_violation("A.award.cap", "an award cannot be negative", fields={"award_fen": ["at least 0"]})
        facts = self.submission
        category, prior, national = facts["category"], facts["earlier_award_fen"], facts["national_or_beijing_talent"]
        figures = changju_figures(policy, category)
        cap_fen = figures["award_cap_fen"]
        rule = "A.award.cap"
        if national and not figures["national_or_beijing_talent_award_money"]:
            rule = "A.award.national_or_beijing_talent"
            if award_fen > 0:
                raise rule_violation(rule, "a national or Beijing talent gets no local award money, only the "
                                     "services (二(一)2 注)", fields={"award_fen": ["0 for a national or Beijing talent"]})
        elif prior:
            rule = "A.award.top_up"
            if award_fen > cap_fen - prior:
                raise rule_violation(rule, f"a re-applicant gets the difference (补差): at most {cap_fen - prior} fen "
                                     f"after {prior} already awarded (三(一))",
                                     fields={"award_fen": [f"at most {max(cap_fen - prior, 0)}"]})
        elif award_fen > cap_fen:
            raise rule_violation(rule, f"the award may not exceed {cap_fen // 100} yuan",
                                 fields={"award_fen": [f"at most {cap_fen}"]})
        eligibility = facts["eligibility"]
        self._award_decided(
            award_fen=award_fen, reason=reason, rule=rule, policy_edition=policy["edition"], category=category,
            prior_changju_award_fen=prior, national_or_beijing_talent=national, effective_on=today,
            inputs={"requested_fen": award_fen, "cap_fen": cap_fen, "prior_changju_award_fen": prior,
                    "national_or_beijing_talent": national, "scores": dict(self.scores),
                    "eligibility_edition": eligibility["edition"],
                    "age_reference_date": eligibility["age_reference_date"],
                    "recent_years_reference_date": eligibility["recent_years_reference_date"]},
            figures=figures)

    def decline(self, decider: str, reason: str, policy: dict) -> None:
        """The working group does not select the talent: no award, no support; the case ends here."""
        self._require_decidable(decider)
        self._not_selected(reason=reason, policy_edition=policy["edition"], scores=dict(self.scores))

    def _require_decidable(self, decider: str) -> None:
        if self.programme != "A":
            raise rule_violation("review.decision.programme", "only outstanding-talent cases (programme A) get an award")
        if self.status != "paper_delivered":
            raise rule_violation("review.decision.after_paper", "the working group decides after the audit passed and "
                                 f"compliant paper copies arrived; the case is {self.status}",
                                 fields={"case_id": [f"case review is {self.status}"]})
        scoring.check_decider(decider, self.auditors, self.scores, DECISION)

    @event("NotSelected")
    def _not_selected(self, reason: str, policy_edition: str, scores: dict):
        self.status = "not_selected"

    @event(AwardDecided)
    def _award_decided(self, award_fen: int, reason: str, rule: str, policy_edition: str, category: str,
                       prior_changju_award_fen: int, national_or_beijing_talent: bool, effective_on: date,
                       inputs: dict, figures: dict):
        self.status, self.award_fen = "award_decided", award_fen
