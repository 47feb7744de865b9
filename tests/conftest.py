"""Shared fixtures: the real Kafka broker (started by `make test`), servers, private brokers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import PrivateBroker, Server, port_open

KAFKA = os.environ.get("LYNEX_TEST_KAFKA", "127.0.0.1:9092")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    host, _, port = KAFKA.rpartition(":")
    if not port_open(host, int(port)):
        pytest.fail(
            f"no Kafka broker at {KAFKA}: run `make test` (it starts one) or `make kafka-start`",
            pytrace=False,
        )
    return KAFKA


@pytest.fixture
def server_factory(tmp_path: Path, kafka_bootstrap: str) -> Iterator[object]:
    """Start Lynex server processes; every one is stopped (and its log shown on failure) afterwards."""
    started: list[Server] = []

    def start(
        roles: str = "all", bootstrap: str | None = None, wait_ready: bool = True, **kw: object
    ) -> Server:
        server = Server(
            home=tmp_path / f"server{len(started)}", bootstrap=bootstrap or kafka_bootstrap, roles=roles, **kw
        )  # type: ignore[arg-type]
        started.append(server)
        return server.start(wait_ready=wait_ready)

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(home=tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()
