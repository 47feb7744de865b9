"""Benchmark 4, query: the dashboard's endpoints over HTTP on 1M and 10M stored events (100M with
BENCH_QUERY_SIZES=1M,10M,100M and the disk for it), loaded directly into ClickHouse, served by
`--roles query` (one process, one core); one request at a time, p50/p95 per endpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from bench.context import BenchContext, measure_child
from bench.services import LynexServer, http_get, new_api_key

SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
PROJECT = "bench"


def _iso(moment: datetime) -> str:
    return quote(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1000}k"


def endpoints(now: datetime) -> dict[str, str]:
    d7, d30 = _iso(now - timedelta(days=7)), _iso(now - timedelta(days=30))
    return {
        "overview": "/api/v1/stats/overview",
        "timeseries requests 24h hourly": "/api/v1/stats/timeseries?metric=requests",
        "timeseries latency 24h per minute": "/api/v1/stats/timeseries?metric=latency&interval=minute",
        "timeseries cost 30d daily by model": f"/api/v1/stats/timeseries?metric=cost&interval=day&groupBy=model&from={d30}",
        "timeseries tokens 7d hourly": f"/api/v1/stats/timeseries?metric=tokens&interval=hour&from={d7}",
        "events list (first page of 50)": "/api/v1/events?limit=50",
        "events list (model + status filter)": "/api/v1/events?limit=50&model=o3-mini&status=error",
    }


def _load(ctx: BenchContext, home: Any, rows: int) -> dict[str, Any]:
    out = subprocess.run(
        ctx.python("bench.query_load", "--home", str(home), "--rows", str(rows), "--project", PROJECT),
        capture_output=True,
        check=False,
        timeout=3600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"loading {rows} rows failed:\n{out.stderr.decode()[-2000:]}")
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def _time_endpoints(ctx: BenchContext, server: LynexServer) -> dict[str, Any]:
    assert server.process is not None
    out = {}
    for name, path in endpoints(datetime.now(UTC)).items():
        status, body = http_get(server.url + path, server.headers, timeout=30)
        if status != 200:
            raise RuntimeError(f"{name}: {status} {body[:300]!r}")
        argv = ctx.python(
            "bench.loadgen",
            "--url",
            server.url + path,
            "--header",
            f"X-API-Key: {server.api_key}",
            "--concurrency",
            "1",
            "--warmup",
            "0.5" if ctx.quick else "1",
            "--duration",
            "2" if ctx.quick else "5",
        )
        r = measure_child(argv, cpus=ctx.load_cpus, watch={"server": [server.process.pid]})
        out[name] = {
            "path": path,
            "requests": r["requests"],
            "statuses": r["statuses"],
            "latency": r["latency"],
            "response_bytes": len(body),
            "cpu_cores": r["cpu_cores"],
        }
        lat = r["latency"]
        print(f"    {name:<40} p50 {lat['p50_ms']:7.1f} ms  p95 {lat['p95_ms']:7.1f} ms", file=sys.stderr)
    return out


def run(ctx: BenchContext) -> dict[str, Any]:
    chosen = os.environ.get("BENCH_QUERY_SIZES", "1M,10M").split(",")
    datasets: dict[str, Any] = {}
    for name in chosen:
        rows = SIZES[name.strip()]
        if ctx.quick:
            rows //= 100
        size = _label(rows)
        home = ctx.work / f"query-{size}"
        free = shutil.disk_usage(ctx.work).free
        if rows * 200 > free:  # ~140 bytes per event on disk, with room to merge
            datasets[size] = {"skipped": f"not enough disk: {free / 2**30:.0f} GiB free"}
            continue
        print(f"  loading {rows:,} events", file=sys.stderr, flush=True)
        loaded = _load(ctx, home, rows)
        print(f"    {loaded}", file=sys.stderr)
        server = LynexServer(
            home=home,
            bootstrap=ctx.broker.bootstrap,
            roles="query",
            prefix="bench.query.",
            api_key=new_api_key(),
            project_id=PROJECT,
            cpus=ctx.server_cpus,
        ).start(timeout=300)
        try:
            datasets[size] = {"load": loaded, "endpoints": _time_endpoints(ctx, server)}
        finally:
            server.stop()
        shutil.rmtree(home, ignore_errors=True)
    return {"datasets": datasets, "client": "one request at a time (bench.loadgen, concurrency 1)"}
