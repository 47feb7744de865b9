"""Sampling profiles of a server under load (py-spy, a bench extra), with BENCH_PROFILE=1.

A profile is taken in a separate pass from the headline figures (sampling costs the server a little),
written as gzipped collapsed stacks to bench/results/profiles/<name>.txt.gz (gunzip, then open with
speedscope or flamegraph.pl) and summarized: the share of samples by library and the hottest frames.
"""

from __future__ import annotations

import collections
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

# Where a frame's file lives -> the name it is counted under (first match wins).
_LIBRARIES = (
    "asyncio",
    "selectors",
    "uvloop",
    "uvicorn",
    "litestar",
    "starlette",
    "fastapi",
    "pydantic",
    "aiokafka",
    "faust",
    "mode/",
    "prometheus_client",
    "clickhouse_connect",
    "chdb",
    "sqlalchemy",
    "gateway/",
    "streams/",
    "query/",
    "contracts/",
    "core/",
    "bench/",
    "json/",
    "uuid",
    "datetime",
    "logging",
    "threading",
    "concurrent",
)
# Leaf frames of threads that are only waiting (py-spy cannot always tell): counted apart.
_WAITING = (
    "_connection_worker_thread (aiosqlite/core.py",
    "_worker (concurrent/futures/thread.py:81)",
    "EpollSelector.select (selectors.py",
    "wait (threading.py",
)
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?):(?P<line>\d+)\)$")


def enabled() -> bool:
    return os.environ.get("BENCH_PROFILE", "") not in ("", "0")


def _py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def _library(frame: str) -> str:
    match = _FRAME.match(frame)
    path = match.group("file") if match else frame
    for name in _LIBRARIES:
        if name in path:
            return name.rstrip("/")
    return path or "(native)"


class Profile:
    """py-spy attached to one process until `stop()`."""

    def __init__(self, pid: int, out: Path, rate: int = 200) -> None:
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None
        tool = _py_spy()
        if tool is None:
            print("  (py-spy not installed: no profile)", file=sys.stderr)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [tool, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> dict[str, Any] | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        if not self.out.exists():
            return None
        summary = summarize(self.out)
        # Collapsed stacks compress ~15x; `gunzip` before opening them in speedscope.
        with self.out.open("rb") as raw, gzip.open(f"{self.out}.gz", "wb") as packed:
            shutil.copyfileobj(raw, packed)
        self.out.unlink()
        summary["file"] = f"{self.out.name}.gz"
        return summary


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    """Share of the working samples per library (by the frame running) and the hottest frames (self,
    inclusive); samples of threads only waiting (thread pools, the SQLite thread, the selector) are
    left out and counted as `waiting_pct` of all samples."""
    libraries: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = waiting = 0
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        lines = f.read().splitlines()
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        if any(frames[-1].startswith(w) for w in _WAITING):
            waiting += n
            continue
        total += n
        own[frames[-1]] += n
        libraries[_library(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n

    def share(counter: collections.Counter[str], limit: int) -> dict[str, float]:
        return {k: round(v / total * 100, 1) for k, v in counter.most_common(limit)} if total else {}

    return {
        "file": str(path.name),
        "samples": total + waiting,
        "waiting_pct": round(waiting / (total + waiting) * 100, 1) if total + waiting else 0.0,
        "by_library_pct": share(libraries, 20),
        "self_pct": share(own, top),
        "inclusive_pct": share(inclusive, top * 3),
    }
