"""The streams limit: a bare loop that consumes `events.raw` with aiokafka and inserts the same rows
into the same ClickHouse table (embedded engine, same migrations, so the rollup view runs too).

No enrich topic, no faust, no pricing, no dedup check: decode each envelope, map every event to the
`events` columns (the JSON columns encoded, nothing derived), insert 10k rows at a time, column-oriented,
like the sink, synchronously. Prints `MEASURING` at the first record and one JSON line when `--events` rows are in.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.driver import run_driver
from contracts.codec import decode_envelope
from contracts.enriched import COLUMNS
from contracts.events import LlmCallEvent
from core.clickhouse import ClickHouse, migrate_clickhouse

_encode = msgspec.json.Encoder().encode


def _row(event: Any, project_id: str, key_id: str, received_at: Any) -> tuple[Any, ...]:
    body = event.body
    llm = isinstance(event, LlmCallEvent)
    ctx = event.context
    ts = event.timestamp.astimezone(UTC) if event.timestamp else received_at
    return (
        project_id,
        str(event.event_id),
        "llm_call" if llm else type(event).__struct_config__.tag,
        ts,
        received_at,
        0,
        key_id,
        body.model if llm else "",
        (body.provider or "") if llm else "",
        body.tokens.input if llm else 0,
        body.tokens.output if llm else 0,
        (body.tokens.cached or 0) if llm else 0,
        (body.tokens.reasoning or 0) if llm else 0,
        body.cost_usd if llm else None,
        "",
        body.latency_ms if llm else None,
        body.status if llm else "",
        (body.error.type if body.error else "") if llm else "",
        "",
        (body.trace_id or "") if llm else "",
        (body.span_id or "") if llm else "",
        (body.parent_span_id or "") if llm else "",
        (ctx.env or "") if ctx else "",
        (ctx.user_id or "") if ctx else "",
        (ctx.session_id or "") if ctx else "",
        (ctx.release or "") if ctx else "",
        f"{event.sdk.name}/{event.sdk.version}" if event.sdk else "",
        _encode(ctx).decode() if ctx else "{}",
        _encode(body).decode(),
    )


async def _run(args: argparse.Namespace) -> dict[str, object]:
    clickhouse = ClickHouse(f"chdb://{args.clickhouse}")
    await migrate_clickhouse(clickhouse, 90)
    client = clickhouse._connect()  # the bare client: the loop calls it synchronously
    consumer = AIOKafkaConsumer(
        bootstrap_servers=args.bootstrap, group_id=None, enable_auto_commit=False, max_poll_records=10_000
    )
    await consumer.start()
    partitions: set[int] = set()
    for _ in range(50):
        partitions = consumer.partitions_for_topic(args.topic) or set()
        if partitions:
            break
        await consumer._client.force_metadata_update()
    tps = [TopicPartition(args.topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    rows: list[tuple[Any, ...]] = []
    inserted = 0
    started = 0.0
    cpu_at_start = 0.0
    inserts: list[float] = []
    try:
        while inserted < args.events:
            polled = await consumer.getmany(timeout_ms=500, max_records=10_000)
            if polled and not started:
                started = time.perf_counter()
                cpu_at_start = time.process_time()
                print("MEASURING", flush=True)
            for messages in polled.values():
                for message in messages:
                    envelope = decode_envelope(message.value)
                    received = envelope.received_at.astimezone(UTC)
                    rows.extend(
                        _row(e, envelope.project_id, envelope.key_id, received) for e in envelope.events
                    )
            if len(rows) >= args.batch_rows or (rows and inserted + len(rows) >= args.events):
                t0 = time.perf_counter()
                columns = [list(c) for c in zip(*rows, strict=True)]
                client.insert("events", columns, column_names=list(COLUMNS), column_oriented=True)
                inserts.append(time.perf_counter() - t0)
                inserted += len(rows)
                rows = []
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_at_start
    finally:
        await consumer.stop()
        clickhouse.close()
    return {
        "events": inserted,
        "elapsed_s": round(elapsed, 2),
        "events_per_s": round(inserted / elapsed, 1),
        "batch_rows": args.batch_rows,
        "insert_s_total": round(sum(inserts), 2),
        "process_cpu_cores": round(cpu / elapsed, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.streams_limit")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--clickhouse", type=Path, required=True, help="embedded ClickHouse directory")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    return run_driver(parser, _run)


if __name__ == "__main__":
    sys.exit(main())
