"""The annual budgets' read model: one document per programme and year (keyed by the Budget's id)
with, per line (each obligation kind, and `total`):

* `budget_fen`    — what the office recorded (null: not recorded, so not enforced);
* `reserved_fen`  — what decisions reserved and still hold (a whole obligation, every year it falls due);
* `committed_fen` — what was released for payment (disbursements scheduled, less those cancelled),
                    by the year each falls due;
* `disbursed_fen` — what the office reported paid, less what came back;
* `returned_fen`  — what the bank returned;
* `remaining_fen` — budget − reserved (null when no budget is recorded).

The Budget aggregate's events give the first two; the ledger's events of both programmes the rest.
Rebuildable from zero like every projection.
"""
from __future__ import annotations

import csv
import io

from shared.eventstore.projection import Projection
from shared.money import fen_to_yuan_str

from services.funding import ledger
from services.funding.budget import OBLIGATIONS, TOTAL, Budget, budget_id
from services.funding.domain import CaseFunding
from services.funding.placement import PlacementFunding
from services.funding.views import change_for

BUDGET_YEARS = "budget_years"
BUDGET_KEYS = "budget_keys"            # idempotency key -> where its money was counted
FLOWS = ("reserved_fen", "committed_fen", "disbursed_fen", "returned_fen")


def _empty(programme: str, year: int) -> dict:
    return {"programme": programme, "year": year, "lines": {},
            "obligations": {o: {f: 0 for f in FLOWS} for o in OBLIGATIONS[programme]}}


class BudgetView(Projection):
    name = "budgets"
    collections = (BUDGET_YEARS, BUDGET_KEYS)

    def apply(self, event, notification_id, docs):
        if isinstance(event, Budget.Event):
            self._budget(event, docs)
        elif isinstance(event, CaseFunding.Event | PlacementFunding.Event):
            self._ledger(event, docs, "A" if isinstance(event, CaseFunding.Event) else "B")

    @staticmethod
    def _budget(event, docs) -> None:
        key = str(event.originator_id)
        if isinstance(event, Budget.Opened):
            docs.put(BUDGET_YEARS, key, docs.get(BUDGET_YEARS, key) or _empty(event.programme, event.year))
            return
        doc = docs.get(BUDGET_YEARS, key)
        if isinstance(event, Budget.LineRecorded):
            doc["lines"] = {**doc["lines"], event.line: event.amount_fen}
        elif isinstance(event, Budget.Reserved):
            doc["obligations"][event.obligation]["reserved_fen"] += event.amount_fen
            docs.put(BUDGET_KEYS, f"reservation:{key}:{event.key}", {"obligation": event.obligation})
        elif isinstance(event, Budget.Released):
            obligation = docs.get(BUDGET_KEYS, f"reservation:{key}:{event.key}")["obligation"]
            doc["obligations"][obligation]["reserved_fen"] -= event.amount_fen
        docs.put(BUDGET_YEARS, key, doc)

    @staticmethod
    def _ledger(event, docs, programme: str) -> None:
        change = change_for(LEDGER_FLOWS, event)
        if change is None:
            return
        if isinstance(event, ledger.DisbursementScheduled):
            where = {"budget": str(budget_id(programme, event.due_on.year)), "programme": programme,
                     "year": event.due_on.year, "obligation": event.obligation_id, "amount_fen": event.amount_fen}
            if event.obligation_id not in OBLIGATIONS[programme]:
                return
            docs.put(BUDGET_KEYS, event.idempotency_key, where)
        else:
            where = docs.get(BUDGET_KEYS, event.idempotency_key)
            if where is None:
                return
        doc = docs.get(BUDGET_YEARS, where["budget"]) or _empty(programme, where["year"])
        flows = doc["obligations"][where["obligation"]]
        change(flows, event, where)
        docs.put(BUDGET_YEARS, where["budget"], doc)


def _scheduled(flows, event, where) -> None:
    flows["committed_fen"] += event.amount_fen


def _paid(flows, event, where) -> None:
    flows["disbursed_fen"] += event.amount_fen


def _returned(flows, event, where) -> None:
    flows["disbursed_fen"] -= event.amount_fen
    flows["returned_fen"] += event.amount_fen


def _cancelled(flows, event, where) -> None:
    flows["committed_fen"] -= where["amount_fen"]


LEDGER_FLOWS = {ledger.DisbursementScheduled: _scheduled, ledger.DisbursementPaid: _paid,
                ledger.DisbursementReturned: _returned, ledger.DisbursementCancelled: _cancelled}


def budget_report(views, programme: str, year: int) -> dict:
    """Per line of one programme's year: budget, reserved, committed, disbursed, returned, remaining."""
    doc = views.get(BUDGET_YEARS, str(budget_id(programme, year))) or _empty(programme, year)
    rows = []
    for line in (*OBLIGATIONS[programme], TOTAL):
        flows = doc["obligations"][line] if line != TOTAL else {
            f: sum(o[f] for o in doc["obligations"].values()) for f in FLOWS}
        budget = doc["lines"].get(line)
        rows.append({"obligation": line, "budget_fen": budget, **flows,
                     "remaining_fen": None if budget is None else budget - flows["reserved_fen"]})
    return {"programme": programme, "year": year, "lines": rows}


CSV_COLUMNS = ("programme", "year", "obligation", "budget_yuan", "reserved_yuan", "committed_yuan",
               "disbursed_yuan", "returned_yuan", "remaining_yuan")


def budget_csv(report: dict) -> str:
    """The report as CSV for the finance bureau: UTF-8, one row per line, amounts in yuan with two
    decimals (exact: from integer fen), an empty cell for a budget not recorded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["lines"]:
        writer.writerow([report["programme"], report["year"], row["obligation"],
                         *(_yuan(row[f]) for f in ("budget_fen", "reserved_fen", "committed_fen", "disbursed_fen",
                                                   "returned_fen", "remaining_fen"))])
    return out.getvalue()


def _yuan(fen: int | None) -> str:
    return "" if fen is None else fen_to_yuan_str(fen)
