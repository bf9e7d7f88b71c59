"""`python -m bench.plaintext run --config deploy/config.yaml <module>`: `nameko run` with personal
fields stored in clear, for `python -m bench.rpc --no-encryption` only.

The switch lives here, in the benchmark, and nowhere in the services' configuration: a deployment
always seals personal fields (shared/privacy). What sealing and opening cost is what a run with
them costs more than a run without (bench.rpc reports the services' CPU per call).
"""
import eventlet

eventlet.monkey_patch()  # as `nameko run` does, before anything else is imported

import sys  # noqa: E402

from nameko.cli.main import main  # noqa: E402

from shared.privacy.vault import Vault  # noqa: E402


def without_encryption() -> None:
    Vault.ENCRYPT = False   # new personal fields are stored in clear (and read models keep names in clear)


if __name__ == "__main__":
    without_encryption()
    sys.exit(main())
