"""Real service processes in a throwaway RabbitMQ vhost, stopped for sure afterwards.

    with throwaway_vhost(Management()) as vhost, tempfile.TemporaryDirectory() as tmp:
        uri = amqp_uri(vhost)
        env = service_env(uri, data_dir=tmp)
        procs = [NamekoProcess(name, module, env, log_dir=tmp) for name, module in ...]
        with running(procs):
            wait_until(lambda: nameko_listening(uri, "registration"), "registration listens", processes=procs)
            ...

Every process is started with `<this python> -m nameko run --config deploy/config.yaml
<module>` from the repository root, in its own session (a Ctrl-C in the terminal reaches
only us, and we stop the children in order), with its output in `<log_dir>/<name>.log`.
Stopping is SIGTERM (nameko stops gracefully), then SIGKILL after a grace period.
Nothing here knows about our services: integration tests can reuse it as it is.
"""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import quote
from uuid import uuid4

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_FILE = os.path.join("deploy", "config.yaml")   # relative to REPO_ROOT, as in run-local.sh


def config_default(variable: str, config_file: str = CONFIG_FILE) -> str:
    """The default that deploy/config.yaml gives `${VARIABLE:default}`."""
    with open(os.path.join(REPO_ROOT, config_file), encoding="utf-8") as fh:
        match = re.search(r"\$\{" + re.escape(variable) + r":([^}]*)\}", fh.read())
    if not match:
        raise KeyError(f"{config_file} has no default for {variable}")
    return match.group(1)


# -- RabbitMQ ------------------------------------------------------------------------
class Management:
    """The few calls of RabbitMQ's management HTTP API that we need."""

    def __init__(self, url: str = "http://127.0.0.1:15672", user: str = "guest", password: str = "guest"):
        self.url = url.rstrip("/")
        self.user = user
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": self._auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def create_vhost(self, name: str) -> None:
        self.call("PUT", f"/api/vhosts/{quote(name, safe='')}", {})
        self.call("PUT", f"/api/permissions/{quote(name, safe='')}/{quote(self.user, safe='')}",
                  {"configure": ".*", "write": ".*", "read": ".*"})

    def delete_vhost(self, name: str) -> None:
        try:
            self.call("DELETE", f"/api/vhosts/{quote(name, safe='')}")
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise

    def queues(self, vhost: str) -> list[dict]:
        return self.call("GET", f"/api/queues/{quote(vhost, safe='')}") or []


@contextmanager
def throwaway_vhost(api: Management, prefix: str = "bench"):
    """A fresh vhost (the user may do anything in it), deleted afterwards with all it holds."""
    name = f"{prefix}-{uuid4().hex[:10]}"
    api.create_vhost(name)
    try:
        yield name
    finally:
        api.delete_vhost(name)


def amqp_uri(vhost: str, host: str = "127.0.0.1", port: int = 5672, user: str = "guest",
             password: str = "guest") -> str:
    return f"pyamqp://{user}:{password}@{host}:{port}/{quote(vhost, safe='')}"


# Business time for the benchmarks: inside the 2024 call's filing window, at wall speed.
CALL_OPEN = "2024-09-20T09:00:00+08:00"


def service_env(amqp: str, data_dir: str, log_level: str = "WARNING", **extra: str) -> dict:
    """This process's environment with the broker, data folder, log level and clock replaced, and
    the services' signing keys made in `<data_dir>/keys`."""
    from shared.keys import generate

    keys = os.path.join(data_dir, "keys")
    generate(keys, {service: ("event-signing", ()) for service in ("registration", "application", "review", "funding")})
    return {**os.environ, "AMQP_URI": amqp, "DATA_DIR": data_dir, "KEYS_DIR": keys, "LOG_LEVEL": log_level,
            "PYTHONUNBUFFERED": "1", "CLOCK_START": CALL_OPEN, "CLOCK_EPOCH": str(time.time()), **extra}


def development_keys(directory: str) -> str:
    """A run's keys (every service's, every token issuer's), made by `python -m shared.keys generate`
    as an operator would make them; the services read them through KEYS_DIR."""
    subprocess.run([sys.executable, "-m", "shared.keys", "generate", "--dir", directory], cwd=REPO_ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    return directory


# -- processes -----------------------------------------------------------------------
class NamekoProcess:
    def __init__(self, name: str, module: str, env: dict, log_dir: str, launcher: str = "nameko"):
        self.name, self.module, self.env = name, module, env
        self.launcher = launcher     # `python -m <launcher> run ...`: nameko, or bench.unsigned
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", self.launcher, "run", "--config", CONFIG_FILE, self.module]
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def exit_code(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def terminate(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_or_kill(self, grace: float) -> None:
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (a graceful nameko stop) and wait for the exit; SIGKILL after `grace` seconds."""
        self.terminate()
        self.wait_or_kill(grace)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far; nan if it is not running or not on Linux."""
        try:
            with open(f"/proc/{self.popen.pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime, stime
        except (AttributeError, OSError, ValueError, IndexError):
            return float("nan")

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def running(processes: list[NamekoProcess], grace: float = 10.0):
    """Start the processes; on leaving (normally, on error or on Ctrl-C) SIGTERM them all, then kill stragglers."""
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + grace
        for process in processes:
            process.wait_or_kill(max(0.1, deadline - time.monotonic()))


def nameko_listening(uri: str, service: str) -> bool:
    """Whether a nameko service consumes its RPC queue: a quiet readiness probe (an RPC to a service
    whose queue is not bound yet comes back unroutable, and amqp logs a warning for each try)."""
    from kombu import Connection
    from kombu.exceptions import ChannelError

    with Connection(uri, connect_timeout=5) as conn:
        try:
            return conn.default_channel.queue_declare(queue=f"rpc-{service}", passive=True).consumer_count > 0
        except ChannelError:   # 404: the service has not declared it yet
            return False


def queue_message_count(uri: str, queue: str) -> int:
    """Messages ready in a queue (not those delivered and not yet acknowledged); 0 if it does not exist."""
    from kombu import Connection
    from kombu.exceptions import ChannelError

    with Connection(uri, connect_timeout=5) as conn:
        try:
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:
            return 0


class ServiceDied(RuntimeError):
    pass


def check_alive(processes: list[NamekoProcess], doing: str = "running") -> None:
    """Raise ServiceDied, naming the log and quoting its end, if one of the processes has exited."""
    for process in processes:
        if process.exit_code is not None:
            raise ServiceDied(f"{process.name} exited with code {process.exit_code} while {doing}; "
                              f"log: {process.log_path}\n{process.log_tail()}")


def wait_until(check, what: str, timeout: float = 60.0, interval: float = 0.2,
               processes: list[NamekoProcess] = ()):
    """Call `check` until it returns something truthy (and return that); its exceptions count as
    "not yet". Fails early, naming the log, if one of `processes` exits."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        check_alive(processes, f"waiting until {what}")
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - anything short of success means "not yet"
            last_error = error
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting until {what}"
                               + (f"; last error: {last_error!r}" if last_error else ""))
        time.sleep(interval)


def log_problems(processes: list[NamekoProcess]) -> dict[str, list[str]]:
    """Lines in the processes' logs that look like trouble, by process name: our JSON lines at
    warning or above and plain lines that mention errors, warnings or tracebacks, except
    eventlet's deprecation notice that every process prints at start."""
    def trouble(line: str) -> bool:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            return str(entry.get("level", "")).lower() in ("warning", "error", "critical", "exception")
        return "EventletDeprecationWarning" not in line and any(
            word in line.lower() for word in ("error", "warning", "traceback", "exception", "critical"))

    problems = {}
    for process in processes:
        try:
            with open(process.log_path, encoding="utf-8", errors="replace") as fh:
                lines = [line.rstrip() for line in fh if trouble(line)]
        except OSError:
            continue
        if lines:
            problems[process.name] = lines
    return problems


def add_common_arguments(parser) -> None:
    """The options every benchmark takes: where RabbitMQ is, how much the services log, and
    whether to keep the run's folder."""
    parser.add_argument("--rabbit-host", default="127.0.0.1")
    parser.add_argument("--management-url", default="http://127.0.0.1:15672")
    parser.add_argument("--log-level", default="WARNING",
                        help="the services' LOG_LEVEL (default WARNING; INFO logs each call's time in the service)")
    parser.add_argument("--keep", action="store_true", help="keep the data and log folder even if all went well")


class Workdir:
    """A run's data and log folder: removed after a clean run; kept, and its path said,
    when the run failed, was stopped, or asked for it (`keep`)."""

    def __init__(self, prefix: str, keep: bool = False):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.keep = keep

    def __enter__(self) -> "Workdir":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.keep = True
            how = "stopped" if issubclass(exc_type, KeyboardInterrupt | SystemExit) else "failed"
            print(f"\nbenchmark {how}; services stopped, vhost deleted, data and logs kept in {self.path}",
                  file=sys.stderr)
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
        return False

