"""`make bench`: start a private Kafka broker, run every benchmark, print the table, write the JSON.

    python -m bench.run [--only gateway,streams,freshness,query,sdk] [--quick] [--keep]

Servers run on one core, the load generator (and the broker) on the other. Results go to
bench/results/<benchmark>.json and bench/results/summary.json, with the machine and its load average.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.context import BenchContext
from bench.report import print_table, summarize, table_lines
from bench.services import Broker, cores
from bench.stats import load_average
from tests.support.services import REPO

BENCHMARKS = ("gateway", "streams", "freshness", "query", "sdk")
MODULES = {
    "gateway": "bench.gateway_bench",
    "streams": "bench.streams_bench",
    "freshness": "bench.freshness_bench",
    "query": "bench.query_bench",
    "sdk": "bench.sdk_bench",
}
NEEDS_KAFKA = {"gateway", "streams", "freshness", "sdk"}


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma list of benchmarks")
    parser.add_argument("--quick", action="store_true", help="small data and short runs (harness check)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--work", type=Path, default=REPO / ".lynex" / "bench")
    parser.add_argument("--results", type=Path, help="default bench/results (quick runs: .lynex/bench-quick)")
    return parser


def main() -> int:
    args = _parser().parse_args()
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.results is None:
        args.results = REPO / ".lynex" / "bench-quick" if args.quick else REPO / "bench" / "results"
    started = time.monotonic()
    server_cpus, load_cpus = cores()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    args.results.mkdir(parents=True, exist_ok=True)
    run_info: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_start": load_average(),
        "server_cpus": sorted(server_cpus),
        "load_generator_cpus": sorted(load_cpus),
        "broker_cpus": sorted(load_cpus),
        "quick": args.quick,
    }
    print(f"bench: {run_info['machine']}, load average {run_info['load_average_at_start']}", file=sys.stderr)
    broker = Broker(home=args.work / "broker", cpus=load_cpus)
    ctx = BenchContext(
        work=args.work,
        results=args.results,
        broker=broker,
        server_cpus=server_cpus,
        load_cpus=load_cpus,
        warmup_s=1.0 if args.quick else 3.0,
        duration_s=3.0 if args.quick else 10.0,
        quick=args.quick,
    )
    results: dict[str, Any] = {}
    try:
        if NEEDS_KAFKA & set(chosen):
            print("== kafka: private broker", file=sys.stderr)
            broker.start()
        for name in chosen:
            print(f"== {name}", file=sys.stderr, flush=True)
            t0 = time.monotonic()
            module = importlib.import_module(MODULES[name])
            try:
                result = module.run(ctx)
            except Exception as exc:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                result = {"error": f"{type(exc).__name__}: {exc}"}
            if result is None:
                continue
            result["elapsed_s"] = round(time.monotonic() - t0, 1)
            result["load_average"] = load_average()
            results[name] = result
            (args.results / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        if NEEDS_KAFKA & set(chosen):
            broker.stop()
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    run_info["load_average_at_end"] = load_average()
    run_info["elapsed_s"] = round(time.monotonic() - started, 1)
    summary = summarize(results, run_info)
    if set(chosen) == set(BENCHMARKS) or not (args.results / "summary.json").exists():
        (args.results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (args.results / "table.md").write_text("\n".join(table_lines(summary)) + "\n")
    print_table(summary)
    print(f"bench: {run_info['elapsed_s']:.0f} s in all; results in {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
