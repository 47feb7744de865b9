"""The gateway's limit: the same bodies decoded with msgspec and produced with aiokafka, no HTTP.

N tasks (the same concurrency as the HTTP run) each loop: decode a body with the contract's decoder,
wrap the events in the same envelope, encode it, produce it with the gateway's producer settings
(acks=all, idempotent, zstd, linger) and await the ack. What is left is the floor any gateway pays:
decode + validate + encode + Kafka client. Prints `MEASURING` and one JSON line, like bench.loadgen.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.driver import Window, run_driver
from bench.stats import summarize_ms
from contracts.codec import decode_events, encode
from contracts.events import RawEnvelope
from core.kafka import create_producer
from core.settings import KafkaSettings


async def _run(args: argparse.Namespace) -> dict[str, object]:
    bodies = [line for line in args.bodies.read_bytes().split(b"\n") if line]
    producer = create_producer(KafkaSettings(bootstrap_servers=args.bootstrap), "bench-limit")
    await producer.start()
    key = b"bench"
    latencies: list[float] = []
    clock = time.perf_counter
    window = Window(args.warmup, args.duration)
    next_body = itertools.cycle(bodies).__next__

    async def worker() -> None:
        while True:
            body = next_body()
            t0 = clock()
            decoded = decode_events(body)
            if isinstance(decoded, list):
                raise SystemExit(f"invalid body: {decoded[:3]}")
            events, _ = decoded
            envelope = RawEnvelope(
                project_id="bench", key_id="limit", received_at=datetime.now(UTC), events=events
            )
            await (await producer.send(args.topic, value=encode(envelope), key=key))
            t1 = clock()
            if t1 >= window.until:
                return
            if window.measures(t0):
                latencies.append(t1 - t0)

    try:
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    finally:
        cpu_used = window.cpu_used()
        await producer.stop()
    ok = len(latencies)
    return {
        "topic": args.topic,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "requests": ok,
        "ok": ok,
        "requests_per_s": round(ok / args.duration, 1),
        "events_per_s": round(ok * args.events_per_request / args.duration, 1),
        "events_per_request": args.events_per_request,
        "latency": summarize_ms(latencies),
        "process_cpu_cores": round(cpu_used / args.duration, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.limit_produce")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--events-per-request", type=int, default=1)
    return run_driver(parser, _run)


if __name__ == "__main__":
    sys.exit(main())
