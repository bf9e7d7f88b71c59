"""Who may call each of the review service's endpoints, and on which records (shared/access.py).
The entrypoints take their roles from this table; the handlers and queries check the relationship
here, on the review they load."""
from __future__ import annotations

from shared.access import ANY, IN_REVIEW, PLATFORM_ROWS, Facts, Table

TABLE = Table("review", {
    # programme A: the case's audit, scores and decision
    "approve_audit": {"officer": ANY},
    "return_for_correction": {"officer": ANY},
    "declare_conflict": {"reviewer": IN_REVIEW},
    "score": {"reviewer": IN_REVIEW},
    "decide_award": {"decision_maker": ANY},
    "decline": {"decision_maker": ANY},
    "review": {"officer": ANY, "reviewer": IN_REVIEW, "decision_maker": ANY, "auditor": ANY},
    # programme B: the project's review and its filing
    "declare_project_conflict": {"reviewer": IN_REVIEW},
    "score_project": {"reviewer": IN_REVIEW},
    "decide_project": {"decision_maker": ANY},
    "file_with_office": {"officer": ANY},
    "project_review": {"officer": ANY, "reviewer": IN_REVIEW, "decision_maker": ANY, "auditor": ANY},
    **PLATFORM_ROWS,
})

# A case review is with the reviewers once the audit passed.
BEFORE_REVIEW = ("draft", "awaiting_audit", "returned")


def case_review_facts(doc_or_review) -> Facts:
    status = doc_or_review.get("status") if isinstance(doc_or_review, dict) else doc_or_review.status
    unit_id = doc_or_review.get("unit_id") if isinstance(doc_or_review, dict) else doc_or_review.unit_id
    return Facts(unit_id=unit_id and str(unit_id), in_review=status not in BEFORE_REVIEW)


def project_review_facts(doc_or_review) -> Facts:
    """A programme B project is under review from its filing."""
    unit_id = doc_or_review.get("unit_id") if isinstance(doc_or_review, dict) else doc_or_review.unit_id
    return Facts(unit_id=unit_id and str(unit_id), in_review=True)


check = TABLE.check
