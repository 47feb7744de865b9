"""Query-string parsing for the read API: time ranges, limits, enums, cursors. Pure: no I/O.

Every problem raises `InvalidParameter` naming the parameter (422). Times are ISO 8601 with a zone
(`2025-01-31T12:00:00Z`, `...+02:00`); ranges are half-open `[from, to)`, in UTC.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.events import EVENT_TYPES
from query.errors import InvalidParameter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Past this, offset paging costs ClickHouse a scan per page: use the cursor.
MAX_OFFSET = 100_000
MAX_POINTS = 2000
MAX_TOP_MODELS = 20
DEFAULT_TOP_MODELS = 5
MAX_MODEL_LENGTH = 256
STATUSES = ("ok", "error", "unset")
METRICS = ("requests", "errors", "tokens", "cost", "latency")
INTERVALS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
STATS_DEFAULT_SPAN = timedelta(hours=24)
# An open-ended event list reaches this far ahead: client clocks that run a little fast still show.
CLOCK_SLACK = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_EPOCH = EARLIEST


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime


def parse_time(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 timestamp with a zone, as UTC; None when absent or empty."""
    if not raw:
        return None
    # An unencoded `+02:00` arrives as ` 02:00` after query-string decoding: put the plus back.
    text = raw.strip().replace(" ", "+") if "T" in raw else raw.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(name, "expected ISO 8601 with a zone, e.g. 2025-01-31T12:00:00Z") from None
    if value.tzinfo is None:
        raise InvalidParameter(name, "needs a time zone, e.g. a trailing Z for UTC")
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset (or 9999 with a negative one) has no UTC time
        raise InvalidParameter(name, "must be between 1970 and 2100") from None
    if not EARLIEST <= value < LATEST:
        raise InvalidParameter(name, "must be between 1970 and 2100")
    return value


def parse_range(
    from_raw: str | None,
    to_raw: str | None,
    *,
    now: datetime,
    default_span: timedelta,
    open_end: timedelta = timedelta(0),
) -> TimeRange:
    """`[from, to)`; `to` defaults to now (+ `open_end`), `from` to `default_span` before `to`."""
    start, end = parse_time("from", from_raw), parse_time("to", to_raw)
    end = end or now + open_end
    start = start or end - default_span
    if start >= end:
        raise InvalidParameter("from", "must be before to")
    return TimeRange(start, end)


def parse_int(name: str, raw: str | None, *, default: int, minimum: int, maximum: int) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, "expected an integer") from None
    if not minimum <= value <= maximum:
        raise InvalidParameter(name, f"must be between {minimum} and {maximum}")
    return value


def parse_choice(name: str, raw: str | None, choices: tuple[str, ...] | list[str]) -> str | None:
    if not raw:
        return None
    if raw not in choices:
        raise InvalidParameter(name, f"must be one of {', '.join(choices)}")
    return raw


def parse_model(raw: str | None) -> str | None:
    if not raw:
        return None
    if len(raw) > MAX_MODEL_LENGTH:
        raise InvalidParameter("model", f"longer than {MAX_MODEL_LENGTH} characters")
    return raw


def parse_event_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidParameter("event_id", "expected a UUID") from None


# -- keyset cursor -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """The last row of a page, in the list's order (timestamp, event id); opaque to clients."""

    timestamp_ms: int
    event_id: uuid.UUID


def encode_cursor(timestamp: datetime, event_id: uuid.UUID) -> str:
    ms = (timestamp.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1)
    return base64.urlsafe_b64encode(f"{ms}:{event_id.hex}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> Cursor | None:
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        ms, _, hex_id = text.partition(":")
        return Cursor(int(ms), uuid.UUID(hex=hex_id))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidParameter("cursor", "not a cursor returned by this API") from None


# -- the events list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventQuery:
    range: TimeRange
    limit: int
    offset: int
    cursor: Cursor | None
    type: str | None
    model: str | None
    status: str | None


def parse_event_query(
    *,
    now: datetime,
    retention: timedelta,
    from_raw: str | None = None,
    to_raw: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
    cursor: str | None = None,
    event_type: str | None = None,
    model: str | None = None,
    status: str | None = None,
) -> EventQuery:
    """Without `from`, the list covers the retention period: everything still stored."""
    parsed_cursor = decode_cursor(cursor)
    parsed_offset = parse_int("offset", offset, default=0, minimum=0, maximum=MAX_OFFSET)
    if parsed_cursor is not None and parsed_offset:
        raise InvalidParameter("cursor", "cannot be combined with offset")
    return EventQuery(
        range=parse_range(from_raw, to_raw, now=now, default_span=retention, open_end=CLOCK_SLACK),
        limit=parse_int("limit", limit, default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT),
        offset=parsed_offset,
        cursor=parsed_cursor,
        type=parse_choice("type", event_type, EVENT_TYPES),
        model=parse_model(model),
        status=parse_choice("status", status, STATUSES),
    )


# -- time series ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesQuery:
    range: TimeRange
    metric: str
    interval: str
    model: str | None
    group_by_model: bool
    top: int


def auto_interval(span: timedelta) -> str:
    """Minutes up to 6 h, hours up to 14 days, days beyond: a few hundred points at most."""
    if span <= timedelta(hours=6):
        return "minute"
    return "hour" if span <= timedelta(days=14) else "day"


def parse_series_query(
    *,
    now: datetime,
    metric: str | None,
    interval: str | None = None,
    from_raw: str | None = None,
    to_raw: str | None = None,
    model: str | None = None,
    group_by: str | None = None,
    top: str | None = None,
) -> SeriesQuery:
    if not metric:
        raise InvalidParameter("metric", f"required, one of {', '.join(METRICS)}")
    time_range = parse_range(from_raw, to_raw, now=now, default_span=STATS_DEFAULT_SPAN)
    chosen = parse_choice("interval", interval, list(INTERVALS)) or auto_interval(
        time_range.end - time_range.start
    )
    points = len(bucket_starts(time_range, chosen, limit=MAX_POINTS + 1))
    if points > MAX_POINTS:
        raise InvalidParameter(
            "interval", f"too many points for this range (over {MAX_POINTS}): use a coarser interval"
        )
    return SeriesQuery(
        range=time_range,
        metric=parse_choice("metric", metric, METRICS) or metric,
        interval=chosen,
        model=parse_model(model),
        group_by_model=parse_choice("groupBy", group_by, ("model",)) == "model",
        top=parse_int("top", top, default=DEFAULT_TOP_MODELS, minimum=1, maximum=MAX_TOP_MODELS),
    )


def floor_time(value: datetime, interval: str) -> datetime:
    """The start of the UTC bucket holding `value`."""
    value = value.astimezone(UTC).replace(second=0, microsecond=0)
    if interval in ("hour", "day"):
        value = value.replace(minute=0)
    if interval == "day":
        value = value.replace(hour=0)
    return value


def bucket_starts(time_range: TimeRange, interval: str, limit: int | None = None) -> list[datetime]:
    """Every bucket overlapping the range, in order (at most `limit` of them)."""
    step = INTERVALS[interval]
    current = floor_time(time_range.start, interval)
    out: list[datetime] = []
    while current < time_range.end and (limit is None or len(out) < limit):
        out.append(current)
        current += step
    return out
