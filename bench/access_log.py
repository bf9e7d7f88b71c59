"""What recording one read in the access log costs, in process, without the broker's noise.

    python -m bench.access_log [--reads 20000] [--batch 500]

It records `--reads` reads as the endpoint layer does (`record_read`: the row built with its wall and
business times) into a real access log on a fresh SQLite read-model store, flushing every `--batch`
rows as the writer thread would, and prints this process's CPU time per read: the part spent on the
query path (building and buffering the row) and the part spent writing it off that path.
"""
import argparse
import tempfile
import time
from types import SimpleNamespace

from shared.clock import SystemClock
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.identity import Identity
from shared.platform.access_log import AccessLog, AccessSettings, AccessTable, reads_field, record_read


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.access_log", description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        views = ViewStore(StoreSettings(service="bench", data_dir=folder).view_store_env())
        log = AccessLog(AccessTable(views), AccessSettings(batch_size=args.batch))
        store = SimpleNamespace(access_log=log, service="application", app=SimpleNamespace(clock=SystemClock()))
        request = SimpleNamespace(entrypoint="status", correlation_id="0b5e6a5e-6c1f-4c1e-9d7e-3a1f2b3c4d5e")
        identity, reads = Identity("officer-1", "officer"), reads_field("case_id")
        data = {"case_id": "6f1c0e4a-1b2c-4d3e-8f90-a1b2c3d4e5f6"}
        recording = writing = 0.0
        for i in range(args.reads):
            started = time.process_time()
            record_read(store, request, identity, data, {}, reads)
            recording += time.process_time() - started
            if (i + 1) % args.batch == 0:
                started = time.process_time()
                log.flush()
                writing += time.process_time() - started
        started = time.process_time()
        log.flush()
        writing += time.process_time() - started
        total = log.table.page({"case_id": data["case_id"]}, 1, 0)["total"]
        views.close()
    print(f"{args.reads} reads recorded ({total} rows), flushed every {args.batch}: "
          f"{recording / args.reads * 1e6:.1f} µs CPU per read on the query path, "
          f"{writing / args.reads * 1e6:.1f} µs per read written off it, "
          f"{(recording + writing) / args.reads * 1e6:.1f} µs in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
