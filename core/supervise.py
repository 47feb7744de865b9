"""Supervision of a process's background workers: restart with backoff, count and log each death,
and say which workers are not running (readiness) or are dead past their restart budget (liveness).

A worker is a coroutine function that runs until it is cancelled. Raising, or returning while the
supervisor is not stopping, is a death: logged (`worker_died`, with the traceback), counted in
`lynex_worker_restarts_total{worker}`, and followed by a restart after a backoff that doubles up to
`max_backoff_s` and resets once the worker has run `healthy_after_s`. More than `budget` deaths within
`budget_window_s` and the worker is *failed*: it is still restarted, but liveness fails so that an
orchestrator replaces the process (a worker that cannot recover in place).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from core.metrics import WorkerMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Worker:
    name: str
    run: Callable[[], Awaitable[None]]
    # Asks the worker to finish on its own (flush, commit) before it is cancelled at shutdown.
    stop: Callable[[], Awaitable[None]] | None = None


@dataclass
class WorkerState:
    status: str = "starting"  # starting, running, restarting, stopped
    deaths: deque[float] = field(default_factory=deque)
    last_error: str = ""
    started_at: float = 0.0


@dataclass(frozen=True)
class RestartPolicy:
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    healthy_after_s: float = 60.0
    budget: int = 5
    budget_window_s: float = 300.0


class Supervisor:
    def __init__(
        self, workers: Sequence[Worker], metrics: WorkerMetrics, policy: RestartPolicy | None = None
    ) -> None:
        self.workers = list(workers)
        self.metrics = metrics
        self.policy = policy or RestartPolicy()
        self.states: dict[str, WorkerState] = {w.name: WorkerState() for w in self.workers}
        for worker in self.workers:  # exported as 0 from the start, so rate() and alerts see the first death
            metrics.restarts.labels(worker.name)
            metrics.up.labels(worker.name).set(0)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()

    def start(self) -> None:
        for worker in self.workers:
            self._tasks[worker.name] = asyncio.create_task(self._supervise(worker), name=worker.name)

    async def _supervise(self, worker: Worker) -> None:
        state = self.states[worker.name]
        try:
            await self._keep_running(worker, state)
        finally:  # stopped, or cancelled at shutdown
            state.status = "stopped"
            self.metrics.up.labels(worker.name).set(0)

    async def _keep_running(self, worker: Worker, state: WorkerState) -> None:
        delay = self.policy.initial_backoff_s
        while not self._stopping.is_set():
            state.status, state.started_at = "running", time.monotonic()
            self.metrics.up.labels(worker.name).set(1)
            try:
                await worker.run()
            except Exception as exc:  # any death is the supervisor's to handle: log, count, restart
                if self._stopping.is_set():
                    return
                state.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("worker_died", extra={"worker": worker.name, "error": state.last_error})
            else:
                if self._stopping.is_set():
                    return
                state.last_error = "exited"
                log.error("worker_died", extra={"worker": worker.name, "error": "exited"})
            now = time.monotonic()
            if now - state.started_at >= self.policy.healthy_after_s:
                delay = self.policy.initial_backoff_s
            state.deaths.append(now)
            state.status = "restarting"
            self.metrics.up.labels(worker.name).set(0)
            self.metrics.restarts.labels(worker.name).inc()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.policy.max_backoff_s)
            log.info("worker_restarting", extra={"worker": worker.name, "deaths": len(state.deaths)})

    def problems(self) -> list[str]:
        """Readiness: every worker that is not running now."""
        return [
            f"{name}: worker {state.status}" + (f" after {state.last_error}" if state.last_error else "")
            for name, state in self.states.items()
            if state.status != "running"
        ]

    def fatal(self) -> list[str]:
        """Liveness: every worker dead more than its budget allows within the budget window."""
        horizon = time.monotonic() - self.policy.budget_window_s
        out = []
        for name, state in self.states.items():
            while state.deaths and state.deaths[0] < horizon:
                state.deaths.popleft()
            if len(state.deaths) > self.policy.budget:
                out.append(
                    f"{name}: worker died {len(state.deaths)} times in {self.policy.budget_window_s:.0f} s"
                    f" (budget {self.policy.budget}); last: {state.last_error}"
                )
        return out

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Ask each worker to finish, wait up to `timeout_s`, then cancel what is left."""
        self._stopping.set()
        for worker in self.workers:
            if worker.stop is not None:
                try:
                    await worker.stop()
                except Exception:  # one failing stop must not keep the others from draining
                    log.exception("worker_stop_failed", extra={"worker": worker.name})
        tasks = list(self._tasks.values())
        # A worker waiting out its backoff has nothing to finish: it is cancelled at once.
        graceful = [
            self._tasks[w.name]
            for w in self.workers
            if w.stop is not None and w.name in self._tasks and self.states[w.name].status == "running"
        ]
        if graceful:
            await asyncio.wait(graceful, timeout=timeout_s)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
