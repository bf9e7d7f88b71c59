"""Why an amount is what it is. Every money figure of programme A's support carries one
`Computation`: the rule that produced it, the seed clause the rule reads, the policy edition,
the inputs (plain JSON-able values: ints in fen, ISO dates, strings, booleans) and a one-line
explanation — so "why this amount" always has an answer, also for a refusal (amount 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class Computation:
    rule: str                 # e.g. "A.rent.cap"
    clause: str               # the seed's clause, e.g. "三(二)(4)"
    policy_edition: str       # e.g. "changju-2024"
    amount_fen: int
    inputs: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "clause": self.clause, "policy_edition": self.policy_edition,
                "amount_fen": self.amount_fen, "inputs": dict(self.inputs), "explanation": self.explanation}


def plain(value: Any) -> Any:
    """Dates as ISO strings, so inputs can go into an event as they are."""
    return value.isoformat() if isinstance(value, date) else value


def computed(policy: dict, rule: str, clause: str, amount_fen: int, explanation: str = "", **inputs) -> Computation:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise TypeError(f"amount_fen must be an int number of fen, got {amount_fen!r}")
    return Computation(rule=rule, clause=clause, policy_edition=policy["edition"], amount_fen=amount_fen,
                       inputs={k: plain(v) for k, v in inputs.items()}, explanation=explanation)


def half_up(value: Fraction) -> int:
    """An exact fraction of a fen, rounded half-up (half away from zero) to the fen; exact integer
    arithmetic, never a float."""
    magnitude = abs(value)
    rounded = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    return rounded if value >= 0 else -rounded
