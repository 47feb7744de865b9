"""The load generator, run as its own process (pinned to its own core): closed loop, fixed concurrency.

`python -m bench.loadgen --url URL --bodies FILE --concurrency N ...` keeps N keep-alive connections
each with one request in flight, cycling through the bodies (one JSON body per line of FILE), warms
up, then measures. It prints `MEASURING` when the measured window starts (the parent samples the
server's CPU then) and one JSON line of results at the end, including its own CPU use, so a run can
show the generator was not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from pathlib import Path

from bench.driver import Window, run_driver
from bench.httpclient import Connection, ConnectionClosed, build_request, host_port
from bench.stats import summarize_ms


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.loadgen")
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", type=Path, help="one request body per line; GET without it")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--events-per-request", type=int, default=1)
    return parser


async def _run(args: argparse.Namespace) -> dict[str, object]:
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    if args.bodies:
        bodies = [line for line in args.bodies.read_bytes().split(b"\n") if line]
        requests = [build_request("POST", args.url, body, headers) for body in bodies]
    else:
        requests = [build_request("GET", args.url, b"", headers)]
    host, port = host_port(args.url)
    connections = [Connection(host, port) for _ in range(args.concurrency)]
    await asyncio.gather(*(c.open() for c in connections))

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures = 0
    clock = time.perf_counter
    window = Window(args.warmup, args.duration)
    next_request = itertools.cycle(requests).__next__

    async def worker(connection: Connection) -> None:
        nonlocal failures
        while True:
            raw = next_request()
            t0 = clock()
            try:
                status, _ = await connection.request(raw)
            except (ConnectionError, OSError, ConnectionClosed):
                failures += 1
                connection.close()
                connection.protocol = None
                await asyncio.sleep(0.05)
                continue
            t1 = clock()
            if t1 >= window.until:
                return
            if window.measures(t0):
                latencies.append(t1 - t0)
                statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(worker(c) for c in connections))
    cpu_used = window.cpu_used()
    for c in connections:
        c.close()
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {
        "url": args.url,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "connection_failures": failures,
        "requests_per_s": round(ok / args.duration, 1),
        "events_per_s": round(ok * args.events_per_request / args.duration, 1),
        "events_per_request": args.events_per_request,
        "body_bytes": round(sum(len(r) for r in requests) / len(requests)),
        "latency": summarize_ms(latencies),
        "loadgen_cpu_cores": round(cpu_used / args.duration, 3),
    }


def main() -> int:
    return run_driver(_parser(), _run)


if __name__ == "__main__":
    sys.exit(main())
