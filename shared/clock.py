"""Business time, injected.

Domain code never asks the machine for the time: it is handed dates by the application
layer, which asks a `Clock`. Tests use `ManualClock`; accelerated demos and end-to-end
tests use `ScaledClock`, which every process computes from the same three settings
(virtual start, wall-clock epoch, speed; see shared/config.py), so separate processes agree
without talking.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock:
    def now(self) -> datetime:  # always timezone-aware
        raise NotImplementedError

    def today(self, tz=BEIJING) -> date:
        """The calendar date in Beijing, which is what the policies mean by a date."""
        return self.now().astimezone(tz).date()


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock(Clock):
    def __init__(self, start: datetime):
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _aware(moment)

    def advance(self, **delta) -> None:
        self._now += timedelta(**delta)


class ScaledClock(Clock):
    """now = start + (wall - epoch) * speed."""

    def __init__(self, start: datetime, epoch: float, speed: float, wall=time.time):
        self.start, self.epoch, self.speed, self._wall = _aware(start), epoch, speed, wall

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self._wall() - self.epoch) * self.speed)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)
