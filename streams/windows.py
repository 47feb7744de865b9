"""Per-minute aggregates of a project's enriched events, and merging them into a Y-minute window (pure).

A `ProjectWindow` holds one `Bucket` per (minute, model) for the last `RETAIN_MINUTES` minutes; it is
the value of the aggregation table (keyed by project id, so it lives in the project's partition).
Minutes are event time (`timestamp`, already UTC and clamped by enrich); an event older than the
retained span is dropped (a backfill must not fire alerts), one in the future counts in the current
minute. A window of Y minutes is the current partial minute plus the Y whole minutes before it, so it
always covers between Y and Y+1 minutes of history.

Latency is a log-bucket histogram (`LatencySketch`, as in DDSketch/HDR): bucket i holds values in
(GAMMA^(i-1), GAMMA^i], a quantile is read back as the bucket's midpoint, so its relative error is at
most (GAMMA-1)/(GAMMA+1) ~ 1 %; sketches merge by adding counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

import msgspec

from contracts.enriched import EnrichedEvent

GAMMA = 1.02
_LOG_GAMMA = math.log(GAMMA)
RETAIN_MINUTES = 61  # the longest window (60) plus the current minute
MAX_MODELS_PER_MINUTE = 50  # client-supplied ids: beyond this, a minute's extra models share one bucket
OTHER_MODELS = "(other)"
MAX_ERROR_TYPES = 100
OTHER_ERRORS = "(other)"


class LatencySketch(msgspec.Struct):
    """Counts per log bucket; `zero` counts values <= 0 (a cached answer can take 0 ms)."""

    bins: dict[int, int] = {}
    zero: int = 0

    @property
    def count(self) -> int:
        return self.zero + sum(self.bins.values())

    def add(self, value_ms: float, n: int = 1) -> None:
        if value_ms <= 0:
            self.zero += n
            return
        index = math.ceil(math.log(value_ms) / _LOG_GAMMA)
        self.bins[index] = self.bins.get(index, 0) + n

    def merge(self, other: LatencySketch) -> None:
        self.zero += other.zero
        for index, n in other.bins.items():
            self.bins[index] = self.bins.get(index, 0) + n

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0 < q <= 1), None when empty."""
        total = self.count
        if total == 0:
            return None
        rank = q * total  # the smallest value with at least this many values at or below it
        seen = self.zero
        if seen >= rank:
            return 0.0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return 2 * GAMMA**index / (GAMMA + 1)
        return 2 * GAMMA ** max(self.bins) / (GAMMA + 1)


class Bucket(msgspec.Struct):
    """What one minute (of one model) added up to. Requests and latency count `llm_call` events only;
    `error_types` counts every event with an error type (failed calls and `error` events)."""

    events: int = 0
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency: LatencySketch = msgspec.field(default_factory=LatencySketch)
    error_types: dict[str, int] = {}

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def error_rate(self) -> float:
        """Errors per request, in percent (0 without requests)."""
        return 100.0 * self.errors / self.requests if self.requests else 0.0

    def add(self, event: EnrichedEvent) -> None:
        self.events += 1
        self.input_tokens += event.input_tokens
        self.output_tokens += event.output_tokens
        self.cost_usd += event.cost_usd or 0.0
        if event.type == "llm_call":
            self.requests += 1
            self.errors += event.status == "error"
            if event.latency_ms is not None:
                self.latency.add(event.latency_ms)
        if event.error_type:
            self._count_error(event.error_type, 1)

    def merge(self, other: Bucket) -> None:
        self.events += other.events
        self.requests += other.requests
        self.errors += other.errors
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.latency.merge(other.latency)
        for name, n in other.error_types.items():
            self._count_error(name, n)

    def _count_error(self, name: str, n: int) -> None:
        if name not in self.error_types and len(self.error_types) >= MAX_ERROR_TYPES:
            name = OTHER_ERRORS
        self.error_types[name] = self.error_types.get(name, 0) + n


class ProjectWindow(msgspec.Struct):
    """A project's recent minutes: minute (epoch seconds) -> model -> bucket.

    `partition` is the Kafka partition the project's events arrive on: the periodic evaluation of a
    partition visits only its own projects (a table write needs that partition's context).
    """

    partition: int = -1
    minutes: dict[int, dict[str, Bucket]] = {}


def minute_of(moment: datetime | float) -> int:
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return int(seconds // 60 * 60)


def add_events(window: ProjectWindow, events: Iterable[EnrichedEvent], now: float) -> int:
    """Count `events` into their minutes; returns how many were counted (too-old ones are not)."""
    current = minute_of(now)
    oldest = current - (RETAIN_MINUTES - 1) * 60
    counted = 0
    for event in events:
        minute = min(minute_of(event.timestamp), current)
        if minute < oldest:
            continue
        models = window.minutes.setdefault(minute, {})
        model = event.model
        if model not in models and len(models) >= MAX_MODELS_PER_MINUTE:
            model = OTHER_MODELS
        bucket = models.get(model)
        if bucket is None:
            bucket = models[model] = Bucket()
        bucket.add(event)
        counted += 1
    return counted


def prune(window: ProjectWindow, now: float) -> bool:
    """Drop minutes no window can reach any more; True if anything was dropped."""
    oldest = minute_of(now) - (RETAIN_MINUTES - 1) * 60
    stale = [m for m in window.minutes if m < oldest]
    for minute in stale:
        del window.minutes[minute]
    return bool(stale)


def aggregate(window: ProjectWindow, now: float, minutes: int, model: str | None = None) -> Bucket:
    """The merged bucket over the last `minutes` whole minutes plus the current one (one model or all)."""
    current = minute_of(now)
    start = current - minutes * 60
    out = Bucket()
    for minute, models in window.minutes.items():
        if start <= minute <= current:
            for name, bucket in models.items():
                if model is None or name == model:
                    out.merge(bucket)
    return out


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ProjectWindow)


def encode_window(window: ProjectWindow) -> bytes:
    return _encoder.encode(window)


def decode_window(payload: bytes) -> ProjectWindow:
    return _decoder.decode(payload)
