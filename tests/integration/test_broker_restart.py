"""RabbitMQ restarts while commands stream in: the services reconnect by themselves, the
callers' retries (same command ids) are answered once, and no event is lost."""
import socket
import subprocess
import threading
import time

import pytest

from tests.support.cluster import command_id, eventually, running_cluster
from services import samples
from tests.support.flows import credit_code
from tests.support.retry import until_answered
from tests.support.stores import applied_twice, recorded_events

pytestmark = pytest.mark.skipif(subprocess.run(["which", "rabbitmqctl"], capture_output=True).returncode != 0,
                                reason="needs rabbitmqctl on this machine")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def restart_broker(after: float) -> None:
    time.sleep(after)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    time.sleep(2)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)


def register(cluster, code: str, cid: str) -> str:
    def call():
        with cluster.rpc("contact-1", "unit_contact") as rpc:
            return rpc.registration.register_unit(command_id=cid, **samples.unit_registration(code))["unit_id"]
    return until_answered(call, deadline_seconds=180)


def test_services_reconnect_and_nothing_is_lost_across_a_broker_restart(tmp_path):
    with running_cluster(tmp_path) as cluster:
        restart = threading.Thread(target=restart_broker, args=(2.0,))
        restart.start()
        units = []
        started = time.monotonic()
        while time.monotonic() - started < 12 or restart.is_alive():   # keep streaming through the outage
            units.append(register(cluster, credit_code(), command_id()))
        restart.join()
        eventually(lambda: port_open(15672), timeout=60)

        def all_learnt():
            for name, process in cluster.processes.items():   # reconnected, not restarted
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{cluster.log(name)[-3000:]}")
            learnt = {str(e.originator_id) for e in recorded_events(cluster.data_dir, "application")
                      if type(e).__qualname__ == "UnitStanding.Learnt"}
            return set(units) <= learnt
        eventually(all_learnt, timeout=90)
        assert applied_twice(recorded_events(cluster.data_dir, "application")) == {}
        registered = [e for e in recorded_events(cluster.data_dir, "registration")
                      if type(e).__qualname__ == "Unit.Registered"]
        assert len(registered) == len(set(units)) == len(units)    # each command recorded once
        eventually(lambda: port_open(15672), timeout=60)         # the vhost is deleted through it
