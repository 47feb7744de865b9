"""The freshness load: a steady rate of batches to the gateway, and a poller on the query API.

Every request carries one probe event (model `bench-probe`) among ordinary ones. For each probe the
driver notes when the gateway answered 202; a poller asks the query API every `--poll-ms` for the
probes stored since the oldest one not yet seen, and notes when each one first shows up. Freshness is
the time between the two. Prints `MEASURING` and one JSON line, like bench.loadgen.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import msgspec

from bench.driver import run_driver
from bench.httpclient import Connection, build_request, host_port
from bench.payloads import llm_call
from bench.stats import summarize_ms

PROBE_MODEL = "bench-probe"


async def _run(args: argparse.Namespace) -> dict[str, object]:
    headers = {"X-API-Key": args.api_key}
    encoder = msgspec.json.Encoder()
    rnd = random.Random(11)
    acked: dict[str, float] = {}  # probe id -> 202 time
    sent_ts: dict[str, datetime] = {}  # probe id -> its event timestamp
    seen: dict[str, float] = {}
    ingest: list[float] = []
    statuses: dict[int, int] = {}
    clock = time.perf_counter
    start = clock()
    measure_from = start + args.warmup
    measure_until = measure_from + args.duration
    interval = args.batch / args.rate  # seconds between requests
    senders = 4
    polls = 0
    poll_times: list[float] = []
    done_sending = asyncio.Event()

    async def send(slot: int) -> None:
        connection = Connection(*host_port(args.gateway))
        await connection.open()
        n = slot
        while True:
            due = start + n * interval
            if due >= measure_until:
                break
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            now = datetime.now(UTC)
            events = [llm_call(rnd, now, model=PROBE_MODEL if i == 0 else None) for i in range(args.batch)]
            probe_id = str(events[0]["eventId"])
            raw = build_request(
                "POST", args.gateway + "/api/v1/events", encoder.encode({"events": events}), headers
            )
            t0 = clock()
            status, _ = await connection.request(raw)
            t1 = clock()
            if t0 >= measure_from:
                statuses[status] = statuses.get(status, 0) + 1
                ingest.append(t1 - t0)
                if status == 202:
                    acked[probe_id] = t1
                    sent_ts[probe_id] = now
            n += senders
        connection.close()

    async def poll() -> None:
        nonlocal polls
        connection = Connection(*host_port(args.query))
        await connection.open()
        quiet_until = None
        while True:
            pending = [p for p in acked if p not in seen]
            if done_sending.is_set():
                if not pending:
                    return
                quiet_until = quiet_until or clock() + args.drain
                if clock() > quiet_until:
                    return
            if pending:
                oldest = min(sent_ts[p] for p in pending) - timedelta(seconds=1)
                url = (
                    f"{args.query}/api/v1/events?model={PROBE_MODEL}&limit=500"
                    f"&from={quote(oldest.isoformat().replace('+00:00', 'Z'))}"
                )
                t0 = clock()
                status, body = await connection.request(build_request("GET", url, b"", headers))
                t1 = clock()
                polls += 1
                poll_times.append(t1 - t0)
                if status == 200:
                    for event in msgspec.json.decode(body)["events"]:
                        event_id = event["eventId"]
                        if event_id in acked and event_id not in seen:
                            seen[event_id] = t1
            await asyncio.sleep(args.poll_ms / 1000)

    async def announce() -> None:
        await asyncio.sleep(max(0.0, measure_from - clock()))
        print("MEASURING", flush=True)

    poller = asyncio.create_task(poll())
    await asyncio.gather(announce(), *(send(i) for i in range(senders)))
    done_sending.set()
    await poller
    freshness = [seen[p] - acked[p] for p in seen]
    ok = statuses.get(202, 0)
    return {
        "events_per_s_sent": round(ok * args.batch / args.duration, 1),
        "requests_per_s": round(ok / args.duration, 1),
        "batch": args.batch,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "probes": len(acked),
        "probes_seen": len(seen),
        "probes_unseen": len(acked) - len(seen),
        "poll_interval_ms": args.poll_ms,
        "polls": polls,
        "poll_latency": summarize_ms(poll_times),
        "ingest_latency": summarize_ms(ingest),
        "freshness": summarize_ms(freshness),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.freshness_driver")
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--rate", type=float, default=1000, help="events/s")
    parser.add_argument("--batch", type=int, default=20, help="events per request")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--poll-ms", type=float, default=50)
    parser.add_argument("--drain", type=float, default=20, help="seconds to wait for the last probes")
    return run_driver(parser, _run)


if __name__ == "__main__":
    sys.exit(main())
