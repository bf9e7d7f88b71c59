"""A nameko timer whose interval comes from the service's configuration.

    @timer_from_config("APPLICATION", "timer_seconds", default=60)
    def expire_terms(self): ...

What is due is decided by the business clock, so an accelerated clock needs no faster timer to
be correct, only to be prompt; the interval is wall seconds.
"""
from __future__ import annotations

from nameko.timer import Timer


class ConfigTimer(Timer):
    def __init__(self, section: str, key: str, default: float, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.section, self.key = section, key

    def setup(self):
        seconds = (self.container.config.get(self.section) or {}).get(self.key)
        if seconds not in (None, ""):
            self.interval = float(seconds)
        super().setup()


timer_from_config = ConfigTimer.decorator
