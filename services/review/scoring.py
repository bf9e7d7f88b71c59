"""The scoring rules both reviews follow: programme A's case review (domain.py) and programme B's
project review (placement.py). Written once here; each aggregate calls them with its own
`scores` ({reviewer: score}) and `conflicts` ([reviewer]), after its own status checks.

- A reviewer who declared a conflict of interest cannot score (declaring twice records nothing).
- A score is from 0 to 100; a reviewer's later score replaces their earlier one.
- The decision comes after at least one score, and is not taken by whoever the programme bars
  from it (A: whoever audited the case; B: whoever scored the project). The rule ids and
  messages differ by programme: each passes its own `DecisionRules`.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from shared.errors import rule_violation

SCORE_RANGE = (0, 100)


def is_new_conflict(reviewer: str, conflicts: Collection[str]) -> bool:
    """Whether a declaration has anything to record: a reviewer declares a conflict once."""
    return reviewer not in conflicts


def check_score(reviewer: str, score: int, conflicts: Collection[str], subject: str) -> None:
    """A reviewer's score of the `subject` ("case", "project"): not conflicted, and in range."""
    if reviewer in conflicts:
        raise rule_violation("review.conflict_of_interest", "a reviewer who declared a conflict of interest "
                             f"cannot review this {subject}", fields={"score": ["conflict of interest declared"]})
    low, high = SCORE_RANGE
    if not low <= score <= high:
        raise rule_violation("review.score.range", f"a score is from {low} to {high}",
                             fields={"score": [f"from {low} to {high}"]})


def replace_score(scores: dict[str, int], reviewer: str, score: int) -> None:
    """A reviewer's later score replaces their earlier one (a `Scored` event's effect)."""
    scores[reviewer] = score


@dataclass(frozen=True)
class DecisionRules:
    """A programme's separation of duties for the decision, and its refusal texts."""
    barred_rule: str          # e.g. separation_of_duties.audit_decide
    barred_message: str
    unscored_message: str     # review.decision.scored's message


def check_decider(decider: str, barred: Collection[str], scores: dict[str, int], rules: DecisionRules) -> None:
    """The decider is not among the `barred`, and at least one reviewer scored."""
    if decider in barred:
        raise rule_violation(rules.barred_rule, rules.barred_message)
    if not scores:
        raise rule_violation("review.decision.scored", rules.unscored_message,
                             fields={"case_id": ["no reviewer's score"]})
