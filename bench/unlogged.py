"""`python -m bench.unlogged run --config deploy/config.yaml <module>`: `nameko run` with the access
log switched off, for `python -m bench.rpc --no-access-log` only.

The switch lives here, in the benchmark, and nowhere in the services' configuration: a deployment
cannot stop recording who read personal data. What the access log costs is what a run with it
costs more than a run without (bench.rpc reports the services' CPU per call of `status`, a read
of a case that the log records).
"""
import eventlet

eventlet.monkey_patch()  # as `nameko run` does, before anything else is imported

import sys  # noqa: E402

from nameko.cli.main import main  # noqa: E402

from shared.platform import access_log  # noqa: E402


def without_access_log() -> None:
    access_log.record_read = lambda *args, **kwargs: None   # the endpoint layer's one call into it


if __name__ == "__main__":
    without_access_log()
    sys.exit(main())
