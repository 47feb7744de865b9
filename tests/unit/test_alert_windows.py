"""Per-minute buckets, windows over them, and the latency sketch's accuracy."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from contracts.enriched import EnrichedEvent
from contracts.limits import MAX_RECORD_BYTES
from streams.windows import (
    GAMMA,
    MAX_ERROR_TYPES,
    MAX_LATENCY_BINS_PER_MINUTE,
    MAX_LATENCY_MS,
    MAX_MODELS_PER_MINUTE,
    MAX_MODELS_PER_WINDOW,
    MAX_NAME_CHARS,
    MAX_WINDOW_RECORD_BYTES,
    MIN_LATENCY_MS,
    OTHER_ERRORS,
    OTHER_MODELS,
    RETAIN_MINUTES,
    Bucket,
    LatencySketch,
    ProjectWindow,
    add_events,
    aggregate,
    decode_window,
    encode_window,
    minute_of,
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


def longest_name(codepoint: int) -> str:
    """A client string as long as the contract allows, 4 bytes per character in UTF-8."""
    return chr(codepoint) * MAX_NAME_CHARS


LARGEST = 2**64 - 1  # the widest msgpack integer: every count encodes in 9 bytes


def worst_case_window() -> ProjectWindow:
    """Every cap filled: all retained minutes, each with its most model buckets, the window's most
    names at the longest length, every error type in every bucket, each minute's most latency bins
    (at keys that take the most bytes), every count at its widest."""
    models = [longest_name(0x1F600 + i) for i in range(MAX_MODELS_PER_WINDOW)]
    error_types = [longest_name(0x1F900 + i) for i in range(MAX_ERROR_TYPES)] + [OTHER_ERRORS]
    # The largest |bin index| latencies can reach at level 0 is under 2**15: keys take <= 3 bytes.
    top = math.ceil(math.log(MAX_LATENCY_MS) / math.log(GAMMA))
    assert top < 2**15
    assert -math.floor(math.log(MIN_LATENCY_MS) / math.log(GAMMA)) < 2**15
    first_minute = minute_of(NOW) - (RETAIN_MINUTES - 1) * 60
    minutes: dict[int, dict[str, Bucket]] = {}
    for m in range(RETAIN_MINUTES):
        names = [models[(m + i) % len(models)] for i in range(MAX_MODELS_PER_MINUTE)] + [OTHER_MODELS]
        buckets = {}
        for slot, name in enumerate(names):
            share = range(slot, MAX_LATENCY_BINS_PER_MINUTE, len(names))  # the minute's bins, dealt out
            buckets[name] = Bucket(
                events=LARGEST, requests=LARGEST, errors=LARGEST, input_tokens=LARGEST,
                output_tokens=LARGEST, cost_usd=1e300,
                latency=LatencySketch(bins={top - i: LARGEST for i in share}, zero=LARGEST),
                error_types=dict.fromkeys(error_types, LARGEST),
            )  # fmt: skip
        minutes[first_minute + 60 * m] = buckets
    return ProjectWindow(
        partition=2**31 - 1,
        minutes=minutes,
        models=set(models),
        error_types=set(error_types) - {OTHER_ERRORS},
    )


def test_the_worst_case_window_encodes_under_its_stated_limit() -> None:
    window = worst_case_window()
    assert MAX_WINDOW_RECORD_BYTES < 1_000_000
    assert MAX_WINDOW_RECORD_BYTES <= MAX_RECORD_BYTES // 8
    size = len(encode_window(window))
    print(f"worst-case alert window: {size:,} bytes (limit {MAX_WINDOW_RECORD_BYTES:,})")
    assert size <= MAX_WINDOW_RECORD_BYTES
    assert decode_window(encode_window(window)) == window


def test_hostile_events_cannot_grow_a_window_past_its_caps() -> None:
    """Far more models, error types and distinct latencies than the caps allow, every minute, with
    over-long names: the caps hold, and the encoding stays under the limit."""
    window = ProjectWindow()
    now = NOW.timestamp()
    rng = random.Random(3)
    for m in range(RETAIN_MINUTES):
        at = NOW - timedelta(minutes=m)
        events = [
            event(
                at,
                model=longest_name(0x1F600 + (m * 7 + i) % 60) + "tail",
                status="error",
                error_type=longest_name(0x1F900 + (m * 5 + i) % 60) + "tail",
                latency=rng.choice([0.0, 1e-9, float("inf"), 1e308, rng.lognormvariate(6, 4)]),
            )
            for i in range(600)
        ]
        add_events(window, events, now)
    assert len(window.minutes) == RETAIN_MINUTES
    assert len(window.models) == MAX_MODELS_PER_WINDOW
    assert len(window.error_types) == MAX_ERROR_TYPES
    for models in window.minutes.values():
        assert len(models) <= MAX_MODELS_PER_MINUTE + 1  # (other) takes a place once it exists
        assert OTHER_MODELS in models
        assert sum(len(bucket.latency.bins) for bucket in models.values()) <= MAX_LATENCY_BINS_PER_MINUTE
        for name, bucket in models.items():
            assert len(name) <= MAX_NAME_CHARS
            assert len(bucket.error_types) <= MAX_ERROR_TYPES + 1
            assert all(len(error) <= MAX_NAME_CHARS for error in bucket.error_types)
    assert aggregate(window, now, 60).events == RETAIN_MINUTES * 600  # nothing is dropped, only lumped
    assert len(encode_window(window)) <= MAX_WINDOW_RECORD_BYTES
    assert decode_window(encode_window(window)) == window


def test_a_name_frees_its_place_when_its_last_minute_expires() -> None:
    window = ProjectWindow()
    now = NOW.timestamp()
    old = NOW - timedelta(minutes=RETAIN_MINUTES - 1)
    half = MAX_MODELS_PER_WINDOW // 2
    add_events(window, [event(old, model=f"old{i}") for i in range(half)], now)
    add_events(window, [event(model=f"current{i}") for i in range(MAX_MODELS_PER_WINDOW - half)], now)
    add_events(window, [event(NOW + timedelta(minutes=1), model="new")], now + 60)  # the window is full
    later = now + 60
    assert aggregate(window, later, 0, OTHER_MODELS).requests == 1
    assert prune(window, later)
    add_events(window, [event(NOW + timedelta(minutes=1), model="newer")], later)
    assert aggregate(window, later, 1, "newer").requests == 1


def test_a_coarsened_sketch_keeps_its_quantiles_within_its_error_and_merges_with_finer_ones() -> None:
    rng = random.Random(11)
    values = [rng.lognormvariate(5, 1.2) for _ in range(20_000)]
    fine, coarse = LatencySketch(), LatencySketch()
    for i, value in enumerate(values):
        (fine if i % 2 else coarse).add(value)
    coarse.coarsen()
    coarse.coarsen()  # level 2: gamma = 1.02**4, relative error <= (gamma - 1) / (gamma + 1) ~ 3.9 %
    merged = LatencySketch()
    merged.merge(fine)
    merged.merge(coarse)
    assert merged.level == 2
    assert merged.count == len(values)
    exact = sorted(values)[int(0.95 * len(values)) - 1]
    p95 = merged.quantile(0.95)
    assert p95 is not None
    assert abs(p95 - exact) / exact < 0.04


def test_a_record_written_before_names_were_indexed_still_decodes() -> None:
    window = ProjectWindow(partition=1)
    add_events(window, [event(status="error", error_type="Timeout", latency=12.5)], NOW.timestamp())
    legacy = msgspec.msgpack.encode(
        {
            "partition": 1,
            "minutes": {
                minute: {model: msgspec.to_builtins(bucket) for model, bucket in models.items()}
                for minute, models in window.minutes.items()
            },
        }
    )
    assert decode_window(legacy) == window
