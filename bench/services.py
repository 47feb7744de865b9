"""What the benchmarks start: a private Kafka broker, Lynex role processes, other Python processes,
each pinned to a set of cores; readiness is waited on with a deadline, never a fixed sleep.

The pieces the tests start too (free ports, the readiness wait, the private broker, child processes
with a log file, a server's environment) are the test harness's, imported from tests.support.services
(as bench.sdk_overhead already does): one implementation, so a fix to any of them serves both. What is
here is what only the benchmarks need: core pinning, the runner's broker, the role servers they measure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.support.services import ChildProcess, PrivateBroker, free_port, server_env, wait_until

# While a server starts, urllib fails with these; anything else (it exited) ends the wait at once.
_NOT_UP_YET = (OSError, ValueError)


def cores() -> tuple[set[int], set[int]]:
    """(server cores, load-generator cores): different cores when the machine has two or more."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, {available[1]}


def new_api_key() -> str:
    return "sk_live_bench" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


def http_get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Broker(PrivateBroker):
    """The tests' private broker as the runner uses it: a cold JVM on a loaded machine may take ten
    minutes, kafka.sh prints to stderr (stdout is for results), and a failed stop hides no figures."""

    timeout: float = 600
    output: IO[Any] | None = field(default_factory=lambda: sys.stderr)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            super().stop()


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
    process: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def env(self) -> dict[str, str]:
        return server_env(
            home=self.home,
            port=self.port,
            bootstrap=self.bootstrap,
            prefix=self.prefix,
            project_id=self.project_id,
            api_key=self.api_key,
            extra={"LYNEX_LOG__LEVEL": "warning", **self.extra_env},
        )

    def start(self, timeout: float = 90) -> LynexServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.process = ChildProcess(
            name=f"lynex-{self.roles}",
            argv=[sys.executable, "-m", "core.cli", "serve", "--roles", self.roles],
            log_path=self.home / "server.log",
            env=self.env(),
            cpus=self.cpus,
        ).start()
        try:
            wait_until(self._ready, timeout, f"{self.url}/ready", retry_on=_NOT_UP_YET)
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


def wait_http_ok(url: str, process: ChildProcess, timeout: float = 60) -> None:
    def ok() -> bool:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        return http_get(url, timeout=2)[0] < 500

    wait_until(ok, timeout, url, retry_on=_NOT_UP_YET)
