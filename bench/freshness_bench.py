"""Benchmark 3, end-to-end freshness at a steady load: from the gateway's 202 to the event visible in
the query API. The gateway runs in its own process; streams and query share one (the embedded
ClickHouse engine allows one process per data directory, as in the single-node deployment).
"""

from __future__ import annotations

import sys
from typing import Any

from bench.context import BenchContext, measure_child
from bench.services import LynexServer, new_api_key

PREFIX = "bench.fresh."
RATE = 1000  # events/s
BATCH = 20  # events per request: 50 requests/s, each with one probe


def run(ctx: BenchContext) -> dict[str, Any]:
    api_key = new_api_key()
    common = {
        "bootstrap": ctx.broker.bootstrap,
        "prefix": PREFIX,
        "api_key": api_key,
        "cpus": ctx.server_cpus,
    }
    gateway = LynexServer(home=ctx.work / "fresh-gateway", roles="gateway", **common)  # type: ignore[arg-type]
    backend = LynexServer(home=ctx.work / "fresh-backend", roles="streams,query", **common)  # type: ignore[arg-type]
    gateway.start()
    try:
        backend.start(timeout=120)
        assert gateway.process is not None
        assert backend.process is not None
        argv = ctx.python(
            "bench.freshness_driver",
            "--gateway",
            gateway.url,
            "--query",
            backend.url,
            "--api-key",
            api_key,
            "--rate",
            str(RATE),
            "--batch",
            str(BATCH),
            "--warmup",
            "3" if ctx.quick else "5",
            "--duration",
            "8" if ctx.quick else "30",
        )
        result = measure_child(
            argv,
            cpus=ctx.load_cpus,
            watch={
                "gateway": [gateway.process.pid],
                "streams_query": [backend.process.pid],
                "broker": ctx.broker.pids(),
            },
        )
    finally:
        backend.stop()
        gateway.stop()
    f = result["freshness"]
    print(
        f"    {result['events_per_s_sent']:,.0f} events/s sent; freshness p50 {f['p50_ms']:.0f} ms"
        f" p95 {f['p95_ms']:.0f} ms p99 {f['p99_ms']:.0f} ms; {result['probes_seen']}/{result['probes']} probes seen",
        file=sys.stderr,
    )
    return result
