"""Pre-filling `events.raw` the way the gateway writes it: one envelope of 100 events per record,
keyed by project id, one project per partition, every event id unique.

Events are cut from a few generated templates and get fresh ids by splicing, so a million events take
seconds to make instead of minutes.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import msgspec
from aiokafka import AIOKafkaProducer

from bench.payloads import llm_call

_ID_FIELD = b'"eventId":"'


def _template(rnd_seed: int, project_id: str, per_envelope: int, now: datetime) -> list[bytes]:
    """An envelope split around its event ids: len(parts) == per_envelope + 1."""
    import random  # noqa: PLC0415

    rnd = random.Random(rnd_seed)
    events = []
    for _ in range(per_envelope):
        event = llm_call(rnd, now)
        event["projectId"] = project_id
        events.append(event)
    envelope = {
        "projectId": project_id,
        "keyId": "bench-key",
        # Received a little after the client's timestamp, as through the gateway (equal would make the
        # sink treat every event as sent without a timestamp and look it up over the hour before).
        "receivedAt": (now + timedelta(milliseconds=3)).isoformat().replace("+00:00", "Z"),
        "events": events,
        "v": 1,
    }
    raw = msgspec.json.encode(envelope)
    parts = []
    start = 0
    for _ in range(per_envelope):
        at = raw.index(_ID_FIELD, start) + len(_ID_FIELD)
        parts.append(raw[start:at])
        start = at + 36  # a UUID's text
    parts.append(raw[start:])
    return parts


def _uuid4_texts(count: int) -> list[bytes]:
    raw = bytearray(os.urandom(16 * count))
    out = []
    for i in range(count):
        chunk = raw[16 * i : 16 * i + 16]
        chunk[6] = (chunk[6] & 0x0F) | 0x40
        chunk[8] = (chunk[8] & 0x3F) | 0x80
        h = chunk.hex().encode()
        out.append(h[:8] + b"-" + h[8:12] + b"-" + h[12:16] + b"-" + h[16:20] + b"-" + h[20:])
    return out


def envelopes(
    project_ids: list[str], total_events: int, per_envelope: int = 100
) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) records holding `total_events` events, round-robin over projects."""
    now = datetime.now(UTC)
    templates = {
        p: [_template(seed * 100 + i, p, per_envelope, now) for seed in range(4)]
        for i, p in enumerate(project_ids)
    }
    records = []
    ids = iter(_uuid4_texts(total_events))
    for n in range(total_events // per_envelope):
        partition = n % len(project_ids)
        project = project_ids[partition]
        parts = templates[project][n % 4]
        value = bytearray(parts[0])
        for part in parts[1:]:
            value += next(ids)
            value += part
        records.append((partition, project.encode(), bytes(value)))
    return records


async def produce(bootstrap: str, topic: str, records: list[tuple[int, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        compression_type="zstd",
        linger_ms=5,
        max_batch_size=1024 * 1024,
        max_request_size=8 * 1024 * 1024,
    )
    await producer.start()
    try:
        pending = []
        for partition, key, value in records:
            pending.append(await producer.send(topic, value=value, key=key, partition=partition))
            if len(pending) >= 200:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
