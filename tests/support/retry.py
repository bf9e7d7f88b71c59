"""A portal's retry loop: the same command id until the call gets an answer. A refusal
(ServiceError) is an answer; a timeout or a broken connection is not."""
from __future__ import annotations

import time

from shared.errors import ServiceError


def until_answered(call, *, deadline_seconds: float = 120, pause: float = 0.5, retry_codes=()):
    """`call()` until it returns, or raises a ServiceError whose code is not in `retry_codes`."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return call()
        except ServiceError as error:
            if error.code not in retry_codes or time.monotonic() > deadline:
                raise
        except Exception:
            if time.monotonic() > deadline:
                raise
        time.sleep(pause)
