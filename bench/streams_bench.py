"""Benchmark 2, streams: events/s from a pre-filled `events.raw` into ClickHouse through the enrich
agent and the sink (`--roles streams`, one process on one core), against the limit (a bare aiokafka
consume + clickhouse-connect insert loop over the same records, also one process on one core).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from bench import profiling
from bench.context import BenchContext, measure_child, run_async
from bench.prefill import envelopes, produce
from bench.profiling import Profile
from bench.services import LynexServer, new_api_key
from bench.stats import CpuMeter
from contracts.topics import Topics
from core.kafka import ensure_topics
from core.settings import KafkaSettings

PREFIX = "bench.streams."
TUNED_PREFIX = "bench.streams-tuned."
TUNED = {"PRODUCER_MAX_BATCH_SIZE": str(1024 * 1024)}  # read by faust from the environment
PROJECTS = ["bench-a", "bench-b", "bench-c", "bench-d"]  # one per partition, as keys spread them
ENRICHED = "lynex_streams_events_enriched_total"
INSERTED = "lynex_streams_sink_rows_inserted_total"
DUPLICATES = "lynex_streams_sink_duplicates_dropped_total"


def _prefill(ctx: BenchContext, total: int, prefix: str) -> dict[str, Any]:
    topics = Topics.with_prefix(prefix)
    settings = KafkaSettings(bootstrap_servers=ctx.broker.bootstrap, topic_partitions=len(PROJECTS))
    run_async(ensure_topics(settings, topics))
    t0 = time.monotonic()
    records = envelopes(PROJECTS, total)
    made = time.monotonic() - t0
    run_async(produce(ctx.broker.bootstrap, topics.raw, records))
    return {
        "events": total,
        "records": len(records),
        "record_bytes": round(sum(len(v) for _, _, v in records) / len(records)),
        "generate_s": round(made, 1),
        "produce_s": round(time.monotonic() - t0 - made, 1),
    }


def _lynex(
    ctx: BenchContext, total: int, timeout_s: float, prefix: str, name: str, extra_env: dict[str, str]
) -> dict[str, Any]:
    server = LynexServer(
        home=ctx.work / f"streams-{name}",
        bootstrap=ctx.broker.bootstrap,
        roles="streams",
        prefix=prefix,
        api_key=new_api_key(),
        cpus=ctx.server_cpus,
        extra_env={"LYNEX_KAFKA__TOPIC_PARTITIONS": str(len(PROJECTS)), **extra_env},
    )
    started = time.monotonic()
    server.start(timeout=120)
    assert server.process is not None
    meter = CpuMeter([server.process.pid])
    broker_meter = CpuMeter(ctx.broker.pids())
    first = last = None
    profiler: Profile | None = None
    samples: list[tuple[float, float, float]] = []
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            metrics = server.metrics()
            now = time.monotonic()
            enriched, inserted = metrics.get(ENRICHED, 0.0), metrics.get(INSERTED, 0.0)
            samples.append((round(now - started, 2), enriched, inserted))
            if first is None and enriched > 0:
                first = now
                meter.start()
                broker_meter.start()
                if profiling.enabled():
                    profiler = Profile(server.process.pid, ctx.profile_path(f"streams-{name}"))
            if inserted >= total:
                last = now
                break
            time.sleep(0.2)
        cpu = meter.cores() if first else None
        broker_cpu = broker_meter.cores() if first else None
        duplicates = server.metrics().get(DUPLICATES, 0.0)
        profile = profiler.stop() if profiler is not None else None
    finally:
        server.stop()
    if first is None or last is None:
        inserted = samples[-1][2] if samples else 0
        raise RuntimeError(f"streams stored {inserted:.0f} of {total} events within {timeout_s:.0f}s")
    elapsed = last - first
    return {
        "events": total,
        "elapsed_s": round(elapsed, 2),
        "events_per_s": round(total / elapsed, 1),
        "startup_to_first_event_s": round(first - started, 1),
        "duplicates_dropped": duplicates,
        "cpu_cores": {"server": cpu, "broker": broker_cpu},
        "extra_env": extra_env,
        "progress": samples[:: max(1, len(samples) // 40)],
        "profile": profile,
    }


def _limit(ctx: BenchContext, total: int) -> dict[str, Any]:
    argv = ctx.python(
        "bench.streams_limit",
        "--bootstrap",
        ctx.broker.bootstrap,
        "--topic",
        Topics.with_prefix(PREFIX).raw,
        "--clickhouse",
        str(ctx.work / "streams-limit" / "clickhouse"),
        "--events",
        str(total),
    )
    r = measure_child(
        argv,
        cpus=ctx.server_cpus,
        watch={"broker": ctx.broker.pids()},
        timeout=900,
        profile=(None, ctx.profile_path("streams-limit")),
    )
    r["cpu_cores"]["server"] = r.pop("process_cpu_cores")
    return r


def run(ctx: BenchContext) -> dict[str, Any]:
    # BENCH_STREAMS_EVENTS: a quick run's 50k events last a few seconds, mostly ramp-up; comparing two
    # commits on a busy machine needs a longer steady state (e.g. 200000) without the full run's rest.
    total = int(os.environ.get("BENCH_STREAMS_EVENTS") or (50_000 if ctx.quick else 500_000))
    print(f"  pre-filling {PREFIX}lynex.events.raw with {total:,} events", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"prefill": _prefill(ctx, total, PREFIX)}
    print(f"    {result['prefill']}", file=sys.stderr)
    print("  limit: aiokafka consume + clickhouse-connect insert", file=sys.stderr, flush=True)
    result["limit"] = _limit(ctx, total)
    print(f"    {result['limit']['events_per_s']:,.0f} events/s", file=sys.stderr)
    print("  lynex: --roles streams (enrich agent + ClickHouse sink)", file=sys.stderr, flush=True)
    result["lynex"] = _lynex(ctx, total, 600, PREFIX, "lynex", {})
    _say(result["lynex"])
    result["lynex_over_limit"] = round(result["lynex"]["events_per_s"] / result["limit"]["events_per_s"], 3)
    # A setting that matters: faust's producer batches (16 KiB by default) hold one 100-event
    # enriched record each, so the enrich agent gets one record per partition per round trip.
    print(f"  lynex, tuned: {TUNED}", file=sys.stderr, flush=True)
    _prefill(ctx, total, TUNED_PREFIX)
    result["lynex_tuned"] = _lynex(ctx, total, 600, TUNED_PREFIX, "lynex-tuned", TUNED)
    _say(result["lynex_tuned"])
    return result


def _say(r: dict[str, Any]) -> None:
    print(f"    {r['events_per_s']:,.0f} events/s, cpu {r['cpu_cores']}", file=sys.stderr)
