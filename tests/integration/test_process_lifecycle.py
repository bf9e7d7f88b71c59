"""Stopping is as ordinary as starting: a service exits cleanly, and within a bounded time,
on SIGTERM — even on two (see shared/platform/signals.py for the nameko hangs this covers)."""
import signal
import subprocess
import time

from tests.support.cluster import running_cluster


def test_a_second_sigterm_does_not_hang_the_shutdown(tmp_path):
    with running_cluster(tmp_path, services=("registration",)) as cluster:
        process = cluster.processes.pop("registration")
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)   # two pending SIGTERMs would coalesce into one
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=20) == 0
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)      # ask for its stacks before giving up on it
            time.sleep(1)
            process.kill()
            raise AssertionError("the service hung after a second SIGTERM:\n"
                                 + cluster.log("registration")[-6000:]) from None
