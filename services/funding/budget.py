"""Annual budgets (区财政每年安排资金预算): one `Budget` per programme and year, holding the office's
budget lines (one per obligation kind, and `total`) and every reservation made against them.

Every decision that commits money reserves it here, in the same transaction that records the
decision's consequence in funding: the award, each year of a multi-year schedule (a rent subsidy's
cap for each of its months, the service money's yearly ceiling, a placement's project and living
subsidy), a prize, a breakthrough subsidy. The Budget's id is deterministic (programme, year), so two
decisions reserving at once meet a version conflict: the loser reloads and meets the rule with what
the winner left. Checking a read model first would be a race.

Rules, by the id a refusal names:

* `funding.budget.exceeded` — a reservation beyond what remains of a recorded line (the obligation's, or
  the year's total) is refused whole: nothing of the decision is recorded. The refusal names the
  budget (programme, year, line), what remains and what was asked.
* `funding.budget.raise_only` — the office records a year's line once and may raise it, never lower it
  below what it already was (a reduction would strand reservations already made).
* `funding.budget.year` — a budget year from 2000 to 2999.

A year, or a line, the office has not recorded is not enforced (the query reports its reservations
with `budget_fen: null`, "unbudgeted"): the office records budgets as the district allocates them.
Pure domain: no store, no clock.
"""
from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream
from shared.money import fen_to_yuan_str

BUDGETS = uuid5(NAMESPACE_URL, "urn:changping:funding:budgets")
TOTAL = "total"
# the obligation kinds a line may name, per programme (the ledger's obligation ids)
OBLIGATIONS = {"A": ("award", "rent_subsidy", "service_money"),
               "B": ("project_subsidy", "living_subsidy", "prize", "breakthrough_subsidy")}


def budget_id(programme: str, year: int) -> UUID:
    return uuid5(BUDGETS, f"{programme}:{int(year)}")


class Budget(Stream):
    """The budget lines and reservations of one programme and year. Bookkeeping: never published."""
    PUBLISHED = False

    @event("Opened")
    def __init__(self, id: UUID, programme: str, year: int):  # noqa: A002
        self.programme, self.year = programme, year
        self.lines: dict[str, int] = {}                 # line -> budget_fen
        self.reservations: dict[str, dict] = {}         # key -> {case_id, obligation, amount_fen, status}

    # -- reading --------------------------------------------------------------------------------------
    def reserved_fen(self, line: str) -> int:
        return sum(r["amount_fen"] for r in self.reservations.values()
                   if r["status"] == "reserved" and line in (TOTAL, r["obligation"]))

    def remaining_fen(self, line: str) -> int | None:
        """What is left of a recorded line (None: the line is not recorded, so not enforced)."""
        if line not in self.lines:
            return None
        return self.lines[line] - self.reserved_fen(line)

    # -- the office's budget --------------------------------------------------------------------------
    def record(self, line: str, amount_fen: int, edition: str, reason: str) -> None:
        if line != TOTAL and line not in OBLIGATIONS[self.programme]:
            raise rule_violation("funding.budget.line", f"a programme {self.programme} budget line is one of "
                                 f"{[TOTAL, *OBLIGATIONS[self.programme]]}", fields={"obligation": ["unknown line"]})
        before = self.lines.get(line)
        if before is not None and amount_fen < before:
            raise rule_violation("funding.budget.raise_only", f"the {self._name(line)} budget is"
                                 f" {fen_to_yuan_str(before)} yuan; it may be raised, never lowered",
                                 fields={"amount_fen": [f"at least {before}"]})
        self._recorded(line=line, amount_fen=amount_fen, previous_fen=before, edition=edition, reason=reason)

    # -- reservations ---------------------------------------------------------------------------------
    def check(self, requests: dict[str, int]) -> None:
        """Refuse, changing nothing, if reserving `requests` (obligation -> fen) would exceed a recorded line."""
        asked = {line: amount for line, amount in requests.items() if amount > 0}
        asked[TOTAL] = sum(asked.values())
        for line, amount in asked.items():
            remaining = self.remaining_fen(line)
            if remaining is not None and amount > remaining:
                raise rule_violation(
                    "funding.budget.exceeded",
                    f"the {self._name(line)} budget has {fen_to_yuan_str(remaining)} yuan left of"
                    f" {fen_to_yuan_str(self.lines[line])}; this decision needs {fen_to_yuan_str(amount)}"
                    f" of it in {self.year}",
                    fields={"budget": [f"{self.programme}:{self.year}:{line}"], "year": [str(self.year)],
                            "remaining_fen": [str(remaining)], "requested_fen": [str(amount)]})

    def reserve(self, key: str, case_id: str, obligation: str, amount_fen: int) -> None:
        """Reserve `amount_fen` of this year for one obligation of one case (idempotent per key)."""
        if amount_fen <= 0 or self.reservations.get(key, {}).get("status") == "reserved":
            return
        self.check({obligation: amount_fen})
        self._reserved(key=key, case_id=case_id, obligation=obligation, amount_fen=amount_fen)

    def release(self, key: str, amount_fen: int, reason: str) -> int:
        """Give back (part of) a reservation: a cancellation, an early end, a return never paid again.
        Returns what was released."""
        held = self.reservations.get(key)
        if held is None or held["status"] != "reserved":
            return 0
        amount = min(amount_fen, held["amount_fen"])
        if amount > 0:
            self._released(key=key, amount_fen=amount, reason=reason)
        return amount

    def _name(self, line: str) -> str:
        return f"programme {self.programme} {self.year} {line}"

    # -- events ---------------------------------------------------------------------------------------
    @event("LineRecorded")
    def _recorded(self, line: str, amount_fen: int, previous_fen: int | None, edition: str, reason: str):
        self.lines[line] = amount_fen

    @event("Reserved")
    def _reserved(self, key: str, case_id: str, obligation: str, amount_fen: int):
        self.reservations[key] = {"case_id": case_id, "obligation": obligation, "amount_fen": amount_fen,
                                  "status": "reserved"}

    @event("Released")
    def _released(self, key: str, amount_fen: int, reason: str):
        held = self.reservations[key]
        left = held["amount_fen"] - amount_fen
        self.reservations[key] = {**held, "amount_fen": left, "status": "reserved" if left > 0 else "released"}


def budget_of(uow, programme: str, year: int) -> Budget:
    """The programme's Budget for `year`, opened on first use (its id is deterministic)."""
    budget = uow.find(budget_id(programme, year))
    if budget is None:
        budget = Budget(id=budget_id(programme, year), programme=programme, year=int(year))
    return budget


def reserve(uow, programme: str, case_id, plan: dict[str, dict[int, int]], key: str) -> None:
    """Reserve each obligation's money in each year it falls due (`plan`: obligation -> year -> fen), all
    or nothing: every year is checked before anything is reserved, so a refusal leaves no trace even in a
    unit of work that goes on to record something else. Keys: `<key>:<obligation>:<year>`."""
    by_year: dict[int, dict[str, int]] = {}
    for obligation, years in plan.items():
        for year, amount in years.items():
            if amount > 0:
                by_year.setdefault(year, {})[obligation] = by_year.get(year, {}).get(obligation, 0) + amount
    budgets = {year: budget_of(uow, programme, year) for year in sorted(by_year)}
    for year, requests in by_year.items():
        budgets[year].check(requests)
    for year, requests in sorted(by_year.items()):
        for obligation, amount in requests.items():
            budgets[year].reserve(f"{key}:{obligation}:{year}", str(case_id), obligation, amount)
        uow.add(budgets[year])


def release(uow, programme: str, key: str, obligation: str, amounts_by_year: dict[int, int], reason: str) -> None:
    """Give back what a reservation no longer needs (a cancellation, an early end)."""
    for year, amount in sorted(amounts_by_year.items()):
        budget = uow.find(budget_id(programme, year))
        if budget is not None and budget.release(f"{key}:{obligation}:{year}", amount, reason):
            uow.add(budget)


def settle(uow, programme: str, funding, years, reason: str) -> None:
    """After an early end (or anything that cancels money): give back, in each of `years`, what the case's
    reservations hold beyond what its disbursements can still pay (scheduled, paid or retried; a cancelled
    disbursement, or a month never to be released, no longer needs its reservation)."""
    case_id = str(funding.id)
    for year in years:
        budget = uow.find(budget_id(programme, year))
        if budget is None:
            continue
        held: dict[str, list[tuple[str, int]]] = {}
        for key, r in budget.reservations.items():
            if r["case_id"] == case_id and r["status"] == "reserved":
                held.setdefault(r["obligation"], []).append((key, r["amount_fen"]))
        for obligation, keys in held.items():
            still = sum(d.amount_fen for d in funding.disbursements.values()
                        if d.obligation_id == obligation and d.status != "cancelled" and reserved_year(d) == year)
            excess = sum(amount for _, amount in keys) - still
            for key, amount in reversed(keys):          # the latest reservation first
                if excess <= 0:
                    break
                excess -= budget.release(key, min(amount, excess), reason)
                uow.add(budget)


def reserved_year(disbursement) -> int:
    """The year a disbursement's money was reserved in: a rent month by the month it covers, the rest by
    the day it falls due (as `services.funding.reservations` reserves them)."""
    if disbursement.obligation_id == "rent_subsidy":
        return disbursement.period_starts_on.year
    return disbursement.due_on.year
