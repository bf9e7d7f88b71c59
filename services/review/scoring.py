"""The scoring rules both reviews follow: programme A's case review (domain.py) and programme B's
project review (placement.py). Written once here; each aggregate calls them with its own
`scores` ({reviewer: score}) and `conflicts` ([reviewer]), after its own status checks.

- A reviewer who declared a conflict of interest cannot score (declaring twice records nothing).
- A score is from 0 to 100; a reviewer's later score replaces their earlier one.
- The decision comes after at least one score, and is not taken by whoever the programme bars
  from it (A: whoever audited the case, and whoever scored it; B: whoever scored the project).
  Each programme passes its own bars (`Bar`: who, the rule id, the message).
- Reviewers and deciders are compared by their canonical ids (shared/actors.py), so an id spelt
  with other case or surrounding space is the same person, also in what was recorded before
  tokens were normalised.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from shared.actors import among, normal_form
from shared.errors import rule_violation

SCORE_RANGE = (0, 100)


def is_new_conflict(reviewer: str, conflicts: Collection[str]) -> bool:
    """Whether a declaration has anything to record: a reviewer declares a conflict once."""
    return not among(reviewer, conflicts)


def check_score(reviewer: str, score: int, conflicts: Collection[str], subject: str) -> None:
    """A reviewer's score of the `subject` ("case", "project"): not conflicted, and in range."""
    if among(reviewer, conflicts):
        raise rule_violation("review.conflict_of_interest", "a reviewer who declared a conflict of interest "
                             f"cannot review this {subject}", fields={"score": ["conflict of interest declared"]})
    low, high = SCORE_RANGE
    if not low <= score <= high:
        raise rule_violation("review.score.range", f"a score is from {low} to {high}",
                             fields={"score": [f"from {low} to {high}"]})


def replace_score(scores: dict[str, int], reviewer: str, score: int) -> None:
    """A reviewer's later score replaces their earlier one (a `Scored` event's effect), whatever the
    spelling of their id when it was recorded."""
    for earlier in [r for r in scores if normal_form(r) == normal_form(reviewer)]:
        del scores[earlier]
    scores[reviewer] = score


@dataclass(frozen=True)
class Bar:
    """Who may not decide, and the refusal that says so."""
    actors: Collection[str]
    rule: str                 # e.g. separation_of_duties.audit_decide
    message: str


def check_decider(decider: str, bars: Collection[Bar], scores: dict[str, int], unscored_message: str) -> None:
    """The decider is barred by none of `bars` (canonical ids), and at least one reviewer scored."""
    for bar in bars:
        if among(decider, bar.actors):
            raise rule_violation(bar.rule, bar.message)
    if not scores:
        raise rule_violation("review.decision.scored", unscored_message,
                             fields={"case_id": ["no reviewer's score"]})
