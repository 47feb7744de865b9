"""The Data health page in a real Chromium against a running server with real data: events accepted
through the gateway and stored, and records dead-lettered by the enricher and the sink. The browser
(dashboard/e2e/accounting-shot.mjs) waits until the page shows every stored event and the dead-letter
reasons, and takes the screenshot that docs/screenshots/accounting.png is a copy of.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tests.e2e.test_dashboard import built_dashboard  # noqa: F401 - a fixture: dist built, Chromium present
from tests.support.services import REPO

pytestmark = pytest.mark.e2e
EMAIL, PASSWORD = "ops@example.com", "correct horse battery staple"
MODELS = ("gpt-4o-mini", "claude-3-5-sonnet-20241022", "gpt-4o", "gpt-4o-mini")


def call(i: int, model: str) -> dict[str, Any]:
    body = {"model": model, "tokens": {"input": 100 + i, "output": 20}, "latencyMs": 200 + i, "status": "ok"}
    return {"eventId": str(uuid.uuid4()), "type": "llm_call", "body": body}


@pytest.mark.usefixtures("built_dashboard")
async def test_data_health_page_shows_stored_and_dead_lettered(
    server_factory, kafka_bootstrap: str, tmp_path: Path
) -> None:
    server = server_factory(
        project_id="shop-assistant",
        extra_env={
            "LYNEX_INIT__USER_EMAIL": EMAIL,
            "LYNEX_INIT__USER_PASSWORD": PASSWORD,
            "LYNEX_GATEWAY__USAGE_FLUSH_S": "1",
        },
    )
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=30) as client:
        for b, model in enumerate(MODELS):
            response = await client.post(
                "/api/v1/events", json={"events": [call(b * 50 + i, model) for i in range(50)]}
            )
            assert response.status_code == 202, response.text
    key = server.project_id.encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await (await producer.send(server.topics.raw, b"\x00not an envelope", key=key))
        await (await producer.send(server.topics.enriched, b"\xc1 not msgpack", key=key))
    finally:
        await producer.stop()
    shot = tmp_path / "accounting.png"
    argv = [
        "node",
        "dashboard/e2e/accounting-shot.mjs",
        server.url,
        EMAIL,
        PASSWORD,
        server.project_id,
        "200",
        str(shot),
    ]
    done = await asyncio.to_thread(
        subprocess.run, argv, cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\nserver log:\n{server.log_tail()}"
    assert shot.stat().st_size > 10_000
