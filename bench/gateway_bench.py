"""Benchmark 1, gateway ingest with acks=all: Lynex (`--roles gateway`, one process, one core) against
the load generator's own ceiling (a trivial server), the limit (msgspec + aiokafka, no HTTP) and the
peer (FastAPI + pydantic v2), for batches of 100 ~1 KB events and for single events.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from bench.context import BenchContext, measure_child, run_async
from bench.payloads import event_bodies, event_size
from bench.services import LynexServer, Process, free_port, new_api_key, wait_http_ok
from contracts.topics import Topics
from core.kafka import ensure_topics
from core.settings import KafkaSettings

# (name, events per request, distinct bodies, concurrency)
SHAPES = (("batch", 100, 64, 16), ("single", 1, 4000, 32))
PATH = "/api/v1/events"


def _write_bodies(ctx: BenchContext) -> dict[str, tuple[Path, int]]:
    out = {}
    for name, per_request, count, _ in SHAPES:
        bodies = event_bodies(count, per_request, seed=per_request)
        path = ctx.work / f"bodies-{name}.jsonl"
        path.write_bytes(b"\n".join(bodies))
        out[name] = (path, event_size(bodies, per_request))
    return out


def _loadgen(
    ctx: BenchContext, url: str, bodies: Path, per_request: int, concurrency: int, api_key: str | None
) -> list[str]:
    args = [
        "--url",
        url,
        "--bodies",
        str(bodies),
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(ctx.warmup_s),
        "--duration",
        str(ctx.duration_s),
        "--events-per-request",
        str(per_request),
    ]
    if api_key:
        args += ["--header", f"X-API-Key: {api_key}"]
    return ctx.python("bench.loadgen", *args)


def _http_contender(
    ctx: BenchContext,
    contender: str,
    url: str,
    pids: list[int],
    bodies: dict[str, tuple[Path, int]],
    api_key: str | None,
) -> dict[str, Any]:
    out = {}
    for name, per_request, _, concurrency in SHAPES:
        path, _ = bodies[name]
        out[name] = measure_child(
            _loadgen(ctx, url + PATH, path, per_request, concurrency, api_key),
            cpus=ctx.load_cpus,
            watch={"server": pids, "broker": ctx.broker.pids()},
            profile=(pids[0], ctx.profile_path(f"gateway-{contender}-{name}")),
        )
        _add_efficiency(out[name])
        _say(name, out[name])
    return out


def _add_efficiency(r: dict[str, Any]) -> None:
    """Server CPU per event and per request: steadier than throughput on a shared, noisy machine."""
    cpu = r["cpu_cores"].get("server")
    if cpu and r.get("events_per_s"):
        r["server_cpu_us_per_event"] = round(cpu * 1e6 / r["events_per_s"], 2)
        r["server_cpu_us_per_request"] = round(cpu * 1e6 / r["requests_per_s"], 1)


def _say(label: str, r: dict[str, Any]) -> None:
    lat = r["latency"]
    print(
        f"    {label:<7} {r['events_per_s']:>10,.0f} events/s {r['requests_per_s']:>9,.0f} req/s"
        f"  p50 {lat['p50_ms']:.1f} ms  p99 {lat['p99_ms']:.1f} ms  cpu {r['cpu_cores']}"
        f"  statuses {r.get('statuses', '')}",
        file=sys.stderr,
        flush=True,
    )


def run(ctx: BenchContext) -> dict[str, Any]:
    bodies = _write_bodies(ctx)
    result: dict[str, Any] = {
        "event_bytes": {name: size for name, (_, size) in bodies.items()},
        "shapes": {name: {"events_per_request": n, "concurrency": c} for name, n, _, c in SHAPES},
        "producer": "acks=all, idempotent, zstd, linger 2 ms, one record per request",
    }

    print("  load generator ceiling (trivial server)", file=sys.stderr)
    port = free_port()
    trivial = Process(
        "trivial",
        ctx.python("bench.trivial_server", "--port", str(port)),
        ctx.work / "trivial.log",
        cpus=ctx.server_cpus,
    ).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/", trivial)
        result["ceiling"] = _http_contender(
            ctx, "ceiling", f"http://127.0.0.1:{port}", [trivial.pid], bodies, None
        )
    finally:
        trivial.stop()

    print("  lynex gateway (--roles gateway)", file=sys.stderr)
    server = LynexServer(
        home=ctx.work / "gateway",
        bootstrap=ctx.broker.bootstrap,
        roles="gateway",
        prefix="bench.gw.",
        api_key=new_api_key(),
        cpus=ctx.server_cpus,
        extra_env={"LYNEX_GATEWAY__RATE_LIMIT_PER_S": "0"},
    ).start()
    try:
        assert server.process is not None
        result["lynex"] = _http_contender(
            ctx, "lynex", server.url, [server.process.pid], bodies, server.api_key
        )
    finally:
        server.stop()

    print("  peer: FastAPI + pydantic v2 (uvicorn, one worker)", file=sys.stderr)
    peer_topics = Topics.with_prefix("bench.peer.")
    run_async(ensure_topics(KafkaSettings(bootstrap_servers=ctx.broker.bootstrap), peer_topics))
    port = free_port()
    api_key = new_api_key()
    peer = Process(
        "peer",
        ctx.python(
            "uvicorn",
            "--factory",
            "bench.peer_fastapi:from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ),
        ctx.work / "peer.log",
        env={
            **os.environ,
            "BENCH_PEER_BOOTSTRAP": ctx.broker.bootstrap,
            "BENCH_PEER_TOPIC": peer_topics.raw,
            "BENCH_PEER_API_KEY": api_key,
        },
        cpus=ctx.server_cpus,
    ).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/docs-absent", peer)
        result["peer"] = _http_contender(ctx, "peer", f"http://127.0.0.1:{port}", [peer.pid], bodies, api_key)
    finally:
        peer.stop()

    print("  limit: msgspec decode + aiokafka produce, no HTTP", file=sys.stderr)
    limit_topics = Topics.with_prefix("bench.limit.")
    run_async(ensure_topics(KafkaSettings(bootstrap_servers=ctx.broker.bootstrap), limit_topics))
    result["limit"] = {}
    for name, per_request, _, concurrency in SHAPES:
        path, _ = bodies[name]
        argv = ctx.python(
            "bench.limit_produce",
            "--bootstrap",
            ctx.broker.bootstrap,
            "--topic",
            limit_topics.raw,
            "--bodies",
            str(path),
            "--concurrency",
            str(concurrency),
            "--warmup",
            str(ctx.warmup_s),
            "--duration",
            str(ctx.duration_s),
            "--events-per-request",
            str(per_request),
        )
        # The limit loop is the "server" here: it runs on the server's core.
        r = measure_child(
            argv,
            cpus=ctx.server_cpus,
            watch={"broker": ctx.broker.pids()},
            profile=(None, ctx.profile_path(f"gateway-limit-{name}")),
        )
        r["cpu_cores"]["server"] = r.pop("process_cpu_cores")
        _add_efficiency(r)
        result["limit"][name] = r
        _say(name, r)

    for name, *_ in SHAPES:
        lynex = result["lynex"][name]["events_per_s"]
        result.setdefault("ratios", {})[name] = {
            "lynex_over_limit": round(lynex / result["limit"][name]["events_per_s"], 3),
            "lynex_over_peer": round(lynex / result["peer"][name]["events_per_s"], 3),
        }
    return result
