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
from bench.services import LynexServer, new_api_key, wait_http_ok
from contracts.topics import Topics
from core.kafka import ensure_topics
from core.settings import KafkaSettings
from tests.support.services import ChildProcess, free_port

# (name, events per request, distinct bodies, concurrency)
SHAPES = (("batch", 100, 64, 16), ("single", 1, 4000, 32))
PATH = "/api/v1/events"
ROUNDS = 2
CONTENDERS = {
    "ceiling": "load generator ceiling (trivial server)",
    "lynex": "lynex gateway (--roles gateway)",
    "peer": "peer: FastAPI + pydantic v2 (uvicorn, one worker)",
    "limit": "limit: msgspec decode + aiokafka produce, no HTTP",
}


def _write_bodies(ctx: BenchContext) -> dict[str, tuple[Path, int]]:
    out = {}
    for name, per_request, count, _ in SHAPES:
        bodies = event_bodies(count, per_request, seed=per_request)
        path = ctx.work / f"bodies-{name}.jsonl"
        path.write_bytes(b"\n".join(bodies))
        out[name] = (path, event_size(bodies, per_request))
    return out


def _closed_loop(ctx: BenchContext, bodies: Path, per_request: int, concurrency: int) -> list[str]:
    """The arguments bench.loadgen and bench.limit_produce share: the same bodies, load and window."""
    return [
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


def _loadgen(
    ctx: BenchContext, url: str, bodies: Path, per_request: int, concurrency: int, api_key: str | None
) -> list[str]:
    args = ["--url", url, *_closed_loop(ctx, bodies, per_request, concurrency)]
    if api_key:
        args += ["--header", f"X-API-Key: {api_key}"]
    return ctx.python("bench.loadgen", *args)


def _measure_http(
    ctx: BenchContext,
    label: str,
    url: str,
    pid: int,
    shape: tuple[str, int, int, int],
    bodies: dict[str, tuple[Path, int]],
    api_key: str | None,
) -> dict[str, Any]:
    name, per_request, _, concurrency = shape
    return measure_child(
        _loadgen(ctx, url + PATH, bodies[name][0], per_request, concurrency, api_key),
        cpus=ctx.load_cpus,
        watch={"server": [pid], "broker": ctx.broker.pids()},
        profile=(pid, ctx.profile_path(f"gateway-{label}-{name}")),
    )


def _measure_limit(
    ctx: BenchContext, topic: str, shape: tuple[str, int, int, int], bodies: dict[str, tuple[Path, int]]
) -> dict[str, Any]:
    name, per_request, _, concurrency = shape
    argv = ctx.python(
        "bench.limit_produce",
        "--bootstrap",
        ctx.broker.bootstrap,
        "--topic",
        topic,
        *_closed_loop(ctx, bodies[name][0], per_request, concurrency),
    )
    # The limit loop is the "server" here: it runs on the server's core.
    r = measure_child(
        argv,
        cpus=ctx.server_cpus,
        watch={"broker": ctx.broker.pids()},
        profile=(None, ctx.profile_path(f"gateway-limit-{name}")),
    )
    r["cpu_cores"]["server"] = r.pop("process_cpu_cores")
    return r


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


def _start_peer(ctx: BenchContext, topic: str, api_key: str) -> tuple[ChildProcess, int]:
    port = free_port()
    peer = ChildProcess(
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
            "BENCH_PEER_TOPIC": topic,
            "BENCH_PEER_API_KEY": api_key,
        },
        cpus=ctx.server_cpus,
    ).start()
    wait_http_ok(f"http://127.0.0.1:{port}/docs-absent", peer)
    return peer, port


def run(ctx: BenchContext) -> dict[str, Any]:
    """Every contender is up at once (idle ones cost nothing); each round measures them in turn and
    the best round counts: on a shared machine other work only ever slows a run down."""
    bodies = _write_bodies(ctx)
    kafka = KafkaSettings(bootstrap_servers=ctx.broker.bootstrap)
    peer_topics, limit_topics = Topics.with_prefix("bench.peer."), Topics.with_prefix("bench.limit.")
    run_async(ensure_topics(kafka, peer_topics))
    run_async(ensure_topics(kafka, limit_topics))
    result: dict[str, Any] = {
        "event_bytes": {name: size for name, (_, size) in bodies.items()},
        "shapes": {name: {"events_per_request": n, "concurrency": c} for name, n, _, c in SHAPES},
        "producer": "acks=all, idempotent, zstd, linger 2 ms, one record per request",
        "rounds": ROUNDS if not ctx.quick else 1,
        "runs": {},
    }
    # A freshly started broker JVM is several times slower until its JIT has warmed up: warm it
    # with the limit loop (not measured) so that no contender pays for going first.
    print("  warming up the broker (limit loop, not measured)", file=sys.stderr, flush=True)
    for shape in SHAPES:
        _measure_limit(ctx, limit_topics.raw, shape, bodies)

    trivial_port = free_port()
    trivial = ChildProcess(
        "trivial",
        ctx.python("bench.trivial_server", "--port", str(trivial_port)),
        ctx.work / "trivial.log",
        cpus=ctx.server_cpus,
    ).start()
    server = LynexServer(
        home=ctx.work / "gateway",
        bootstrap=ctx.broker.bootstrap,
        roles="gateway",
        prefix="bench.gw.",
        api_key=new_api_key(),
        cpus=ctx.server_cpus,
        extra_env={"LYNEX_GATEWAY__RATE_LIMIT_PER_S": "0"},
    )
    peer_key = new_api_key()
    peer: ChildProcess | None = None
    try:
        wait_http_ok(f"http://127.0.0.1:{trivial_port}/", trivial)
        server.start()
        assert server.process is not None
        peer, peer_port = _start_peer(ctx, peer_topics.raw, peer_key)
        contenders = {
            "ceiling": lambda shape: _measure_http(
                ctx, "ceiling", f"http://127.0.0.1:{trivial_port}", trivial.pid, shape, bodies, None
            ),
            "lynex": lambda shape: _measure_http(
                ctx, "lynex", server.url, server.process.pid, shape, bodies, server.api_key
            ),
            "peer": lambda shape: _measure_http(
                ctx, "peer", f"http://127.0.0.1:{peer_port}", peer.pid, shape, bodies, peer_key
            ),
            "limit": lambda shape: _measure_limit(ctx, limit_topics.raw, shape, bodies),
        }
        for round_no in range(1, result["rounds"] + 1):
            for contender, measure in contenders.items():
                print(f"  round {round_no}: {CONTENDERS[contender]}", file=sys.stderr, flush=True)
                for shape in SHAPES:
                    r = measure(shape)
                    _add_efficiency(r)
                    _say(shape[0], r)
                    result["runs"].setdefault(contender, {}).setdefault(shape[0], []).append(r)
    finally:
        if peer is not None:
            peer.stop()
        server.stop()
        trivial.stop()

    for contender, shapes in result["runs"].items():
        result[contender] = {
            name: max(runs, key=lambda r: r["events_per_s"]) for name, runs in shapes.items()
        }
    for name, *_ in SHAPES:
        lynex = result["lynex"][name]["events_per_s"]
        result.setdefault("ratios", {})[name] = {
            "lynex_over_limit": round(lynex / result["limit"][name]["events_per_s"], 3),
            "lynex_over_peer": round(lynex / result["peer"][name]["events_per_s"], 3),
        }
    return result
