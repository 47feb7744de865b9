"""What the benchmarks start: a private Kafka broker, Lynex role processes, other Python processes,
each pinned to a set of cores; readiness is waited on with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KAFKA_SH = REPO / "scripts" / "kafka.sh"


def cores() -> tuple[set[int], set[int]]:
    """(server cores, load-generator cores): different cores when the machine has two or more."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, {available[1]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_api_key() -> str:
    return "sk_live_bench" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError) as exc:  # not up yet
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s (last error: {last!r})")


def http_get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _pinned(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@dataclass
class Process:
    """A child process with its output in a log file; stopped with SIGTERM, then SIGKILL."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cpus: set[int] | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.argv),
                env=dict(self.env),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_pinned(self.cpus),  # noqa: PLW1509 - single-threaded parent
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


@dataclass
class Broker:
    """A private single-node Kafka (scripts/kafka.sh) with its own ports and data directory."""

    home: Path
    cpus: set[int] | None = None
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, command: str) -> None:
        env = os.environ | {
            "LYNEX_HOME": str(self.home),
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
        }
        subprocess.run(
            ["bash", str(KAFKA_SH), command],
            env=env,
            check=True,
            timeout=600,
            preexec_fn=_pinned(self.cpus),
            stdout=sys.stderr,
        )

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run("stop")

    def pids(self) -> list[int]:
        pid_file = self.home / "kafka" / "kafka.pid"
        return [int(pid_file.read_text().strip())] if pid_file.exists() else []


@dataclass
class LynexServer:
    """`python -m core.cli serve --roles ...` with its own home, port and topic prefix."""

    home: Path
    bootstrap: str
    roles: str
    prefix: str
    api_key: str
    project_id: str = "bench"
    cpus: set[int] | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")}
        return base | {
            "LYNEX_ENV": "test",
            "LYNEX_HOME": str(self.home),
            "LYNEX_HTTP__PORT": str(self.port),
            "LYNEX_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            "LYNEX_KAFKA__TOPIC_PREFIX": self.prefix,
            "LYNEX_INIT__PROJECT_ID": self.project_id,
            "LYNEX_INIT__API_KEY": self.api_key,
            "LYNEX_LOG__FORMAT": "json",
            "LYNEX_LOG__LEVEL": "warning",
            **self.extra_env,
        }

    def start(self, timeout: float = 90) -> LynexServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            name=f"lynex-{self.roles}",
            argv=[sys.executable, "-m", "core.cli", "serve", "--roles", self.roles],
            log_path=self.home / "server.log",
            env=self.env(),
            cpus=self.cpus,
        ).start()
        try:
            wait_until(self._ready, timeout, f"{self.url}/ready")
        except TimeoutError:
            self.stop()
            raise RuntimeError(
                f"lynex ({self.roles}) did not become ready:\n{self.process.log_tail()}"
            ) from None
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if not self.process.alive():
            raise RuntimeError(f"lynex ({self.roles}) exited:\n{self.process.log_tail()}")
        return http_get(f"{self.url}/ready", timeout=3)[0] == 200

    def metrics(self) -> dict[str, float]:
        """Samples of GET /metrics without labels: name -> value."""
        _, body = http_get(f"{self.url}/metrics")
        out: dict[str, float] = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#") and "{" not in line:
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def wait_http_ok(url: str, process: Process, timeout: float = 60) -> None:
    def ok() -> bool:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        return http_get(url, timeout=2)[0] < 500

    wait_until(ok, timeout, url)
