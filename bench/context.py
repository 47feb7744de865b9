"""What every benchmark gets from the runner: the broker, a scratch directory, the cores, the timings,
and the one way to run a measuring child process (the load generator or a baseline loop).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import profiling
from bench.profiling import Profile
from bench.services import Broker
from bench.stats import CpuMeter
from tests.support.services import REPO


@dataclass
class BenchContext:
    work: Path  # scratch: server homes, ClickHouse data, bodies (deleted afterwards)
    results: Path  # bench/results
    broker: Broker
    server_cpus: set[int]
    load_cpus: set[int]
    warmup_s: float = 3.0
    duration_s: float = 10.0
    quick: bool = False  # smaller data sets and shorter runs: a smoke test of the harness

    def profile_path(self, name: str) -> Path:
        return self.results / "profiles" / f"{name}.txt"

    def python(self, module: str, *args: str) -> list[str]:
        return [sys.executable, "-m", module, *args]


def measure_child(
    argv: Sequence[str],
    *,
    cpus: set[int],
    watch: dict[str, list[int]],
    timeout: float = 300,
    profile: tuple[int | None, Path] | None = None,
) -> dict[str, Any]:
    """Run a child that prints `MEASURING` then one JSON line; add the CPU use (in cores) of every
    watched group of processes (the server, the broker...) over the measured window, and with
    BENCH_PROFILE=1 a py-spy profile of `profile` = (pid, output file) over the same window
    (pid None: the child itself)."""
    meters = {name: CpuMeter(pids) for name, pids in watch.items()}
    profiler: Profile | None = None
    proc = subprocess.Popen(
        list(argv),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),  # noqa: PLW1509 - single-threaded parent
    )
    assert proc.stdout is not None
    result: dict[str, Any] | None = None
    for raw in proc.stdout:
        line = raw.decode().strip()
        if line == "MEASURING":
            for meter in meters.values():
                meter.start()
            if profile is not None and profiling.enabled():
                profiler = Profile(profile[0] or proc.pid, profile[1])
        elif line.startswith("{"):
            result = json.loads(line)
            cpu = {name: meter.cores() for name, meter in meters.items()}
            result["cpu_cores"] = cpu
            if profiler is not None:
                result["profile"] = profiler.stop()
    if proc.wait(timeout=timeout) != 0 or result is None:
        raise RuntimeError(f"{' '.join(argv[:4])}... failed (exit {proc.returncode})")
    return result


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)
