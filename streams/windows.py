"""Per-minute aggregates of a project's enriched events, and merging them into a Y-minute window (pure).

A `ProjectWindow` holds one `Bucket` per (minute, model) for the last `RETAIN_MINUTES` minutes; it is
the value of the aggregation table (keyed by project id, so it lives in the project's partition).
Minutes are event time (`timestamp`, already UTC and clamped by enrich); an event older than the
retained span is dropped (a backfill must not fire alerts), one in the future counts in the current
minute. A window of Y minutes is the current partial minute plus the Y whole minutes before it, so it
always covers between Y and Y+1 minutes of history.

Latency is a log-bucket histogram (`LatencySketch`, as in DDSketch/HDR): bucket i holds values in
(gamma^(i-1), gamma^i], a quantile is read back as the bucket's midpoint, so its relative error is at
most (gamma-1)/(gamma+1) ~ 1 % at gamma = GAMMA; sketches merge by adding counts.

The window is a Kafka record (the table's changelog), so its size is bounded whatever clients send
(`worst-case` test: `MAX_WINDOW_RECORD_BYTES`): model ids and error types are client strings, capped
per window and per minute with an `(other)` bucket, and truncated to `MAX_NAME_CHARS`; latencies are
clamped to [`MIN_LATENCY_MS`, `MAX_LATENCY_MS`]; a minute whose sketches hold more than
`MAX_LATENCY_BINS_PER_MINUTE` bins halves the resolution of its largest one (UDDSketch's collapse:
`level` k means gamma = GAMMA^(2^k), about 2^k % error), which only a flood of spread-out latencies
in one minute can cause. The record stores each name once (`_WindowRecord`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime

import msgspec

from contracts.enriched import EnrichedEvent
from contracts.limits import KIB

GAMMA = 1.02
_LOG_GAMMA = math.log(GAMMA)
RETAIN_MINUTES = 61  # the longest window (60) plus the current minute
MAX_NAME_CHARS = 256  # the contract's longest model id or error type (contracts.events.Name)
MAX_MODELS_PER_WINDOW = 20  # distinct model ids over the retained minutes; later ones count as (other)
MAX_MODELS_PER_MINUTE = 10  # buckets of one minute, (other) aside
OTHER_MODELS = "(other)"
MAX_ERROR_TYPES = 20  # distinct error types over the retained minutes (and so in any bucket)
OTHER_ERRORS = "(other)"
MIN_LATENCY_MS = 0.01
MAX_LATENCY_MS = 24 * 3600 * 1000.0
MAX_LATENCY_BINS_PER_MINUTE = 512
MAX_WINDOW_RECORD_BYTES = 768 * KIB
"""The most a window's encoding can take with every cap filled (well under 1,000,000 B and
`contracts.limits.MAX_RECORD_BYTES`); `tests/unit/test_alert_windows.py` builds that case."""


class LatencySketch(msgspec.Struct):
    """Counts per log bucket at resolution `level`; `zero` counts values <= 0 (a cached answer can
    take 0 ms)."""

    bins: dict[int, int] = {}
    zero: int = 0
    level: int = 0

    @property
    def count(self) -> int:
        return self.zero + sum(self.bins.values())

    @property
    def gamma(self) -> float:
        return float(GAMMA ** (2**self.level))

    def add(self, value_ms: float, n: int = 1) -> None:
        if not value_ms > 0:  # NaN too: it has no place on a log scale
            self.zero += n
            return
        if value_ms > MAX_LATENCY_MS:
            value_ms = MAX_LATENCY_MS
        elif value_ms < MIN_LATENCY_MS:
            value_ms = MIN_LATENCY_MS
        step = _LOG_GAMMA * (1 << self.level) if self.level else _LOG_GAMMA
        index = math.ceil(math.log(value_ms) / step)
        self.bins[index] = self.bins.get(index, 0) + n

    def coarsen(self) -> None:
        """Halve the resolution: bins 2j-1 and 2j of this level are bin j of the next one."""
        self.level += 1
        bins: dict[int, int] = {}
        for index, n in self.bins.items():
            coarse = -(-index // 2)
            bins[coarse] = bins.get(coarse, 0) + n
        self.bins = bins

    def merge(self, other: LatencySketch) -> None:
        while self.level < other.level:
            self.coarsen()
        step = 2 ** (self.level - other.level)
        self.zero += other.zero
        for index, n in other.bins.items():
            coarse = -(-index // step)
            self.bins[coarse] = self.bins.get(coarse, 0) + n

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0 < q <= 1), None when empty."""
        total = self.count
        if total == 0:
            return None
        gamma = self.gamma
        rank = q * total  # the smallest value with at least this many values at or below it
        seen = self.zero
        if seen >= rank:
            return 0.0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return 2 * gamma**index / (gamma + 1)
        return 2 * gamma ** max(self.bins) / (gamma + 1)


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

    def add(self, event: EnrichedEvent, error_type: str | None = None) -> None:
        """Count `event`; `error_type` replaces its own (the window's cap may have renamed it)."""
        self.events += 1
        self.input_tokens += event.input_tokens
        self.output_tokens += event.output_tokens
        self.cost_usd += event.cost_usd or 0.0
        if event.type == "llm_call":
            self.requests += 1
            self.errors += event.status == "error"
            if event.latency_ms is not None:
                self.latency.add(event.latency_ms)
        error_type = event.error_type if error_type is None else error_type
        if error_type:
            self._count_error(error_type, 1)

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
    `models` and `error_types` are the names the retained minutes use (`(other)` aside), kept so that
    the caps are checked without a scan; `prune` recomputes them, so a name's place frees up when its
    last minute expires.
    """

    partition: int = -1
    minutes: dict[int, dict[str, Bucket]] = {}
    models: set[str] = set()
    error_types: set[str] = set()


def minute_of(moment: datetime | float) -> int:
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return int(seconds // 60 * 60)


def add_events(window: ProjectWindow, events: Iterable[EnrichedEvent], now: float) -> int:
    """Count `events` into their minutes; returns how many were counted (too-old ones are not)."""
    current = minute_of(now)
    oldest = current - (RETAIN_MINUTES - 1) * 60
    counted = 0
    touched: set[int] = set()
    last_touched = -1
    for event in events:
        minute = min(minute_of(event.timestamp), current)
        if minute < oldest:
            continue
        models = window.minutes.setdefault(minute, {})
        model = event.model
        if model not in models:
            model = model[:MAX_NAME_CHARS]
        if model not in models:
            full = len(models) >= MAX_MODELS_PER_MINUTE
            if full or not _admit(window.models, model, MAX_MODELS_PER_WINDOW):
                model = OTHER_MODELS
        bucket = models.get(model)
        if bucket is None:
            bucket = models[model] = Bucket()
        error_type = event.error_type
        if error_type and error_type not in window.error_types:
            error_type = error_type[:MAX_NAME_CHARS]
            if not _admit(window.error_types, error_type, MAX_ERROR_TYPES):
                error_type = OTHER_ERRORS
        bucket.add(event, error_type)
        if minute != last_touched:
            touched.add(minute)
            last_touched = minute
        counted += 1
    for minute in touched:
        _bound_latency_bins(window.minutes[minute])
    return counted


def _admit(names: set[str], name: str, cap: int) -> bool:
    """Whether `name` has (or now gets) one of the `cap` places in `names`."""
    if name in names:
        return True
    if len(names) >= cap:
        return False
    names.add(name)
    return True


def _bound_latency_bins(models: dict[str, Bucket]) -> None:
    """Coarsen the minute's largest sketch until the minute holds at most its share of bins."""
    sketches = [bucket.latency for bucket in models.values()]
    while sum(len(sketch.bins) for sketch in sketches) > MAX_LATENCY_BINS_PER_MINUTE:
        max(sketches, key=lambda sketch: len(sketch.bins)).coarsen()


def prune(window: ProjectWindow, now: float) -> bool:
    """Drop minutes no window can reach any more; True if anything was dropped."""
    oldest = minute_of(now) - (RETAIN_MINUTES - 1) * 60
    stale = [m for m in window.minutes if m < oldest]
    for minute in stale:
        del window.minutes[minute]
    if stale:
        _recount_names(window)
    return bool(stale)


def _recount_names(window: ProjectWindow) -> None:
    buckets = [(model, bucket) for models in window.minutes.values() for model, bucket in models.items()]
    window.models = {model for model, _ in buckets} - {OTHER_MODELS}
    window.error_types = {name for _, bucket in buckets for name in bucket.error_types} - {OTHER_ERRORS}


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


# -- the table record: positional fields, each name stored once and referred to by its index ---------


class _BucketRecord(msgspec.Struct, array_like=True):
    events: int
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    zero: int
    level: int
    bins: dict[int, int]
    error_types: dict[int, int]  # name index -> count


class _WindowRecord(msgspec.Struct, array_like=True):
    partition: int
    names: list[str]
    minutes: dict[int, dict[int, _BucketRecord]]  # minute -> model's name index -> bucket


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_WindowRecord)
_legacy_decoder = msgspec.msgpack.Decoder(ProjectWindow)  # records written before names were indexed


def encode_window(window: ProjectWindow) -> bytes:
    index: dict[str, int] = {}

    def ref(name: str) -> int:
        return index.setdefault(name, len(index))

    minutes = {
        minute: {ref(model): _record_of(bucket, ref) for model, bucket in models.items()}
        for minute, models in window.minutes.items()
    }
    return _encoder.encode(_WindowRecord(window.partition, list(index), minutes))


def decode_window(payload: bytes) -> ProjectWindow:
    try:
        record = _decoder.decode(payload)
    except msgspec.ValidationError:
        window = _legacy_decoder.decode(payload)
    else:
        names = record.names
        minutes = {
            minute: {names[model]: _bucket_of(bucket, names) for model, bucket in models.items()}
            for minute, models in record.minutes.items()
        }
        window = ProjectWindow(partition=record.partition, minutes=minutes)
    _recount_names(window)
    return window


def _record_of(bucket: Bucket, ref: Callable[[str], int]) -> _BucketRecord:
    sketch = bucket.latency
    return _BucketRecord(
        events=bucket.events,
        requests=bucket.requests,
        errors=bucket.errors,
        input_tokens=bucket.input_tokens,
        output_tokens=bucket.output_tokens,
        cost_usd=bucket.cost_usd,
        zero=sketch.zero,
        level=sketch.level,
        bins=sketch.bins,
        error_types={ref(name): n for name, n in bucket.error_types.items()},
    )


def _bucket_of(record: _BucketRecord, names: list[str]) -> Bucket:
    return Bucket(
        events=record.events,
        requests=record.requests,
        errors=record.errors,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cost_usd=record.cost_usd,
        latency=LatencySketch(bins=record.bins, zero=record.zero, level=record.level),
        error_types={names[name]: n for name, n in record.error_types.items()},
    )
