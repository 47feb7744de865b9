"""The JSON the read API returns: camelCase msgspec Structs, also the OpenAPI schema.

Absent values are `null`, never empty strings; times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class _Out(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    pass


# -- events --------------------------------------------------------------------------------------


class TokenCounts(_Out, frozen=True):
    input: int
    output: int
    cached: int
    reasoning: int


class EventSummary(_Out, frozen=True):
    """One row of the events list: no body (bodies can be large)."""

    event_id: str
    type: str
    timestamp: datetime
    received_at: datetime
    model: str | None
    provider: str | None
    status: str | None
    error_type: str | None
    level: str | None
    latency_ms: float | None
    tokens: TokenCounts
    cost_usd: float | None
    trace_id: str | None
    span_id: str | None


class EventDetail(EventSummary, frozen=True):
    """One event with everything stored about it; `body` and `context` as the SDK sent them."""

    project_id: str
    key_id: str | None
    parent_span_id: str | None
    env: str | None
    user_id: str | None
    session_id: str | None
    release: str | None
    sdk: str | None
    cost_source: str | None
    # The client's timestamp was implausible and was replaced by the receive time.
    timestamp_adjusted: bool
    context: Any
    body: Any


class EventPage(_Out, frozen=True):
    events: list[EventSummary]
    # Pass as `cursor` for the next (older) page; null on the last page.
    next_cursor: str | None


# -- stats ---------------------------------------------------------------------------------------


class RequestCounts(_Out, frozen=True):
    today: int
    last7d: int
    last30d: int


class TokenTotals(_Out, frozen=True):
    input: int
    output: int
    cached: int


class Window(_Out, frozen=True):
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    requests: int
    errors: int


class Overview(_Out, frozen=True):
    project_id: str
    requests: RequestCounts
    window: Window
    error_rate: float
    tokens: TokenTotals
    cost_usd: float


class Series(_Out, frozen=True):
    # requests | errors | input | output | costUsd | p50 | p95 | p99
    name: str
    # One per bucket of `timestamps`.
    values: list[float | None]
    # With groupBy=model: the model, or null for the series folding every model outside the top N.
    model: str | None = None
    other: bool = False


class TimeSeries(_Out, frozen=True):
    project_id: str
    metric: str
    interval: str
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    # Bucket starts (UTC); every series has one value per bucket.
    timestamps: list[datetime]
    series: list[Series]


class Percentiles(_Out, frozen=True):
    p50: float | None
    p95: float | None
    p99: float | None


class ModelStats(_Out, frozen=True):
    model: str
    requests: int
    errors: int
    error_rate: float
    tokens: TokenTotals
    cost_usd: float
    latency_ms: Percentiles


class ModelBreakdown(_Out, frozen=True):
    project_id: str
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    models: list[ModelStats]
