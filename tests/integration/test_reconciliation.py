"""Reconciliation: nothing accepted is lost, whatever happens while the pipeline runs.

Thousands of events of three projects go through the real pipeline (the gateway over HTTP, a private
Kafka broker, the streams process, the embedded ClickHouse engine) in four phases, each with a fault
while traffic flows:
- bad input of every kind: oversized -> 413, malformed -> 422, poison written past the gateway -> DLQ,
  and valid but hostile events (odd text, extreme numbers, 5,000 distinct model ids and error types)
  and one ~4 MiB incompressible event, which must be stored intact;
- the streams process killed with SIGKILL and restarted;
- the broker stopped and restarted on the same data;
- ClickHouse's disk full (a real `NOT_ENOUGH_SPACE`, from a tmpfs filled with junk), the streams
  process killed and restarted while its sink holds a batch it cannot store, then the disk freed.

At the end, by (project_id, event_id): stored equals accepted, once each, with the content that was
sent; every refusal is a 4xx or a DLQ record with its reason. The counts per phase are printed, also
when a phase fails (the run then goes straight to the reckoning).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from clickhouse_connect.driver.exceptions import ProgrammingError

from contracts.limits import MIB
from tests.support.ingest_client import IngestClient
from tests.support.ledger import Ledger
from tests.support.pipeline import dead_letters, inject_poison, stages_lag, topic_offsets, wait_drained
from tests.support.reconciliation import reconcile
from tests.support.services import PrivateBroker, Server, new_prefix
from tests.support.small_disk import MountNotPermitted, SmallDisk
from tests.support.storage import stored_rows
from tests.support.tenants import Tenant, create_tenants
from tests.support.traffic import POISON, big_event, hostile_events, llm_event, many_names_events, refusals

pytestmark = pytest.mark.integration

PROJECTS = ["recon-a", "recon-b", "recon-c"]
BATCHES = 8  # per project and phase
BATCH_EVENTS = 50  # -> 1,200 good events per phase, 4,800 in all
HOLD_FROM = 5  # each sender holds its later batches until the phase's fault has struck
BROKER_DOWN_S = 12  # the outage outlasts the streams' consumer session timeout (10 s)
DISK_MB = 128  # the tmpfs of the streams process's ClickHouse data directory
DISK_FULL_FAILURES = 3  # failed inserts (the sink backs off between them) before the disk is freed
BIG_EVENT_BYTES = 4 * MIB
MANY_NAMES = 5_000  # events of one project, each with its own model id and error type
FAULT_TIMEOUT_S = 150  # a fault may restart the streams process (up to 60 s to be ready) and wait 60 s more
DRAIN_TIMEOUT_S = 120

# What the accounting view reads: its rows of dead letters, and how many distinct original records they are.
DEAD_LETTER_ROWS_SQL = (
    "SELECT count(), uniqExact(original_topic, original_partition, original_offset) FROM dead_letters FINAL"
)
STORED_SQL = (
    "SELECT project_id, toString(event_id), count(), any(body) FROM events GROUP BY project_id, event_id"
)


async def test_stored_equals_accepted_under_faults(tmp_path: Path, private_broker: PrivateBroker) -> None:
    started = time.monotonic()
    tenants = await create_tenants(tmp_path / "gateway", PROJECTS)
    prefix = new_prefix()
    gateway, streams = (
        Server(
            home=tmp_path / role,
            bootstrap=private_broker.bootstrap,
            roles=role,
            prefix=prefix,
            project_id=tenants[0].project_id,
            api_key=tenants[0].api_key,
        )
        for role in ("gateway", "streams")
    )
    disk = SmallDisk(streams.home / "clickhouse", DISK_MB)
    try:
        disk.mount()
    except MountNotPermitted as exc:
        pytest.skip(f"the ClickHouse-failure phase needs a tmpfs it can fill: {exc}")
    try:
        await asyncio.gather(asyncio.to_thread(gateway.start), asyncio.to_thread(streams.start))
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
            run = Run(IngestClient(http, Ledger()), tenants, private_broker, streams, disk)
            await run.all_phases()
        await asyncio.to_thread(disk.free)  # in case a phase failed with the disk full
        await run.drain(prefix)
        streams.stop()
        stored, rollup, recorded = read_storage(streams.home, run.problems)
        dlq = await dead_letters(
            private_broker.bootstrap, streams.topics.dlq, at_least=len(run.ledger.poison)
        )
    finally:
        streams.stop()
        gateway.stop()
        disk.unmount()
    findings = reconcile(run.ledger, stored, dlq)
    run.timings["total"] = time.monotonic() - started
    seconds = {name: round(s, 1) for name, s in run.timings.items()}
    report = (
        f"{run.ledger.report()}\nstored per project {dict(sorted(findings.stored_by_project.items()))}; "
        f"DLQ records {len(dlq)}, by stage {dict(findings.dead_letters_by_stage)}"
        f" ({findings.dead_letter_copies} extra copies of one), recorded as {recorded[0]} dead_letters rows for"
        f" {recorded[1]} original records; rollup events {rollup}; seconds {seconds}"
    )
    print(f"\nreconciliation:\n{report}")
    problems = run.problems + run.ledger.wrong_answers + findings.problems()
    if rollup != len(run.ledger.accepted):
        problems.append(
            f"the per-minute rollup counts {rollup} events for {len(run.ledger.accepted)} accepted"
        )
    assert not problems, "\n".join([*problems, report])
    assert len(stored) == len(run.ledger.accepted) > len(PROJECTS) * BATCHES * BATCH_EVENTS * 4


Fault = Callable[[asyncio.Event], Awaitable[None]]


@dataclass
class Run:
    """The phases: every project's sender and one fault, concurrently; the senders hold their last
    batches until the fault has struck, so each fault hits the pipeline mid-stream."""

    client: IngestClient
    tenants: list[Tenant]
    broker: PrivateBroker
    streams: Server
    disk: SmallDisk
    problems: list[str] = field(default_factory=list)  # a fault that did not happen, a phase that failed
    timings: dict[str, float] = field(default_factory=dict)
    senders_done: asyncio.Event = field(default_factory=asyncio.Event)
    began: float = field(default_factory=time.monotonic)
    batches: list[tuple[Tenant, list[dict[str, Any]]]] = field(default_factory=list)  # every good batch sent

    @property
    def ledger(self) -> Ledger:
        return self.client.ledger

    async def all_phases(self) -> None:
        for name, fault in (
            ("bad input", self.bad_input),
            ("streams kill -9", self.kill_streams),
            ("broker restart", self.restart_broker),
            ("clickhouse disk full", self.fill_clickhouse_disk),
        ):
            if not await self.phase(name, fault):
                return

    async def phase(self, name: str, fault: Fault) -> bool:
        """Run one phase; False (and the reason in `problems`) if it failed."""
        began = time.monotonic()
        self.ledger.begin(name)
        self.senders_done = asyncio.Event()
        gate = asyncio.Event()

        async def senders() -> None:
            await asyncio.gather(*(self._send(tenant, gate) for tenant in self.tenants))
            self.senders_done.set()

        async def striking() -> None:
            try:
                await asyncio.wait_for(fault(gate), FAULT_TIMEOUT_S)
            finally:
                gate.set()

        self.say("begins")
        outcomes = await asyncio.gather(senders(), striking(), return_exceptions=True)
        self.timings[name] = time.monotonic() - began
        counts = self.ledger.counts()
        self.say(f"ends: accepted {counts.accepted}, retried {dict(counts.retried)}")
        errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
        if counts.unanswered:
            errors.append(f"events without a final answer: {dict(counts.unanswered)}")
        if errors:
            self.problems.append(f"phase {name!r} failed: {errors}")
        return not errors

    async def _send(self, tenant: Tenant, gate: asyncio.Event) -> None:
        for b in range(BATCHES):
            if b == HOLD_FROM:
                await gate.wait()
            events = [llm_event(tenant.project_id, b * BATCH_EVENTS + i) for i in range(BATCH_EVENTS)]
            self.batches.append((tenant, events))
            if await self.client.send(tenant, events) != 202:
                self.say(f"{tenant.project_id}: batch {b} not accepted; this sender stops")
                return  # the finding is booked; retrying the rest would only take longer

    def say(self, what: str) -> None:
        """Progress on stdout (shown with -s, and in the captured output of a failure)."""
        print(f"[{time.monotonic() - self.began:6.1f}s] {self.ledger.phase}: {what}", flush=True)

    async def bad_input(self, gate: asyncio.Event) -> None:
        """Poison past the gateway, every refused kind, and the big event, among good traffic."""
        await self.accepted_at_least(BATCH_EVENTS * len(self.tenants))
        for i in range(len(POISON)):
            await self.inject(self.tenants[i % len(self.tenants)], i)
        self.say(f"{len(POISON)} poison records written past the gateway")
        for i, refusal in enumerate(refusals("refused")):
            status = await self.client.refuse(self.tenants[i % len(self.tenants)], refusal)
            self.say(f"{refusal.kind}: {status}")
        big = big_event(self.tenants[1].project_id, BIG_EVENT_BYTES)
        status = await self.client.send(self.tenants[1], [big])
        self.say(f"the {BIG_EVENT_BYTES}-byte incompressible event: {status}")
        hostile = hostile_events(self.tenants[0].project_id)
        self.say(
            f"{len(hostile)} hostile but valid events: {await self.client.send(self.tenants[0], hostile)}"
        )
        for start in range(0, MANY_NAMES, 1000):
            named = many_names_events(self.tenants[2].project_id, start, 1000)
            await self.client.send(self.tenants[2], named)
        self.say(f"{MANY_NAMES} events with distinct model ids and error types sent")
        if status != 202:
            self.problems.append(f"the {BIG_EVENT_BYTES}-byte incompressible event got {status}, not 202")
        gate.set()

    async def kill_streams(self, gate: asyncio.Event) -> None:
        await self.inject(self.tenants[2], 0)  # in flight when the worker dies: dead-lettered again at most
        await self.accepted_at_least(BATCHES * BATCH_EVENTS)
        self.streams.kill()  # SIGKILL: no flush, no commit
        around_kill = self.batches[-3:]
        lag = await stages_lag(self.broker.bootstrap, self.streams.prefix, self.streams.topics)
        self.say(f"streams killed after {self.ledger.counts().accepted} accepted, uncommitted {lag}")
        if not any(isinstance(n, int) and n > 0 for n in lag.values()):
            self.problems.append(f"the kill hit no uncommitted work (lag {lag}): it tested nothing")
        gate.set()
        await asyncio.to_thread(self.streams.start)
        self.say("streams restarted and ready")
        # Batches stored long ago (the first ever) and around the kill, sent again with the same ids.
        for tenant, events in [self.batches[0], *around_kill]:
            await self.client.resend(tenant, events)
        self.say(f"{self.ledger.counts().resent} accepted events resent")

    async def restart_broker(self, gate: asyncio.Event) -> None:
        await self.accepted_at_least(BATCHES * BATCH_EVENTS)
        raw = self.streams.topics.raw
        before = await topic_offsets(self.broker.bootstrap, raw)
        await asyncio.to_thread(self.broker.stop)
        stopped = time.monotonic()
        self.say(f"broker stopped after {self.ledger.counts().accepted} accepted")
        try:
            gate.set()
            await self.wait_for(
                lambda: (
                    self.ledger.counts().retried["503"] >= 3 and time.monotonic() - stopped > BROKER_DOWN_S
                ),
                f"503s while Kafka is down, for {BROKER_DOWN_S}s",
            )
        finally:
            await asyncio.to_thread(self.broker.start)
            self.say("broker restarted")
        after = await topic_offsets(self.broker.bootstrap, raw)
        if not any(end for _, end in before.values()):
            self.problems.append(f"no records on {raw} before the broker stopped: {before}")
        if any(after[p][0] != first or after[p][1] < end for p, (first, end) in before.items()):
            self.problems.append(f"the broker came back without its data: {raw} offsets {before} -> {after}")

    async def fill_clickhouse_disk(self, gate: asyncio.Event) -> None:
        await self.accepted_at_least(BATCHES * BATCH_EVENTS)
        log_mark = self.streams.log_path.stat().st_size
        filled = await asyncio.to_thread(self.disk.fill)
        self.say(
            f"disk filled ({filled / MIB:.0f} MiB of junk) after {self.ledger.counts().accepted} accepted"
        )
        try:
            gate.set()
            await self.senders_done.wait()  # the rest of the phase arrives while the disk is full
            await self.wait_for(
                lambda: _inserts_failed_for_space(self.streams.log_path, log_mark) >= DISK_FULL_FAILURES,
                f"{DISK_FULL_FAILURES} ClickHouse inserts failing with NOT_ENOUGH_SPACE",
            )
            self.say(f"{DISK_FULL_FAILURES} inserts failed with NOT_ENOUGH_SPACE")
            # Killed while it holds a batch it cannot store: the restarted sink must read it again.
            self.streams.kill()
            restart_mark = self.streams.log_path.stat().st_size
            # Not waiting for /ready: with inserts failing it rightly answers 503 (checked below).
            await asyncio.to_thread(self.streams.start, False)
            await self.wait_for(
                lambda: _inserts_failed_for_space(self.streams.log_path, restart_mark) >= 1,
                "the restarted sink retrying the batch on the full disk",
            )
            async with httpx.AsyncClient(timeout=5) as http:
                ready = await http.get(f"{self.streams.url}/ready")
            if ready.status_code != 503 or "ClickHouse inserts failing" not in ready.text:
                self.problems.append(
                    f"/ready did not report the failing inserts: {ready.status_code} {ready.text[:300]}"
                )
            self.say("streams killed with the disk full, restarted, and failing to insert again")
        finally:
            await asyncio.to_thread(self.disk.free)
            self.say("disk freed")

    async def inject(self, tenant: Tenant, which: int) -> None:
        poison = POISON[which]
        injected = await inject_poison(
            self.broker.bootstrap, self.streams.topics, tenant.project_id, poison, self.ledger.phase
        )
        self.ledger.book_poison(injected)

    async def drain(self, prefix: str) -> None:
        self.say("waiting for the stages to drain")
        try:
            self.timings["drain"] = await wait_drained(
                self.broker.bootstrap, prefix, self.streams.topics, DRAIN_TIMEOUT_S, self.streams.log_tail
            )
        except AssertionError as exc:
            self.problems.append(str(exc))
        # After the drain the streams process must report ready: a dead worker that was not restarted shows here.
        async with httpx.AsyncClient(timeout=10) as http:
            ready = await http.get(f"{self.streams.url}/ready")
        if ready.status_code != 200:
            self.problems.append(f"the streams process is not ready after the run: {ready.text[:300]}")

    async def accepted_at_least(self, n: int) -> None:
        await self.wait_for(lambda: self.ledger.accepted_in(self.ledger.phase) >= n, f"{n} events accepted")

    async def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout}s")
            await asyncio.sleep(0.05)


def read_storage(home: Path, problems: list[str]) -> tuple[list[Any], int, tuple[int, int]]:
    """Stored ids, rollup total and dead-letter rows from the stopped streams process's ClickHouse;
    nothing (and the reason first in `problems`) if the engine no longer opens."""
    try:
        stored = stored_rows(home, STORED_SQL)
        [(rollup,)] = stored_rows(home, "SELECT sum(events) FROM events_1m")
        [(rows, records)] = stored_rows(home, DEAD_LETTER_ROWS_SQL)
    except ProgrammingError as exc:  # clickhouse-connect's "Unable to open the chdb engine"
        empty = sorted(
            str(p.relative_to(home)) for p in home.glob("clickhouse/**/*.sql") if p.stat().st_size == 0
        )
        problems.insert(
            0,
            f"ClickHouse does not open after the run, so nothing is readable: {exc}; empty metadata: {empty}",
        )
        return [], 0, (0, 0)
    return stored, int(rollup), (int(rows), int(records))


def _inserts_failed_for_space(log_path: Path, offset: int) -> int:
    """Log lines since `offset` of an insert that failed for want of disk space."""
    with log_path.open("rb") as log:
        log.seek(offset)
        return sum(b"NOT_ENOUGH_SPACE" in line and b"insert" in line.lower() for line in log)
