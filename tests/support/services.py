"""Real services for tests: the Kafka broker (probe, private instances) and Lynex server processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns a truthy value, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the service may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s (last error: {last_exc!r})")


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

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, command: str) -> None:
        env = os.environ | {
            "LYNEX_HOME": str(self.home),
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
        }
        subprocess.run(["bash", str(KAFKA_SH), command], env=env, check=True, timeout=180)

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")


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
    process: subprocess.Popen[bytes] | None = None

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
        base = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")}
        return base | {
            "LYNEX_ENV": "test",
            "LYNEX_HOME": str(self.home),
            "LYNEX_HTTP__PORT": str(self.port),
            "LYNEX_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            "LYNEX_KAFKA__TOPIC_PREFIX": self.prefix,
            "LYNEX_KAFKA__TOPIC_PARTITIONS": "2",
            "LYNEX_INIT__PROJECT_ID": self.project_id,
            "LYNEX_INIT__API_KEY": self.api_key,
            "LYNEX_LOG__FORMAT": "json",
            **self.extra_env,
        }

    def start(self, wait_ready: bool = True, timeout: float = 60) -> Server:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "core.cli", "serve", "--roles", self.roles],
                env=self.env(),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
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
        if self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}; log:\n{self.log_tail()}")
        return httpx.get(f"{self.url}/health", timeout=1).status_code == 200

    def _ready(self) -> bool:
        return httpx.get(f"{self.url}/ready", timeout=3).status_code == 200

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

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
