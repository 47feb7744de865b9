"""What every measuring child (the load generator, the limit loops, the freshness driver) shares: its
`--cpu` pin, its one JSON line of results, and the measured window it announces with `MEASURING`
(bench.context.measure_child starts the CPU meters when it reads that line).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bench.stats import run_fast


def run_driver(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, object]]],
) -> int:
    """Parse the arguments (plus `--cpu`), pin to that core, run on uvloop, print one JSON line."""
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    print(json.dumps(run_fast(run(args))), flush=True)
    return 0


@dataclass
class Window:
    """The measured window of a closed loop: from `warmup` seconds after it is made, for `duration`."""

    warmup: float
    duration: float
    start: float = field(default_factory=time.perf_counter)
    cpu_at_start: float = 0.0
    announced: bool = False

    def __post_init__(self) -> None:
        # Plain attributes: the loops compare against them on every request.
        self.since = self.start + self.warmup
        self.until = self.since + self.duration

    def measures(self, sent_at: float) -> bool:
        """Whether a request sent at `sent_at` counts; the first that does prints `MEASURING` and
        notes this process's CPU time."""
        if sent_at < self.since:
            return False
        if not self.announced:
            self.announced = True
            self.cpu_at_start = time.process_time()
            print("MEASURING", flush=True)
        return True

    def cpu_used(self) -> float:
        """CPU seconds this process used since the window was announced."""
        return time.process_time() - self.cpu_at_start
