"""The deadline timer's work: which cases have something due (from the read model), and, for
each, releasing every instalment due and recording every deadline reached, as system:funding.

`TimerWork` is mixed into the Application (`services.funding.app`); the nameko timer
(`FundingService.fire_deadlines`) calls `fire_due(due_case_ids(...))`.
"""
from __future__ import annotations

from datetime import date
from uuid import uuid4

from shared.eventstore.application import handles
from shared.eventstore.meta import EventMeta
from shared.identity import system_actor

from services.funding import commands
from services.funding.cases import funding_of
from services.funding.views import FUNDING_CASES

TIMER_PAGE = 100


class TimerWork:
    @staticmethod
    def due_case_ids(views, today: date) -> list[str]:
        """Cases whose next due date has come, from the read model (lagging is harmless: the
        aggregate decides, and a case missed now is found on the next tick)."""
        found, offset = [], 0
        while True:
            page, _ = views.find(FUNDING_CASES, {"timer_active": True}, order_by="next_due_on",
                                 limit=TIMER_PAGE, offset=offset)
            due = [doc["case_id"] for doc in page if doc["next_due_on"] <= today.isoformat()]
            found += due
            if len(due) < TIMER_PAGE:
                return found
            offset += TIMER_PAGE

    def fire_due(self, case_ids, today: date | None = None) -> dict:
        """Release every due instalment and record every reached deadline of these cases, as the
        system actor, one correlation id per tick. Safe to run twice or concurrently.

        Each case is its own command and transaction, as it always was: a case whose record moved
        meanwhile (the office reporting on it) is retried alone, and what the tick recorded for the
        cases before an error stays recorded; the next tick resumes from there."""
        today = today or self.clock.today()
        meta = EventMeta(actor=system_actor(self.name), occurred_at=self.clock.now(),
                         correlation_id=f"funding-timer-{uuid4()}")
        recorded = {}
        for case_id in case_ids:
            events = self.handle(commands.FireDue(case_id=case_id, today=today), meta).result["events"]
            if events:
                recorded[str(case_id)] = events
        return {"today": today.isoformat(), "cases": recorded}

    @handles(commands.FireDue)
    def fire_due_of_case(self, command, uow) -> dict:
        return {"events": funding_of(uow, command.case_id).tick(command.today)}
