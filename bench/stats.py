"""Latency samples -> percentiles, and CPU accounting of processes (ours and others', from /proc)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def run_fast(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on uvloop (a dependency of uvicorn[standard]), as the servers under test use."""
    import uvloop  # noqa: PLC0415

    return uvloop.run(main)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100); NaN when empty."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(samples_s: list[float]) -> dict[str, float]:
    """p50/p90/p95/p99/max in milliseconds of latencies given in seconds."""
    values = sorted(samples_s)
    out = {f"p{q:g}_ms": round(percentile(values, q) * 1000, 3) for q in (50, 90, 95, 99, 99.9)}
    out["max_ms"] = round(values[-1] * 1000, 3) if values else float("nan")
    out["mean_ms"] = round(sum(values) / len(values) * 1000, 3) if values else float("nan")
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) a process has used so far."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


@dataclass
class CpuMeter:
    """CPU use of a set of processes over a window, as a fraction of one core."""

    pids: list[int]
    started_wall: float = 0.0
    started_cpu: float = 0.0

    def _cpu(self) -> float:
        total = 0.0
        for pid in self.pids:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                total += process_cpu_s(pid)
        return total

    def start(self) -> None:
        self.started_wall = time.monotonic()
        self.started_cpu = self._cpu()

    def cores(self) -> float:
        wall = time.monotonic() - self.started_wall
        return round((self._cpu() - self.started_cpu) / wall, 3) if wall > 0 else float("nan")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
