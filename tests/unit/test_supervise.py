"""The supervisor restarts a dying worker with backoff, counts each death, and tells readiness and liveness."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient
from prometheus_client import CollectorRegistry

from core.metrics import WorkerMetrics
from core.roles import Role
from core.server import create_app
from core.supervise import RestartPolicy, Supervisor, Worker

FAST = RestartPolicy(
    initial_backoff_s=0.01, max_backoff_s=0.02, healthy_after_s=60, budget=3, budget_window_s=60
)


def restarts(registry: CollectorRegistry, worker: str) -> float | None:
    return registry.get_sample_value("lynex_worker_restarts_total", {"worker": worker})


async def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_a_worker_that_raises_is_restarted_and_each_death_counted() -> None:
    registry = CollectorRegistry()
    runs = 0
    healthy = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise RuntimeError("injected bug")
        healthy.set()
        await asyncio.Event().wait()  # runs until cancelled

    supervisor = Supervisor([Worker("flaky", flaky)], WorkerMetrics(registry), FAST)
    assert restarts(registry, "flaky") == 0  # exported before any death
    supervisor.start()
    await asyncio.wait_for(healthy.wait(), 5)
    assert runs == 3
    assert restarts(registry, "flaky") == 2
    assert registry.get_sample_value("lynex_worker_up", {"worker": "flaky"}) == 1
    assert supervisor.problems() == []
    assert supervisor.fatal() == []  # 2 deaths, within the budget of 3
    await supervisor.stop(timeout_s=1)
    assert supervisor.states["flaky"].status == "stopped"


async def test_a_worker_that_exits_is_a_death_too_and_readiness_names_it_while_it_waits() -> None:
    registry = CollectorRegistry()
    policy = RestartPolicy(initial_backoff_s=30, max_backoff_s=30, budget=3, budget_window_s=60)
    exited = asyncio.Event()

    async def quits() -> None:
        exited.set()

    supervisor = Supervisor([Worker("quitter", quits)], WorkerMetrics(registry), policy)
    supervisor.start()
    await asyncio.wait_for(exited.wait(), 5)
    await wait_for(lambda: restarts(registry, "quitter") == 1)
    [problem] = supervisor.problems()
    assert problem.startswith("quitter: worker restarting")
    assert "exited" in problem
    assert registry.get_sample_value("lynex_worker_up", {"worker": "quitter"}) == 0
    await supervisor.stop(timeout_s=1)  # a worker in its backoff is cancelled at once


async def test_liveness_fails_once_a_worker_dies_more_than_its_budget() -> None:
    registry = CollectorRegistry()

    async def always_fails() -> None:
        raise ValueError("cannot start")

    async def fine() -> None:
        await asyncio.Event().wait()

    supervisor = Supervisor(
        [Worker("broken", always_fails), Worker("fine", fine)], WorkerMetrics(registry), FAST
    )
    supervisor.start()
    await wait_for(lambda: (restarts(registry, "broken") or 0) > FAST.budget)
    [fatal] = supervisor.fatal()
    assert fatal.startswith("broken: worker died")
    assert "ValueError: cannot start" in fatal
    assert all(not p.startswith("fine") for p in supervisor.problems())
    await supervisor.stop(timeout_s=1)


async def test_stop_lets_a_worker_finish_before_cancelling_the_rest() -> None:
    registry = CollectorRegistry()
    stopping = asyncio.Event()
    flushed: list[str] = []

    async def graceful() -> None:
        await stopping.wait()
        flushed.append("graceful")  # e.g. the sink's last flush and commit

    async def request_stop() -> None:
        stopping.set()

    async def endless() -> None:
        await asyncio.Event().wait()

    supervisor = Supervisor(
        [Worker("graceful", graceful, stop=request_stop), Worker("endless", endless)],
        WorkerMetrics(registry),
        FAST,
    )
    supervisor.start()
    await asyncio.sleep(0.01)
    await supervisor.stop(timeout_s=2)
    assert flushed == ["graceful"]
    assert restarts(registry, "graceful") == 0  # returning while stopping is not a death
    assert {s.status for s in supervisor.states.values()} == {"stopped"}


async def test_ready_and_live_report_a_dead_worker_over_http() -> None:
    async def broken() -> None:
        raise RuntimeError("injected bug")

    async def fine() -> None:
        await asyncio.Event().wait()

    role = Role(name="streams", workers=[Worker("clickhouse-sink", broken), Worker("alert-rules", fine)])
    app = create_app([role], CollectorRegistry(), 1024, restart_policy=FAST)
    async with AsyncTestClient(app) as client:
        deadline = asyncio.get_running_loop().time() + 5
        while (live := await client.get("/live")).status_code == 200:
            assert asyncio.get_running_loop().time() < deadline, "liveness never failed"
            await asyncio.sleep(0.01)
        assert live.status_code == 503
        [problem] = live.json()["problems"]
        assert problem.startswith("clickhouse-sink: worker died")
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert [p for p in ready.json()["problems"] if p.startswith("clickhouse-sink")]
        assert not [p for p in ready.json()["problems"] if p.startswith("alert-rules")]
        assert (await client.get("/health")).status_code == 200  # the process itself still answers
