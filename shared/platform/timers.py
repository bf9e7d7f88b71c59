"""A nameko timer whose interval comes from the service's configuration.

    @timer_from_config("APPLICATION", default=60)
    def expire_terms(self): ...

What is due is decided by the business clock, so an accelerated clock needs no faster timer to
be correct, only to be prompt; the interval is wall seconds.
"""
from __future__ import annotations

from nameko.timer import Timer

from shared.config import Settings


class ConfigTimer(Timer):
    def __init__(self, section: str, default: float = 60.0, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.section = section   # the config section whose `timer_seconds` sets the interval

    def setup(self):
        self.interval = Settings.of(self.container).timer_seconds.get(self.section, self.interval)
        super().setup()


timer_from_config = ConfigTimer.decorator
