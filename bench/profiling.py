"""Sampling profiles of a server under load (py-spy, a bench extra), with BENCH_PROFILE=1.

A profile is taken in a separate pass from the headline figures (sampling costs the server a little),
written as collapsed stacks to bench/results/profiles/<name>.txt (open with speedscope or
flamegraph.pl) and summarized: the share of samples by library and the hottest frames.
"""

from __future__ import annotations

import collections
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
        return summarize(self.out) if self.out.exists() else None


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    """Share of samples per library (by the frame running), and the hottest frames (self, inclusive)."""
    libraries: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        libraries[_library(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n

    def share(counter: collections.Counter[str], limit: int) -> dict[str, float]:
        return {k: round(v / total * 100, 1) for k, v in counter.most_common(limit)} if total else {}

    return {
        "file": str(path.name),
        "samples": total,
        "by_library_pct": share(libraries, 20),
        "self_pct": share(own, top),
        "inclusive_pct": share(inclusive, top * 3),
    }
