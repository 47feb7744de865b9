"""Per-minute buckets, windows over them, and the latency sketch's accuracy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from contracts.enriched import EnrichedEvent
from streams.windows import (
    MAX_MODELS_PER_MINUTE,
    OTHER_MODELS,
    RETAIN_MINUTES,
    LatencySketch,
    ProjectWindow,
    add_events,
    aggregate,
    decode_window,
    encode_window,
    prune,
)

NOW = datetime(2026, 5, 1, 12, 30, 40, tzinfo=UTC)


def event(
    at: datetime = NOW,
    *,
    type: str = "llm_call",
    model: str = "gpt-4o",
    status: str = "ok",
    error_type: str = "",
    tokens: tuple[int, int] = (10, 5),
    cost: float | None = 0.01,
    latency: float | None = 100.0,
) -> EnrichedEvent:
    return EnrichedEvent(
        project_id="p", event_id="e", type=type, timestamp=at, received_at=at, timestamp_adjusted=0,
        key_id="k", model=model, provider="", input_tokens=tokens[0], output_tokens=tokens[1],
        cached_tokens=0, reasoning_tokens=0, cost_usd=cost, cost_source="", latency_ms=latency,
        status=status, error_type=error_type, level="", trace_id="", span_id="", parent_span_id="",
        env="", user_id="", session_id="", release="", sdk="", context="{}", body="{}",
    )  # fmt: skip


def test_minute_buckets_count_requests_errors_tokens_cost_and_error_types() -> None:
    window = ProjectWindow()
    events = [event() for _ in range(8)]
    events += [event(status="error", error_type="Timeout") for _ in range(2)]
    events.append(
        event(type="error", model="", error_type="ValueError", tokens=(0, 0), cost=None, latency=None)
    )
    assert add_events(window, events, NOW.timestamp()) == 11
    agg = aggregate(window, NOW.timestamp(), 1)
    assert (agg.events, agg.requests, agg.errors) == (11, 10, 2)
    assert agg.error_rate == pytest.approx(20.0)
    assert (agg.input_tokens, agg.output_tokens, agg.tokens) == (100, 50, 150)
    assert agg.cost_usd == pytest.approx(0.10)
    assert agg.error_types == {"Timeout": 2, "ValueError": 1}
    assert agg.latency.count == 10


def test_window_covers_the_current_minute_and_the_previous_whole_minutes() -> None:
    window = ProjectWindow()
    for minutes_ago in range(6):
        add_events(window, [event(NOW - timedelta(minutes=minutes_ago))], NOW.timestamp())
    now = NOW.timestamp()
    assert aggregate(window, now, 1).requests == 2  # this minute and the one before
    assert aggregate(window, now, 5).requests == 6
    # 70 s later the oldest minute of a 1-minute window is the current one's predecessor.
    assert aggregate(window, now + 70, 1).requests == 1


def test_model_filter_and_model_cap() -> None:
    window = ProjectWindow()
    add_events(
        window, [event(model="a"), event(model="a"), event(model="b", status="error")], NOW.timestamp()
    )
    now = NOW.timestamp()
    assert aggregate(window, now, 1, "a").requests == 2
    assert aggregate(window, now, 1, "b").errors == 1
    assert aggregate(window, now, 1, "c").requests == 0
    many = [event(model=f"m{i}") for i in range(MAX_MODELS_PER_MINUTE + 10)]
    add_events(window, many, now)
    minute = next(iter(window.minutes.values()))
    assert len(minute) == MAX_MODELS_PER_MINUTE + 1
    assert minute[OTHER_MODELS].requests == 12  # m48.. m59 (a and b took two places)
    assert aggregate(window, now, 1).requests == 3 + len(many)


def test_old_events_are_dropped_future_ones_count_now_and_prune_expires() -> None:
    window = ProjectWindow()
    now = NOW.timestamp()
    counted = add_events(
        window, [event(NOW - timedelta(minutes=RETAIN_MINUTES + 1)), event(NOW + timedelta(minutes=3))], now
    )
    assert counted == 1
    assert aggregate(window, now, 1).requests == 1
    add_events(window, [event(NOW - timedelta(minutes=30))], now)
    assert not prune(window, now)
    assert prune(window, now + 31 * 60 + 60)
    assert aggregate(window, now + 31 * 60 + 60, 60).requests == 1  # only the "future" one is left


def test_window_round_trips_through_its_table_encoding() -> None:
    window = ProjectWindow(partition=3)
    add_events(window, [event(status="error", error_type="Timeout", latency=12.5)], NOW.timestamp())
    back = decode_window(encode_window(window))
    assert back == window
    assert back.partition == 3


@pytest.mark.parametrize("distribution", ["uniform", "lognormal", "bimodal"])
def test_sketch_p95_is_within_two_percent(distribution: str) -> None:
    rng = random.Random(7)
    if distribution == "uniform":
        values = [rng.uniform(1, 5000) for _ in range(20_000)]
    elif distribution == "lognormal":
        values = [rng.lognormvariate(5, 1.2) for _ in range(20_000)]
    else:
        values = [rng.gauss(80, 5) if rng.random() < 0.9 else rng.gauss(3000, 200) for _ in range(20_000)]
    # Split across minutes, merged back: merging must not cost accuracy.
    parts = [LatencySketch() for _ in range(7)]
    for i, value in enumerate(values):
        parts[i % 7].add(value)
    merged = LatencySketch()
    for part in parts:
        merged.merge(part)
    exact = sorted(values)[int(0.95 * len(values)) - 1]
    p95 = merged.quantile(0.95)
    assert p95 is not None
    assert abs(p95 - exact) / exact < 0.02
    assert merged.count == len(values)


def test_sketch_edges() -> None:
    sketch = LatencySketch()
    assert sketch.quantile(0.95) is None
    sketch.add(0)
    assert sketch.quantile(0.95) == 0.0
    sketch.add(250, n=99)
    assert sketch.quantile(0.95) == pytest.approx(250, rel=0.01)
