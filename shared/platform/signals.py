"""Stopping: one shutdown at a time, and never for ever.

`nameko run` answers SIGTERM by spawning `runner.stop()`; a second SIGTERM (a launcher's
exit trap, `timeout` after `pkill`, an impatient operator) spawns a second, concurrent
stop, and nameko 2.14 then hangs. We wrap nameko's handler so that only the first SIGTERM
starts the shutdown; later ones are logged.

nameko 2.14 can also hang on its own in a graceful stop (about one in ten here): its RPC
consumer waits for a cancellation that its consumer thread never processes. Nothing of
ours is at risk by then — every write is committed, and unacknowledged messages go back
to their queues — so after STOP_GRACE_SECONDS the process logs it and exits.
"""
from __future__ import annotations

import logging
import os
import signal

import eventlet

from shared.logs import get_logger

log = get_logger("signals")
STOP_GRACE_SECONDS = 10


def _exit_after_grace() -> None:
    log.warning("the graceful stop did not finish in time; exiting", grace_seconds=STOP_GRACE_SECONDS)
    logging.shutdown()
    os._exit(0)


def first_sigterm_only() -> bool:
    """Wrap the installed SIGTERM handler; False if there is none to wrap yet."""
    handler = signal.getsignal(signal.SIGTERM)
    if getattr(handler, "first_only", False):
        return True
    if not callable(handler):
        return False
    fired = []

    def once(signum, frame):
        if fired:
            log.warning("SIGTERM again while shutting down; ignored")
            return
        fired.append(signum)
        eventlet.spawn_after(STOP_GRACE_SECONDS, _exit_after_grace)
        handler(signum, frame)
    once.first_only = True
    signal.signal(signal.SIGTERM, once)
    return True


def guard_after_start(wait_seconds: float = 30) -> None:
    """`nameko run` installs its handler once every service has started, which may be a
    moment after ours: watch for it in a green thread and wrap it as soon as it appears."""
    def watch():
        for _ in range(int(wait_seconds / 0.05)):
            if first_sigterm_only():
                return
            eventlet.sleep(0.05)
    eventlet.spawn(watch)


def dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` writes every green thread's stack to stderr: what an operator
    needs to see why a service is stuck, without stopping it."""
    def dump(signum, frame):
        import gc
        import sys
        import traceback

        import greenlet
        for thread in gc.get_objects():
            if isinstance(thread, greenlet.greenlet) and thread.gr_frame is not None:
                print("--- green thread", file=sys.stderr)
                traceback.print_stack(thread.gr_frame, file=sys.stderr)
        sys.stderr.flush()
    signal.signal(signal.SIGUSR1, dump)
