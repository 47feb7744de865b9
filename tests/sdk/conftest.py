"""Fixtures of the SDK tests: a recording fake gateway, client factories that always shut down."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import lynex
import pytest
from lynex.integrations import uninstrument

from tests.sdk.support import FakeGateway, schema_validator


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as gw:
        yield gw


@pytest.fixture(scope="session")
def validator() -> Any:
    return schema_validator()


@pytest.fixture
def make_client(gateway: FakeGateway) -> Iterator[Callable[..., lynex.Lynex]]:
    """`make_client(**options)`: a client of the fake gateway (or `endpoint=`), shut down afterwards."""
    clients: list[lynex.Lynex] = []

    def make(**options: Any) -> lynex.Lynex:
        options.setdefault("api_key", "sk_test_key")
        options.setdefault("endpoint", gateway.url)
        options.setdefault("environ", {})
        client = lynex.Lynex(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.shutdown(timeout=0.5)


@pytest.fixture(autouse=True)
def _no_default_client() -> Iterator[None]:
    """Every test starts and ends without a module-level client or patched LLM clients."""
    yield
    client = lynex.get_client()
    if client is not None:
        client.shutdown(timeout=0.5)
    lynex._default["client"] = None
    uninstrument()
