"""Real services for tests: the Kafka broker (probe, private instances) and Lynex server processes.

The benchmarks build on this harness too (bench/services.py): one readiness wait, one private broker,
one child-process wrapper, so a fix to any of them serves both.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import Topics

REPO = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO / "scripts" / "kafka.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    interval: float = 0.1,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
) -> Any:
    """Poll `predicate` until it returns a truthy value, or fail after `timeout` seconds; an exception
    of `retry_on` counts as "not up yet", any other one ends the wait at once."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except retry_on as exc:  # the service may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s (last error: {last_exc!r})")


def pinned_to(cpus: set[int] | None) -> Callable[[], None] | None:
    """A `preexec_fn` that pins the child to `cpus` (None: the child runs where the parent may)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def log_tail(path: Path, lines: int) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


def new_api_key() -> str:
    return "sk_live_test" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


@dataclass
class PrivateBroker:
    """A Kafka broker of a test's own (other ports, other data dir), for stopping and restarting."""

    home: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    cpus: set[int] | None = None  # pin the broker to these cores (the benchmarks do)
    timeout: float = 180  # for each `kafka.sh start|stop`
    output: IO[Any] | None = None  # where kafka.sh prints; None: this process's stdout

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
            timeout=self.timeout,
            preexec_fn=pinned_to(self.cpus),
            stdout=self.output,
        )

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")

    def pids(self) -> list[int]:
        pid_file = self.home / "kafka" / "kafka.pid"
        return [int(pid_file.read_text().strip())] if pid_file.exists() else []


@dataclass
class ChildProcess:
    """A child process run from the repository root with its output in a log file; stopped with a
    signal (SIGTERM unless told), then SIGKILL."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cpus: set[int] | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ChildProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.popen = subprocess.Popen(
                list(self.argv),
                env=dict(self.env),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=pinned_to(self.cpus),  # noqa: PLW1509 - single-threaded parent
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        """Stop the child; its exit code (None if it was never started)."""
        if self.popen is None or self.popen.poll() is not None:
            return None if self.popen is None else self.popen.returncode
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(timeout=10)


def server_env(
    *,
    home: Path,
    port: int,
    bootstrap: str,
    prefix: str,
    project_id: str,
    api_key: str,
    extra: Mapping[str, str],
) -> dict[str, str]:
    """The environment of a Lynex server under test: the caller's, without its LYNEX_* settings, plus
    its own home, port, broker, topic prefix and first project, JSON logs, and `extra`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")}
    return base | {
        "LYNEX_ENV": "test",
        "LYNEX_HOME": str(home),
        "LYNEX_HTTP__PORT": str(port),
        "LYNEX_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "LYNEX_KAFKA__TOPIC_PREFIX": prefix,
        "LYNEX_INIT__PROJECT_ID": project_id,
        "LYNEX_INIT__API_KEY": api_key,
        "LYNEX_LOG__FORMAT": "json",
        **extra,
    }


@dataclass
class Server:
    """A `lynex-server serve` process, started with its own home, port and topic prefix."""

    home: Path
    bootstrap: str
    roles: str = "all"
    prefix: str = field(default_factory=new_prefix)
    project_id: str = "test-project"
    api_key: str = field(default_factory=new_api_key)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.prefix)

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

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
            extra={"LYNEX_KAFKA__TOPIC_PARTITIONS": "2", **self.extra_env},
        )

    def start(self, wait_ready: bool = True, timeout: float = 60) -> Server:
        self.home.mkdir(parents=True, exist_ok=True)
        self.process = ChildProcess(
            name="lynex-server",
            argv=[sys.executable, "-m", "core.cli", "serve", "--roles", self.roles],
            log_path=self.log_path,
            env=self.env(),
        ).start()
        try:
            wait_until(self._health, timeout, f"{self.url}/health")
            if wait_ready:
                wait_until(self._ready, timeout, f"{self.url}/ready")
        except TimeoutError:
            self.stop()
            raise AssertionError(f"server did not start; log:\n{self.log_tail()}") from None
        return self

    def _health(self) -> bool:
        assert self.process is not None
        assert self.process.popen is not None
        if not self.process.alive():
            raise AssertionError(
                f"server exited with {self.process.popen.returncode}; log:\n{self.log_tail()}"
            )
        return httpx.get(f"{self.url}/health", timeout=1).status_code == 200

    def _ready(self) -> bool:
        return httpx.get(f"{self.url}/ready", timeout=3).status_code == 200

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        return None if self.process is None else self.process.stop(sig, timeout)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


async def read_topic(
    bootstrap: str, topic: str, *, min_records: int, timeout: float = 20
) -> list[tuple[bytes | None, bytes]]:
    """(key, value) of every record of `topic`, waiting until at least `min_records` arrived."""
    return [
        (m.key, m.value)
        for m in await read_records(bootstrap, topic, min_records=min_records, timeout=timeout)
    ]


async def read_records(bootstrap: str, topic: str, *, min_records: int, timeout: float = 20) -> list[Any]:
    """Every ConsumerRecord of `topic` from the beginning, waiting until at least `min_records` arrived."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] = set()
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic) or set()
            if not partitions:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for messages in batch.values():
                records.extend(messages)
            if len(records) >= min_records:
                # Drain what else is already there, so "exactly N" assertions see extras too.
                more = await consumer.getmany(timeout_ms=500)
                for messages in more.values():
                    records.extend(messages)
                break
        return records
    finally:
        await consumer.stop()


async def group_lag(bootstrap: str, group_id: str, topic: str) -> int:
    """Records of `topic` not yet committed by consumer group `group_id` (all of them if none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group_id)
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        ends = await consumer.end_offsets(tps)
        lag = 0
        for tp in tps:
            meta = committed.get(tp)
            lag += ends[tp] - (meta.offset if meta is not None and meta.offset >= 0 else 0)
        return lag
    finally:
        await consumer.stop()
        await admin.close()


def envelope_events(records: Iterable[tuple[bytes | None, bytes]]) -> list[tuple[bytes | None, object]]:
    """(record key, event) for every event in every envelope."""
    from contracts.codec import decode_envelope  # noqa: PLC0415

    out: list[tuple[bytes | None, object]] = []
    for key, value in records:
        envelope = decode_envelope(value)
        out.extend((key, event) for event in envelope.events)
    return out
