"""Real service processes for integration tests: each test module gets its own RabbitMQ
vhost and data folder, and starts, kills and restarts `nameko run` processes as an
operator would. Nothing here is mocked."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import requests

from shared.client import cluster as rpc_cluster
from shared.errors import ServiceError
from shared.identity import Portals, issuer_owners
from shared.keys import generate as generate_keys
from tests.support.contracts import CheckedProxy

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registration", "application", "review", "funding")
RABBIT_API = os.environ.get("RABBIT_API_URI", "http://127.0.0.1:15672")
RABBIT_AUTH = ("guest", "guest")


class Vhost:
    def __init__(self):
        self.name = f"ct_{uuid.uuid4().hex[:12]}"

    def create(self) -> Vhost:
        requests.put(f"{RABBIT_API}/api/vhosts/{self.name}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
        requests.put(f"{RABBIT_API}/api/permissions/{self.name}/guest", auth=RABBIT_AUTH, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return self

    def delete(self) -> None:
        """Cleanup: a vhost full of queues can take a while to go; never fail a test over it."""
        try:
            requests.delete(f"{RABBIT_API}/api/vhosts/{self.name}", auth=RABBIT_AUTH, timeout=120)
        except requests.RequestException as error:
            warnings.warn(f"vhost {self.name} was not deleted: {error}")

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:5672/{self.name}"

    def queue_depth(self, queue: str) -> int:
        response = requests.get(f"{RABBIT_API}/api/queues/{self.name}/{queue}", auth=RABBIT_AUTH, timeout=10)
        response.raise_for_status()
        return int(response.json().get("messages") or 0)


# Business time in the test clusters: inside the 2024 call's filing window, running at wall speed
# from the cluster's creation, agreed by every process (see shared/clock.py).
CALL_OPEN = "2024-09-20T09:00:00+08:00"


class Cluster:
    """`accounts` (tests/support/broker.py): each service connects as its own broker account and
    calls go through the portal's; without, everything is guest on the throwaway vhost."""

    def __init__(self, data_dir: Path, vhost: Vhost, env: dict | None = None, accounts=None):
        self.data_dir, self.vhost, self.accounts = data_dir, vhost, accounts
        self.keys_dir = str(data_dir / "keys")     # this cluster's signing keys, issuer keys and registry
        generate_keys(self.keys_dir, {**{service: ("event-signing", ()) for service in SERVICES}, **issuer_owners()})
        self.portals = Portals(self.keys_dir)
        self.env = {**os.environ, "AMQP_URI": vhost.amqp_uri, "DATA_DIR": str(data_dir), "KEYS_DIR": self.keys_dir,
                    "LOG_LEVEL": "INFO", "RELAY_POLL_SECONDS": "0.5", "PSYCOPG_IMPL": "python",
                    "CLOCK_START": CALL_OPEN, "CLOCK_EPOCH": str(time.time()), "CLOCK_SPEED": "1", **(env or {})}
        self.processes: dict[str, subprocess.Popen] = {}

    # -- processes ----------------------------------------------------------------------
    def start(self, *services: str, wait: bool = True) -> None:
        for service in services or SERVICES:
            self.spawn(service)
        if wait:
            for service in services or SERVICES:
                self.wait_healthy(service)

    def spawn(self, service: str, instance: str | None = None) -> subprocess.Popen:
        """Start one process of `service`; `instance` names a second (third…) one."""
        name = instance or service
        log = open(self.data_dir / f"{name}.log", "ab")
        env = {**self.env, "AMQP_URI": self.accounts.uri(service)} if self.accounts else self.env
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "deploy/config.yaml", f"services.{service}.service"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self.processes[name]

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(service)
        process.send_signal(sig)
        process.wait(timeout=30)

    def restart(self, service: str) -> None:
        self.kill(service)
        self.start(service)

    def stop_all(self) -> None:
        """SIGTERM all (a graceful nameko stop), then wait; kill whatever hangs."""
        stopping = [self.processes.pop(service) for service in list(self.processes)]
        for process in stopping:
            process.terminate()
        for process in stopping:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log(self, service: str) -> str:
        return (self.data_dir / f"{service}.log").read_text(errors="replace")

    # -- calls ----------------------------------------------------------------------------
    @property
    def caller_uri(self) -> str:
        """How a portal backend connects: its own account if the cluster has accounts."""
        return self.accounts.uri("portal") if self.accounts else self.vhost.amqp_uri

    def token(self, actor_id: str, role: str, unit_id: str | None = None) -> str:
        """A token from the portal that may grant `role`, signed with this cluster's issuer key."""
        return self.portals.token(actor_id, role, unit_id)

    @contextmanager
    def rpc(self, actor_id: str | None = None, role: str | None = None, unit_id: str | None = None, *,
            token: str | None = None):
        if token is None and actor_id:
            token = self.token(actor_id, role, unit_id)
        with rpc_cluster(self.caller_uri, token, timeout=30) as proxy:
            yield CheckedProxy(proxy)   # every reply held to its schema (tests/support/contracts.py)

    def health(self, service: str) -> dict:
        with self.rpc() as rpc:
            return getattr(rpc, service).health()

    def wait_healthy(self, service: str, timeout: float = 60) -> dict:   # a loaded CI machine starts slowly
        deadline = time.monotonic() + timeout
        while True:
            process = self.processes.get(service)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{service} exited with {process.returncode}:\n{self.log(service)[-3000:]}")
            try:
                with rpc_cluster(self.caller_uri, timeout=2) as rpc:
                    return getattr(rpc, service).health()
            except Exception:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} did not answer health() in {timeout}s:\n{self.log(service)[-3000:]}")
                time.sleep(0.3)


def eventually(check, timeout: float = 15, interval: float = 0.2):
    """Poll `check` until it returns a truthy value or stops raising; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
            if value:
                return value
        except (ServiceError, AssertionError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s: last value {value!r}")
        time.sleep(interval)


def command_id() -> str:
    return str(uuid.uuid4())


@contextmanager
def running_cluster(data_dir: Path, env: dict | None = None, services: tuple[str, ...] = SERVICES,
                    accounts: bool = False):
    """A private vhost and data folder with `services` started (none: `services=()`);
    everything stopped and removed afterwards, whatever happened. With `accounts`, the vhost is
    provisioned as in production and each process connects as its own broker account."""
    from tests.support.broker import throwaway_accounts

    vhost = Vhost().create()
    try:
        with (throwaway_accounts(vhost) if accounts else nullcontext()) as broker_accounts:
            cluster = Cluster(data_dir, vhost, env, accounts=broker_accounts)
            try:
                if services:
                    cluster.start(*services)
                yield cluster
            finally:
                cluster.stop_all()
    finally:
        vhost.delete()
