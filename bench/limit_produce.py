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
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.stats import run_fast, summarize_ms
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
    measure_from = clock() + args.warmup
    measure_until = measure_from + args.duration
    announced = False
    cpu_at_start = 0.0
    next_body = itertools.cycle(bodies).__next__

    async def worker() -> None:
        nonlocal announced, cpu_at_start
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
            if t1 >= measure_until:
                return
            if t0 >= measure_from:
                if not announced:
                    announced = True
                    cpu_at_start = time.process_time()
                    print("MEASURING", flush=True)
                latencies.append(t1 - t0)

    try:
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    finally:
        cpu_used = time.process_time() - cpu_at_start
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
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    print(json.dumps(run_fast(_run(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
