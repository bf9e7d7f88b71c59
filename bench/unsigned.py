"""`python -m bench.unsigned run --config deploy/config.yaml <module>`: `nameko run` with event
signing and verification switched off, for `python -m bench.rpc --no-signing` only.

The switch lives here, in the benchmark, and nowhere in the services' configuration: a
deployment cannot turn signing off. The cost of signing and verifying is what a run with them
costs more than a run without (bench.rpc reports the services' CPU per event).
"""
import eventlet

eventlet.monkey_patch()  # as `nameko run` does, before anything else is imported

import sys  # noqa: E402

from nameko.cli.main import main  # noqa: E402

from shared.messaging import translate  # noqa: E402
from shared.signing import EventVerifier  # noqa: E402


def without_signing() -> None:
    translate.EventSigning.__call__ = lambda self, event: None   # events are recorded unsigned
    EventVerifier.verify = lambda self, body: None               # and accepted as they come


if __name__ == "__main__":
    without_signing()
    sys.exit(main())
