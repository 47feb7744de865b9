"""The gateway against the real Kafka broker: what is accepted is on the topic, nothing else is."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import time
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from contracts.limits import KAFKA_MESSAGE_MAX_BYTES, MAX_EVENT_BYTES, MAX_RECORD_BYTES, MAX_REQUEST_BYTES
from contracts.topics import Topics
from core.control.store import ControlPlane
from core.database import create_engine
from core.kafka import consumer_fetch_sizes, create_producer, ensure_topics
from core.settings import KafkaSettings
from tests.support.services import PrivateBroker, envelope_events, new_prefix, read_topic

pytestmark = pytest.mark.integration

URL = "/api/v1/events"


def log_event(i: int) -> dict[str, object]:
    return {"type": "log", "body": {"level": "info", "message": f"event {i}"}}


async def test_accepted_events_are_on_the_topic_exactly(server_factory, kafka_bootstrap: str) -> None:
    server = server_factory(roles="gateway")
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        for start in range(0, 250, 50):
            batch = {"events": [log_event(i) for i in range(start, start + 50)]}
            response = await client.post(URL, json=batch)
            assert response.status_code == 202, response.text
            ids += response.json()["eventIds"]
        single = await client.post(URL, json={**log_event(999), "projectId": server.project_id})
        assert single.status_code == 202
        ids.append(single.json()["eventId"])
    records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=6)
    events = envelope_events(records)
    assert len(records) == 6  # one record per request
    assert len(events) == 251
    assert [str(e.event_id) for _, e in events] == ids  # same order within the project's partition
    assert {key for key, _ in events} == {server.project_id.encode()}
    assert {e.project_id for _, e in events} == {server.project_id}


async def test_rejected_requests_put_nothing_on_the_topic(server_factory, kafka_bootstrap: str) -> None:
    server = server_factory(roles="gateway", extra_env={"LYNEX_GATEWAY__MAX_BODY_BYTES": "20000"})
    async with httpx.AsyncClient(base_url=server.url) as client:
        h = server.headers
        assert (await client.post(URL, json={"type": "log", "body": {}}, headers=h)).status_code == 422
        assert (await client.post(URL, json=log_event(1))).status_code == 401
        bad_key = {"X-API-Key": "sk_live_" + "z" * 40}
        assert (await client.post(URL, json=log_event(1), headers=bad_key)).status_code == 403
        other = {**log_event(1), "projectId": "not-mine"}
        assert (await client.post(URL, json=other, headers=h)).status_code == 403
        huge = {"type": "log", "body": {"level": "info", "message": "x" * 30_000}}
        assert (await client.post(URL, json=huge, headers=h)).status_code == 413
        bomb = gzip.compress(json.dumps(huge).encode())
        response = await client.post(URL, content=bomb, headers=h | {"Content-Encoding": "gzip"})
        assert response.status_code == 413
        sentinel = await client.post(URL, json=log_event(2), headers=h)
        assert sentinel.status_code == 202
    events = envelope_events(await read_topic(kafka_bootstrap, server.topics.raw, min_records=1))
    assert [str(e.event_id) for _, e in events] == [sentinel.json()["eventId"]]


async def test_broker_down_gives_503_then_recovers(server_factory, private_broker: PrivateBroker) -> None:
    server = server_factory(roles="gateway", bootstrap=private_broker.bootstrap)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=30) as client:
        assert (await client.post(URL, json=log_event(0))).status_code == 202
        await asyncio.to_thread(private_broker.stop)
        started = time.monotonic()
        response = await client.post(URL, json=log_event(1))
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert elapsed < 5, f"503 took {elapsed:.1f}s"
        ready = await client.get("/ready")
        assert ready.status_code == 503
        await asyncio.to_thread(private_broker.start)
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            status = (await client.post(URL, json=log_event(2))).status_code
            if status == 202:
                break
            await asyncio.sleep(0.5)
        assert status == 202, "the gateway did not recover after the broker came back"
        assert (await client.get("/ready")).status_code == 200
    events = envelope_events(await read_topic(private_broker.bootstrap, server.topics.raw, min_records=2))
    messages = [e.body.message for _, e in events]
    assert "event 0" in messages
    assert "event 2" in messages


async def test_gateway_starts_before_kafka_and_answers_503(server_factory, tmp_path: Path) -> None:
    broker = PrivateBroker(home=tmp_path / "late-broker")
    server = server_factory(roles="gateway", bootstrap=broker.bootstrap, wait_ready=False)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=30) as client:
        response = await client.post(URL, json=log_event(0))
        assert response.status_code == 503
        assert (await client.get("/ready")).status_code == 503
        await asyncio.to_thread(broker.start)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if (await client.post(URL, json=log_event(1))).status_code == 202:
                    break
                await asyncio.sleep(0.5)
            else:
                pytest.fail("gateway never connected to the late broker")
        finally:
            await asyncio.to_thread(broker.stop)


async def test_revoked_key_is_refused_within_the_ttl(server_factory) -> None:
    server = server_factory(roles="gateway", extra_env={"LYNEX_GATEWAY__KEY_CACHE_TTL_S": "2"})
    engine = create_engine(f"sqlite+aiosqlite:///{server.home / 'control.db'}")
    control = ControlPlane(engine)
    try:
        key, secret = await control.create_key(server.project_id, "to-revoke")
        headers = {"X-API-Key": secret}
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
            assert (await client.post(URL, json=log_event(0))).status_code == 202
            assert await control.revoke_key(key.id)
            revoked_at = time.monotonic()
            while (await client.post(URL, json=log_event(1))).status_code == 202:
                assert time.monotonic() - revoked_at < 5, "revoked key still accepted after 5 s (TTL 2 s)"
                await asyncio.sleep(0.2)
            assert (await client.post(URL, json=log_event(2))).status_code == 403
    finally:
        await engine.dispose()


async def test_keys_are_stored_hashed_and_never_logged(server_factory) -> None:
    server = server_factory(roles="gateway")
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        assert (await client.post(URL, json=log_event(0))).status_code == 202
        await client.post(URL, json=log_event(1), headers={"X-API-Key": server.api_key + "x"})
    server.stop()
    database = (server.home / "control.db").read_bytes()
    for path in server.home.glob("control.db*"):
        assert server.api_key.encode() not in path.read_bytes(), path
    assert server.api_key.encode()[:20] not in database
    assert server.api_key not in server.log_path.read_text()


# -- the size budget against the real broker -----------------------------------------------------


def incompressible_llm_call(prompt_bytes: int) -> dict[str, object]:
    """An llm_call whose prompt is `prompt_bytes` of base64 text from random bytes: compression wins nothing."""
    prompt = base64.b64encode(os.urandom(prompt_bytes * 3 // 4 + 3)).decode()[:prompt_bytes]
    return {"type": "llm_call", "body": {"model": "gpt-4o", "prompt": prompt}}


async def topic_configs(bootstrap: str, topic: str) -> dict[str, tuple[str, int]]:
    """The topic's configuration: name -> (value, config source; 1 = set on the topic itself)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        [resource] = response.to_object()["resources"]
        return {
            e["config_names"]: (e["config_value"], e["config_source"]) for e in resource["config_entries"]
        }
    finally:
        await admin.close()


async def set_topic_config(bootstrap: str, topic: str, configs: dict[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs)])
    finally:
        await admin.close()


async def test_incompressible_event_within_the_budget_travels_and_larger_gets_413(
    server_factory, kafka_bootstrap: str
) -> None:
    # The shared broker may have been started with the default 1 MiB message.max.bytes: what makes this
    # pass is the topic's own max.message.bytes, which the server's ensure_topics sets.
    server = server_factory(roles="gateway")
    assert (await topic_configs(kafka_bootstrap, server.topics.raw))["max.message.bytes"][0] == str(
        KAFKA_MESSAGE_MAX_BYTES
    )
    big = incompressible_llm_call(4 * 1024 * 1024)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as client:
        accepted = await client.post(URL, json=big)
        assert accepted.status_code == 202, accepted.text

        over_event = incompressible_llm_call(MAX_EVENT_BYTES)
        refused = await client.post(URL, json={"events": [log_event(0), over_event]})
        assert refused.status_code == 413, refused.text
        assert [(e["index"], e["path"]) for e in refused.json()["errors"]] == [(1, "$.events[1]")]

        over_request = json.dumps(incompressible_llm_call(MAX_REQUEST_BYTES)).encode()
        assert (await client.post(URL, content=over_request)).status_code == 413
        gzipped = await client.post(
            URL, content=gzip.compress(over_request), headers={"Content-Encoding": "gzip"}
        )
        assert gzipped.status_code == 413

        after = await client.post(URL, json=log_event(1))
        assert after.status_code == 202, after.text
    events = envelope_events(await read_topic(kafka_bootstrap, server.topics.raw, min_records=2))
    assert [str(e.event_id) for _, e in events] == [accepted.json()["eventId"], after.json()["eventId"]]
    assert events[0][1].body.prompt == big["body"]["prompt"]  # type: ignore[attr-defined,index]


async def test_a_record_the_broker_refuses_does_not_wedge_the_gateway(
    server_factory, kafka_bootstrap: str
) -> None:
    server = server_factory(roles="gateway")
    big = incompressible_llm_call(2 * 1024 * 1024)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as client:
        assert (await client.post(URL, json=log_event(0))).status_code == 202
        # A topic whose limit is below the budget (created before it, by hand): Kafka refuses the record.
        await set_topic_config(kafka_bootstrap, server.topics.raw, {"max.message.bytes": "1048588"})
        refused = await client.post(URL, json=big)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"].isdigit()
        # Before: every later request got 503 (OutOfOrderSequenceNumber) until the gateway restarted, and
        # the large event could never fit. Now the producer is renewed and the topic's limit raised.
        deadline = time.monotonic() + 30
        while (status := (await client.post(URL, json=big)).status_code) != 202:
            assert status == 503
            assert time.monotonic() < deadline, "the event within the budget still gets 503 after 30 s"
            await asyncio.sleep(0.2)
        assert (await client.post(URL, json=log_event(1))).status_code == 202
    assert (await topic_configs(kafka_bootstrap, server.topics.raw))["max.message.bytes"][0] == str(
        KAFKA_MESSAGE_MAX_BYTES
    )
    events = envelope_events(await read_topic(kafka_bootstrap, server.topics.raw, min_records=3))
    assert [type(e).__name__ for _, e in events] == ["LogEvent", "LlmCallEvent", "LogEvent"]
    assert events[1][1].body.prompt == big["body"]["prompt"]  # type: ignore[attr-defined,index]


async def test_ensure_topics_raises_a_lower_limit_and_keeps_other_overrides(kafka_bootstrap: str) -> None:
    topics = Topics.with_prefix(new_prefix())
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_partitions=1)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        old = {"max.message.bytes": "1048588", "retention.ms": "3600000"}
        await admin.create_topics([NewTopic(topics.raw, 1, 1, topic_configs=old)])
    finally:
        await admin.close()
    await ensure_topics(settings, topics)
    await ensure_topics(settings, topics)  # idempotent
    for name in topics.names():
        configs = await topic_configs(kafka_bootstrap, name)
        assert configs["max.message.bytes"] == (str(KAFKA_MESSAGE_MAX_BYTES), 1), name
    assert (await topic_configs(kafka_bootstrap, topics.raw))["retention.ms"] == ("3600000", 1)


async def test_a_fresh_broker_from_kafka_sh_takes_the_largest_record(private_broker: PrivateBroker) -> None:
    # Topics the broker auto-creates (faust's changelogs) carry no limit of their own: the broker's counts.
    admin = AIOKafkaAdminClient(bootstrap_servers=private_broker.bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
        [resource] = response.to_object()["resources"]
        broker = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
    finally:
        await admin.close()
    assert broker["message.max.bytes"] == str(KAFKA_MESSAGE_MAX_BYTES)
    assert broker["replica.fetch.max.bytes"] == str(KAFKA_MESSAGE_MAX_BYTES)

    topic = f"{new_prefix()}auto-created"
    value = os.urandom(MAX_RECORD_BYTES)  # incompressible: zstd cannot bring it under a lower limit
    producer = create_producer(KafkaSettings(bootstrap_servers=private_broker.bootstrap), "limits-test")
    await producer.start()
    try:
        await (await producer.send(topic, value=value, key=b"k"))
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=private_broker.bootstrap,
        auto_offset_reset="earliest",
        **consumer_fetch_sizes(),
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    assert record.value == value
