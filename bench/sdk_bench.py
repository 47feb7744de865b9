"""Benchmark 5, Python SDK per-call overhead on the caller's thread: runs `bench/sdk_overhead.py`
(owned by the SDK work) when it exists and takes its figures.

Contract with that script: it runs standalone, prints its results as one JSON object on the last line
of stdout (or writes it to $BENCH_RESULTS/sdk_overhead.json), with the caller-thread overhead as
`p50_us` and `p99_us` at the top level or in a nested object (the first such pair found is used).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.context import BenchContext
from tests.support.services import REPO

SCRIPT = REPO / "bench" / "sdk_overhead.py"


def _find(data: Any, key: str) -> float | None:
    """The first number under `key` (depth-first, in order) in nested dicts."""
    if isinstance(data, dict):
        if isinstance(data.get(key), int | float):
            return float(data[key])
        for value in data.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


def run(ctx: BenchContext) -> dict[str, Any] | None:
    if not SCRIPT.exists():
        print("  bench/sdk_overhead.py not there yet: skipped", file=sys.stderr)
        return {"skipped": "bench/sdk_overhead.py not present"}
    written = ctx.results / "sdk_overhead.json"
    before = written.stat().st_mtime if written.exists() else None
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--kafka", ctx.broker.bootstrap],
        cwd=REPO,
        env=os.environ | {"BENCH_RESULTS": str(ctx.results), "BENCH_QUICK": "1" if ctx.quick else ""},
        capture_output=True,
        timeout=900,
        check=False,
    )
    sys.stderr.write(proc.stderr.decode()[-3000:])
    if proc.returncode != 0:
        raise RuntimeError(f"bench/sdk_overhead.py exited {proc.returncode}")
    data: Any = None
    lines = [line for line in proc.stdout.decode().splitlines() if line.strip().startswith("{")]
    if lines:
        data = json.loads(lines[-1])
    elif written.exists() and written.stat().st_mtime != before:
        data = json.loads(written.read_text())
    if not isinstance(data, dict):
        raise RuntimeError("bench/sdk_overhead.py printed no JSON object")
    p50, p99 = _find(data, "p50_us"), _find(data, "p99_us")
    print(f"    caller-thread overhead p50 {p50} us, p99 {p99} us", file=sys.stderr)
    delivered = _find(data.get("throughput"), "events_per_s")
    return {"p50_us": p50, "p99_us": p99, "delivered_events_per_s": delivered, "raw": data}
